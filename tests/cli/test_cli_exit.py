"""How the `tuiflow` process ends: exit codes, exit handlers, output that cannot be written.

The console script leaves through `cli_support.leave` (os._exit after flushing), so these
run real processes: in-process tests call `main` and never reach it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "sample_mlruns"


# Python's own default: stdout buffered when it is not a terminal. (PYTHONUNBUFFERED, set
# on some machines, would leave nothing in the buffer for the exit to flush or lose.)
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}


def _tuiflow(*args: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "tuiflow", *args], text=True, timeout=120, env=ENV, **kwargs
    )


def test_large_output_arrives_whole_through_a_pipe():
    # Far more than a pipe or stdio buffer holds: nothing may be lost at the quick exit.
    proc = _tuiflow("runs", str(SAMPLE), "--view", "all", "--format", "json", capture_output=True)
    assert proc.returncode == 0, proc.stderr
    runs = json.loads(proc.stdout)
    assert len(runs) > 10
    assert proc.stderr == ""


def _entry_with_exit_handler(handler: str, *args: str) -> subprocess.CompletedProcess:
    """`tuiflow ARGS` through the console entry, with an exit handler printing `handler`
    (a Python expression) on stderr."""
    code = (
        "import atexit, gc, sys\n"
        f"atexit.register(lambda: print({handler}, file=sys.stderr))\n"
        "from tuiflow.launch import entry\n"
        "sys.argv = ['tuiflow'] + sys.argv[1:]\n"
        "entry()\n"
    )
    return subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=120, env=ENV
    )


def test_exit_handlers_run_and_the_status_is_kept():
    bad = _entry_with_exit_handler("'handler ran'", "runs", str(SAMPLE), "-f", "metrics.x >")
    assert bad.returncode == 2
    assert "handler ran" in bad.stderr
    assert "needs a value" in bad.stderr
    good = _entry_with_exit_handler("'handler ran'", "experiments", str(SAMPLE), "--format", "json")
    assert good.returncode == 0, good.stderr
    assert json.loads(good.stdout)
    assert good.stderr.strip() == "handler ran"


def test_a_plain_store_opens_without_the_command_parser(tmp_path):
    """`tuiflow STORE` reaches the explorer without typer or click (~50 ms of its start)."""
    code = (
        "import sys\n"
        "import tuiflow.ui.app\n"
        "def run_app(store, **kw):\n"
        "    loaded = {m.split('.')[0] for m in sys.modules} & {'typer', 'click'}\n"
        "    print(store.display_uri, sorted(loaded))\n"
        "tuiflow.ui.app.run_app = run_app\n"
        "from tuiflow.launch import entry\n"
        "sys.argv = ['tuiflow'] + sys.argv[1:]\n"
        "entry()\n"
    )

    env = {k: v for k, v in ENV.items() if k != "MLFLOW_TRACKING_URI"}
    env["TUIFLOW_CONFIG"] = str(tmp_path / "none.toml")  # no settings file to complain about

    def opened(*args: str) -> str:
        argv = [sys.executable, "-c", code, *args]
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=120, env=env)
        assert (proc.returncode, proc.stderr) == (0, ""), proc.stderr
        return proc.stdout.strip()

    store = SAMPLE.as_posix()
    assert opened(store).endswith(" []")
    assert opened("open", store).endswith(" ['typer']")  # the probe sees the parser
    assert opened(store).split()[0] == opened("open", store).split()[0]


@pytest.mark.parametrize(("user_rate", "drawn_at"), [(None, 120), ("30", 30)])
def test_the_explorer_draws_up_to_120_frames_a_second(user_rate, drawn_at, tmp_path):
    """Set while Textual is imported (it reads the rate once); the user's own wins."""
    code = (
        "import sys, types\n"
        "probe = types.ModuleType('tuiflow.ui.app')\n"
        "def run_app(store, **kw):\n"
        "    import os, textual.screen\n"
        "    print(round(1 / textual.screen.UPDATE_PERIOD), os.environ.get('TEXTUAL_FPS'))\n"
        "probe.run_app = run_app\n"
        "sys.modules['tuiflow.ui.app'] = probe\n"
        "from tuiflow.launch import entry\n"
        "sys.argv = ['tuiflow'] + sys.argv[1:]\n"
        "entry()\n"
    )
    env = {k: v for k, v in ENV.items() if k not in ("MLFLOW_TRACKING_URI", "TEXTUAL_FPS")}
    env["TUIFLOW_CONFIG"] = str(tmp_path / "none.toml")
    if user_rate is not None:
        env["TEXTUAL_FPS"] = user_rate
    argv = [sys.executable, "-c", code, SAMPLE.as_posix()]
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=120, env=env)
    assert (proc.returncode, proc.stderr) == (0, ""), proc.stderr
    # Set for Textual's import only: what tuiflow starts sees the user's environment.
    assert proc.stdout.split() == [str(drawn_at), str(user_rate)]


def test_the_process_collects_garbage_less_often():
    proc = _entry_with_exit_handler("gc.get_threshold()", "--version")
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.strip() == "(50000, 20, 20)"


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
@pytest.mark.parametrize("fmt", ["json", "table", "csv", "write-verb"])
def test_output_to_a_full_disk_is_one_line(fmt, tmp_path):
    args = ["runs", str(SAMPLE), "--format", fmt]
    if fmt == "write-verb":  # its confirmation line cannot be written either
        store = tmp_path / "mlruns"
        shutil.copytree(SAMPLE, store)
        exp = json.loads(_tuiflow("experiments", str(store), "--format", "json",
                                  capture_output=True).stdout)[0]  # fmt: skip
        args = ["rename-experiment", str(store), exp["experiment_id"], "renamed", "--yes"]
    with open("/dev/full", "w") as full:
        proc = _tuiflow(*args, stdout=full, stderr=subprocess.PIPE)
    assert proc.returncode == 1
    assert proc.stderr.count("\n") == 1, proc.stderr
    assert "No space left on device" in proc.stderr
    assert "Traceback" not in proc.stderr and "internal error" not in proc.stderr


@pytest.mark.parametrize(
    "args",
    [
        # Small: sits in stdout's buffer until the exit flushes it into the closed pipe.
        ("experiments", "--format", "json"),
        # Written (and flushed by rich) while the command runs; click would exit 1.
        ("runs",),
        ("runs", "--view", "all", "--format", "csv"),
    ],
)
def test_a_reader_that_left_is_not_an_error(args):
    verb, *rest = args
    proc = subprocess.Popen(
        [sys.executable, "-m", "tuiflow", verb, str(SAMPLE), *rest],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=ENV,
    )
    proc.stdout.close()  # long before the child has imported anything
    err = proc.stderr.read()
    assert proc.wait(timeout=120) == 0
    assert err == ""
