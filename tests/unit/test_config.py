"""The settings file: what it accepts, and one clear line for what it does not."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tuiflow.config import Config, ConfigError, config_path, load_config, parse_config


def test_missing_file_is_defaults_without_complaint(tmp_path: Path):
    assert load_config(tmp_path / "absent.toml") == (Config(), None)


def test_every_setting(tmp_path: Path):
    path = tmp_path / "config.toml"
    path.write_text(
        "# comment\nread_only = true\ntheme = ' nord '\nwatch_seconds = 0.5\n"
        "[keymap]\n"
        '"tuiflow.runs.sort_asc" = "o"\n'
        'tuiflow.app.quit = "q, ctrl+q"\n'  # unquoted: a nested table in TOML, flattened
    )
    config, complaint = load_config(path)
    assert complaint is None
    assert config == Config(
        read_only=True,
        theme="nord",
        watch_seconds=0.5,
        keymap={"tuiflow.runs.sort_asc": "o", "tuiflow.app.quit": "q,ctrl+q"},
    )


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ('theme = "nord', "not valid TOML"),
        ("colour = 1", "unknown setting 'colour'"),
        ('read_only = "yes"', "read_only must be true or false"),
        ("theme = 3", "theme must be"),
        ('theme = ""', "theme must be"),
        ('watch_seconds = "5"', "watch_seconds must be a number"),
        ("watch_seconds = true", "watch_seconds must be a number"),
        ("watch_seconds = 0", "at least"),
        ("watch_seconds = nan", "at least"),
        ('keymap = "o"', "keymap must be a table"),
        ('[keymap]\n"tuiflow.app.quit" = 1', "keymap 'tuiflow.app.quit'"),
        ('[keymap]\n"tuiflow.app.quit" = " "', "keymap 'tuiflow.app.quit'"),
    ],
)
def test_broken_files_give_one_line_and_defaults(tmp_path: Path, text: str, needle: str):
    path = tmp_path / "config.toml"
    path.write_text(text + "\n")
    config, complaint = load_config(path)
    assert config == Config()
    assert complaint is not None and needle in complaint
    assert "\n" not in complaint and str(path) in complaint and complaint.endswith("defaults")
    with pytest.raises(ConfigError):
        parse_config(text)


def test_unreadable_file_is_a_complaint(tmp_path: Path):
    (tmp_path / "config.toml").mkdir()  # a folder where the file should be
    config, complaint = load_config(tmp_path / "config.toml")
    assert config == Config() and complaint is not None and "cannot be read" in complaint


def test_not_utf8_is_a_complaint(tmp_path: Path):
    path = tmp_path / "config.toml"
    path.write_bytes(b'theme = "\xff"\n')
    config, complaint = load_config(path)
    assert config == Config() and complaint is not None and "\n" not in complaint


def test_path_follows_env_then_platform_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("TUIFLOW_CONFIG", str(tmp_path / "mine.toml"))
    assert config_path() == tmp_path / "mine.toml"
    monkeypatch.delenv("TUIFLOW_CONFIG")
    if sys.platform != "linux":
        return  # platformdirs reads XDG_CONFIG_HOME on Linux only
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    assert config_path() == tmp_path / "xdg" / "tuiflow" / "config.toml"
