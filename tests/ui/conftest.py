"""Fixtures for the explorer's Pilot tests: the bundled sample store and a fixed clock.

The sample store is opened read-only through the real FileStore (it was written by real
MLflow); nothing here writes to it. "Now" is the sample generator's anchor, so relative
times ("3d ago") read the same on every run.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from uihelp import ANCHOR_MS, SAMPLE

from tuiflow.stores.file import FileStore


@pytest.fixture(autouse=True)
def fixed_clock(monkeypatch: pytest.MonkeyPatch) -> int:
    monkeypatch.setattr("tuiflow.ui.clock.now_ms", lambda: ANCHOR_MS)
    return ANCHOR_MS


@pytest.fixture
def sample_store() -> FileStore:
    if not (SAMPLE / "0" / "meta.yaml").exists():
        pytest.fail("sample_mlruns/ is missing; run scripts/make_sample_store.py")
    store = FileStore(SAMPLE)
    yield store
    store.close()


@pytest.fixture
def history_path(tmp_path: Path) -> Path:
    return tmp_path / "state" / "filter_history"
