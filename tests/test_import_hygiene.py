"""Headless modules never load Textual or MLflow (ARCHITECTURE habit 2).

Checked in a fresh interpreter, because this test process has already imported both.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

MODULES = [
    "tuiflow.stores.file",
    "tuiflow.stores.sql",
    "tuiflow.stores.rest",
    "tuiflow.query",
    "tuiflow.query.parser",
    "tuiflow.query.evaluate",
    "tuiflow.entities",
    "tuiflow.errors",
    "tuiflow.locate",
    "tuiflow.cli",
    "tuiflow.launch",
    "tuiflow.explore",
]
FORBIDDEN = ("textual", "mlflow")

_PROBE = """
import importlib, json, sys
importlib.import_module(sys.argv[1])
print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in {forbidden!r})))
"""


def _loaded_forbidden(module: str) -> list[str]:
    probe = _PROBE.format(forbidden=set(FORBIDDEN))
    proc = subprocess.run(
        [sys.executable, "-c", probe, module], capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, f"importing {module} failed:\n{proc.stderr[-2000:]}"
    return json.loads(proc.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("module", MODULES)
def test_module_loads_neither_textual_nor_mlflow(module: str) -> None:
    assert _loaded_forbidden(module) == []


def test_probe_detects_a_forbidden_import() -> None:
    """The probe itself works: importing textual directly is reported."""
    assert "textual" in _loaded_forbidden("textual")
