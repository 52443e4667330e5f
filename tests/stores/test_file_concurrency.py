"""A process logs metrics with MlflowClient while tuiflow deletes and restores other runs
of the same experiment: no metric line is lost and no meta.yaml is ever torn."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from file_twins import client_for, populate

from tuiflow.stores.file import FileStore

STEPS = 150

LOGGER = """
import sys
from mlflow import MlflowClient
root, run_id, steps = sys.argv[1], sys.argv[2], int(sys.argv[3])
c = MlflowClient(tracking_uri="file://" + root)
print("ready", flush=True)
for i in range(steps):
    c.log_metric(run_id, "live", float(i), step=i)
"""


@pytest.fixture(autouse=True)
def _private_cwd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)


def test_metric_logging_survives_deletes_and_restores(tmp_path: Path) -> None:
    root = tmp_path / "mlruns"
    ids = populate(root)
    others = [ids["r1"], ids["r2"], ids["r3"]]
    proc = subprocess.Popen(
        [sys.executable, "-c", LOGGER, str(root), ids["r4"], str(STEPS)],
        stdout=subprocess.PIPE,
        text=True,
        cwd=tmp_path,
    )
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
        store = FileStore(root)
        rounds = 0
        while proc.poll() is None or rounds < 20:
            store.delete_runs(others)
            store.restore_runs(others)
            rounds += 1
            if rounds > 2000:
                break
        assert proc.wait(timeout=120) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    lines = (root / ids["alpha"] / ids["r4"] / "metrics" / "live").read_text().splitlines()
    assert [float(x.split()[1]) for x in lines] == [float(i) for i in range(STEPS)]
    for meta in root.rglob("meta.yaml"):
        assert isinstance(yaml.safe_load(meta.read_text()), dict), meta
    history = client_for(root).get_metric_history(ids["r4"], "live")
    assert len(history) == STEPS
    assert rounds >= 20
    assert all(client_for(root).get_run(r).info.lifecycle_stage == "active" for r in others)
