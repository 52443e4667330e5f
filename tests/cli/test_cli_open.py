"""`tuiflow open` (the default command): --theme, --watch and the settings file.

`run_app` is replaced by a recorder so these tests check what the explorer would be
started with, without starting it. Every test runs through the command parser
(`tuiflow.cli.main`) and through the console script's `main` (tuiflow/launch.py), which
opens a plain `tuiflow [STORE]` without the parser: both must start the same explorer.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from textual.theme import BUILTIN_THEMES

import tuiflow.cli
import tuiflow.launch

SAMPLE = Path(__file__).resolve().parents[2] / "sample_mlruns"


@pytest.fixture(params=["parser", "launch"])
def main(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch):
    if request.param == "parser":
        return tuiflow.cli.main
    parse = tuiflow.cli.main

    def parse_unless_plain(argv: list[str]) -> None:
        # Only a command line with an option, a verb or two words may reach the parser.
        first = argv[0] if argv else ""
        options_or_verb = first.startswith("-") or first in tuiflow.cli.subcommands()
        assert len(argv) > 1 or options_or_verb, f"{argv} went through typer"
        parse(argv)

    monkeypatch.setattr(tuiflow.cli, "main", parse_unless_plain)
    return tuiflow.launch.main


@pytest.fixture
def started(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> list[dict[str, Any]]:
    calls: list[dict[str, Any]] = []

    def fake_run_app(store, read_only=False, **kw):
        calls.append({"store": store.display_uri, "read_only": read_only, **kw})
        store.close()

    monkeypatch.setattr("tuiflow.ui.app.run_app", fake_run_app)
    monkeypatch.setenv("TUIFLOW_CONFIG", str(tmp_path / "config.toml"))
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    return calls


@pytest.fixture
def call(capsys, main):
    def call(*args: str) -> tuple[int, str, str]:
        with pytest.raises(SystemExit) as info:
            main(list(args))
        out = capsys.readouterr()
        return info.value.code, out.out, out.err

    return call


def test_defaults_without_a_settings_file(call, started):
    code, out, err = call(str(SAMPLE))
    assert (code, out, err) == (0, "", "")
    (kw,) = started
    assert kw["read_only"] is False and kw["theme"] is None and kw["watch"] is None
    assert kw["watch_interval"] == 5.0 and dict(kw["keymap"]) == {} and kw["notices"] == ()


def test_bad_theme_is_one_line_listing_the_themes_and_exit_2(call, started):
    code, out, err = call("--theme", "no-such-theme", str(SAMPLE))
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and "unknown theme 'no-such-theme'" in err
    assert all(name in err for name in BUILTIN_THEMES)
    assert started == []  # the explorer never started


def test_theme_and_watch_are_passed_on(call, started):
    code, _, err = call("open", "--theme", "nord", "--watch", "2.5", str(SAMPLE))
    assert code == 0 and err == ""
    assert started[0]["theme"] == "nord" and started[0]["watch"] == 2.5


def test_watch_must_be_positive(call, started):
    code, _, err = call("--watch", "0", str(SAMPLE))
    assert code == 2 and "--watch" in err and started == []


def test_settings_file_gives_defaults_and_the_command_line_wins(call, started, tmp_path):
    (tmp_path / "config.toml").write_text(
        'read_only = true\ntheme = "gruvbox"\nwatch_seconds = 3\n'
        '[keymap]\n"tuiflow.runs.sort_asc" = "o"\n'
    )
    code, _, err = call(str(SAMPLE))
    assert code == 0 and err == ""
    kw = started[-1]
    assert kw["read_only"] is True and kw["theme"] == "gruvbox" and kw["watch_interval"] == 3.0
    assert dict(kw["keymap"]) == {"tuiflow.runs.sort_asc": "o"}
    call("--theme", "nord", str(SAMPLE))
    assert started[-1]["theme"] == "nord"


def test_broken_settings_file_is_one_line_and_defaults(call, started, tmp_path):
    path = tmp_path / "config.toml"
    path.write_text('read_only = true\ntheme = "nord\n')  # unterminated string
    code, out, err = call(str(SAMPLE))
    assert code == 0 and out == ""
    assert err.count("\n") == 1 and str(path) in err and "using defaults" in err
    kw = started[-1]
    assert kw["read_only"] is False and kw["theme"] is None  # nothing half-applied
    assert kw["notices"] and "using defaults" in kw["notices"][0]  # shown in the UI too


def test_unknown_theme_in_the_settings_file_is_one_line_not_an_error(call, started, tmp_path):
    (tmp_path / "config.toml").write_text('theme = "nope"\n')
    code, _, err = call(str(SAMPLE))
    assert code == 0 and err.count("\n") == 1 and "unknown theme 'nope'" in err
    assert started[-1]["theme"] is None


def test_every_verb_is_a_verb_and_anything_else_opens() -> None:
    """The verb list is read off the app: a new command can never be mistaken for a store."""
    from tuiflow.cli import _argv_with_default_command, subcommands

    verbs = subcommands()
    assert {"open", "runs", "experiments", "history", "models"} <= verbs
    assert {"delete-run", "purge", "transition", "alias", "rename-run"} <= verbs
    assert len(verbs) == 17
    for verb in verbs:
        assert _argv_with_default_command([verb, "x"]) == [verb, "x"]
    assert _argv_with_default_command(["./mlruns"]) == ["open", "./mlruns"]
    assert _argv_with_default_command(["--read-only", "x"]) == ["open", "--read-only", "x"]
    assert _argv_with_default_command([]) == ["open"]


def test_a_store_that_cannot_be_opened_is_one_line_and_exit_1(call, started):
    code, out, err = call("/no/such/mlruns")
    assert (code, out) == (1, "")
    assert err.startswith("tuiflow: /no/such/mlruns: no such file") and err.count("\n") == 1
    assert started == []


def test_only_a_plain_store_or_nothing_skips_the_parser() -> None:
    from tuiflow.cli import subcommands
    from tuiflow.launch import VERBS, plain_open

    assert subcommands() == VERBS  # a new verb must be added to both
    assert plain_open([]) == (True, None)
    assert plain_open(["./mlruns"]) == (True, "./mlruns")
    assert plain_open(["sqlite:///x.db"]) == (True, "sqlite:///x.db")
    for argv in (
        ["runs"],
        ["open"],
        ["--help"],
        ["-h"],
        ["--version"],
        ["--read-only"],
        ["-"],
        [""],
        ["./mlruns", "--read-only"],
        ["--theme", "nord", "x"],
        ["a", "b"],
    ):
        assert plain_open(argv) == (False, None), argv


def test_no_store_opens_mlruns_here(call, started, tmp_path, monkeypatch):
    (tmp_path / "mlruns").symlink_to(SAMPLE)
    monkeypatch.chdir(tmp_path)
    code, out, err = call()
    assert (code, out, err) == (0, "", "")
    assert started[0]["store"].endswith("mlruns")


@pytest.mark.parametrize(
    ("error", "code", "message"),
    [(KeyboardInterrupt(), 130, ""), (EOFError(), 1, "tuiflow: aborted\n")],
)
def test_an_interrupted_explorer_exits_the_same_either_way(
    call, started, monkeypatch, error, code, message
):
    def interrupted(store, **kw):
        store.close()
        raise error

    monkeypatch.setattr("tuiflow.ui.app.run_app", interrupted)
    status, out, err = call(str(SAMPLE))
    assert (status, out) == (code, "")
    assert err.strip() == message.strip()


def test_installs_made_before_launch_py_still_start() -> None:
    assert tuiflow.cli.entry is tuiflow.launch.entry  # their console script names this one
