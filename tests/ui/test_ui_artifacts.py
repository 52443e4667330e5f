"""Run detail, Artifacts tab (`5`): a lazily listed tree and a preview of each kind.

sample_mlruns' iris runs hold confusion_matrix.png, report.json, config.yaml and
eval/predictions.csv; MLflow 3 keeps logged models outside the run's artifacts, so a run
with `model/MLmodel` (and binary, empty and remote-root cases) is written by MLflow here.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from rich.console import Console
from rich.syntax import Syntax
from textual.widgets import DataTable, Static
from uihelp import SAMPLE, plain, run_ui, settle

from tuiflow.stores.file import FileStore
from tuiflow.ui.screens.run_detail import RunDetailScreen
from tuiflow.ui.widgets.artifact_preview import ArtifactPreview
from tuiflow.ui.widgets.artifact_tree import ArtifactTree
from tuiflow.ui.widgets.terminal_image import HalfBlocks

SAMPLE_RUN = "98daa4bf75594f89b3fb95ee22432045"  # newton-cg-big-C
MLMODEL = SAMPLE / "521045948341442715" / "models" / "m-9ad9b9a25e78454db065a1c284cc4549"


def labels(node) -> list[str]:
    return [plain(child.label) for child in node.children]


def find(tree: ArtifactTree, path: str):
    node = tree.nodes.get(path)
    if node is not None:
        return node
    parent = tree.nodes[path.rpartition("/")[0]]
    return next(c for c in parent.children if c.data is not None and c.data.path == path)


async def open_artifacts(pilot, run_id: str) -> ArtifactTree:
    app = pilot.app
    app.push_screen(RunDetailScreen(app.store.get_run(run_id)))
    await settle(pilot)
    await pilot.press("5")
    await settle(pilot)
    tree = app.screen.query_one(ArtifactTree)
    assert tree.has_focus
    return tree


async def preview_of(pilot, tree: ArtifactTree, path: str):
    tree.move_cursor(find(tree, path))
    await settle(pilot)
    pane = pilot.app.screen.query_one(ArtifactPreview)
    assert pane.shown is not None and pane.shown.path == path, path
    return pane, list(pane.query_one("#preview-body").children)


def test_sample_run_artifacts_list_and_preview(sample_store):
    async def body(pilot, app):
        tree = await open_artifacts(pilot, SAMPLE_RUN)
        art = SAMPLE / "521045948341442715" / SAMPLE_RUN / "artifacts"
        size = {p: (art / p).stat().st_size for p in ("config.yaml", "report.json")}
        assert labels(tree.root) == [
            f"config.yaml  {size['config.yaml']} B",
            f"confusion_matrix.png  {(art / 'confusion_matrix.png').stat().st_size / 1024:.1f} KiB",
            "eval/",
            f"report.json  {size['report.json']} B",
        ]
        eval_node = find(tree, "eval")
        assert labels(eval_node) == []  # not listed until opened
        await pilot.press("j", "j", "j")  # onto eval/
        await pilot.press("l")  # open it
        await settle(pilot)
        assert [x.split()[0] for x in labels(eval_node)] == ["predictions.csv"]

        pane, widgets = await preview_of(pilot, tree, "config.yaml")
        assert pane.shown.preview.kind == "yaml"
        assert "solver: newton-cg" in _static_text(widgets[0])

        pane, widgets = await preview_of(pilot, tree, "report.json")
        assert pane.shown.preview.kind == "json"
        assert '"classes": [' in _static_text(widgets[0])

        pane, widgets = await preview_of(pilot, tree, "eval/predictions.csv")
        assert pane.shown.preview.kind == "csv"
        table = widgets[0]
        assert isinstance(table, DataTable) and table.row_count == 20
        assert [plain(c.label) for c in table.ordered_columns] == ["true", "predicted"]

        pane, widgets = await preview_of(pilot, tree, "confusion_matrix.png")
        assert pane.shown.preview.kind == "image" and pane.shown.error is None
        # No graphics terminal here: drawn as half blocks, two pixels per cell.
        blocks = widgets[0].content
        assert isinstance(blocks, HalfBlocks)
        drawn = list(Console(width=40).render(blocks))
        assert {s.text for s in drawn if s.text != "\n"} == {"▀"}
        header = plain(pane.query_one("#preview-header", Static).render())
        assert "PNG 230×216" in header

    run_ui(sample_store, body, size=(140, 40))


def _static_text(widget) -> str:
    content = widget.content
    if isinstance(content, Syntax):
        return content.code
    return plain(content)


@pytest.fixture
def odd_store(tmp_path, monkeypatch):
    """MLflow-written runs: one with model/MLmodel and odd files, one on a remote root."""
    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")
    from mlflow import MlflowClient

    root = tmp_path / "mlruns"
    client = MlflowClient(tracking_uri=root.as_uri())
    run = client.create_run(client.create_experiment("odd")).info.run_id
    src = tmp_path / "src"
    (src / "model").mkdir(parents=True)
    (src / "empty_dir").mkdir()
    shutil.copy(MLMODEL / "artifacts" / "MLmodel", src / "model" / "MLmodel")
    (src / "weights.bin").write_bytes(bytes(range(256)) * 8)
    (src / "empty.txt").write_bytes(b"")
    (src / "fake.png").write_bytes(b"\x89PNG\r\n\x1a\nbroken")
    (src / "ansi.log").write_text("\x1b[31mred\x1b]0;title\x07 done\n")
    (src / "big.log").write_text("line\n" * 300_000)
    client.log_artifacts(run, str(src))
    (src / "empty_dir" / "keep").write_text("x")
    client.log_artifacts(run, str(src / "empty_dir"), "empty_dir")
    remote = client.create_run(
        client.create_experiment("remote", artifact_location="s3://bucket/nowhere")
    ).info.run_id
    store = FileStore(root)
    yield store, run, remote
    store.close()


def test_mlmodel_binary_empty_and_broken_previews(odd_store):
    store, run, _ = odd_store

    async def body(pilot, app):
        tree = await open_artifacts(pilot, run)
        model = find(tree, "model")
        model.expand()
        await settle(pilot)
        pane, widgets = await preview_of(pilot, tree, "model/MLmodel")
        assert pane.shown.preview.kind == "mlmodel"
        sections = dict(pane.shown.preview.sections)
        assert "sklearn" in dict(sections["Flavors"])
        assert app.screen.query_one(ArtifactPreview).shown.error is None
        assert len(widgets) == 1

        pane, widgets = await preview_of(pilot, tree, "weights.bin")
        assert pane.shown.preview.kind == "binary"
        assert _static_text(widgets[0]).startswith("00000000  00 01 02")

        pane, widgets = await preview_of(pilot, tree, "empty.txt")
        assert pane.shown.preview.kind == "empty" and widgets == []

        pane, widgets = await preview_of(pilot, tree, "fake.png")
        assert pane.shown.preview.kind == "image"
        assert pane.shown.error and pane.shown.error.startswith("cannot decode image")
        assert widgets == []

        pane, widgets = await preview_of(pilot, tree, "ansi.log")
        shown = _static_text(widgets[0])
        assert "\x1b" not in shown and "\\x1b[31mred" in shown

        pane, widgets = await preview_of(pilot, tree, "big.log")
        header = plain(pane.query_one("#preview-header", Static).render())
        assert "showing the first 1.0 MiB of 1.4 MiB" in header

    run_ui(store, body, size=(140, 40))


def test_remote_root_is_explained_in_the_tree(odd_store):
    store, _, remote = odd_store

    async def body(pilot, app):
        tree = await open_artifacts(pilot, remote)
        assert len(labels(tree.root)) == 1
        assert labels(tree.root)[0].startswith("cannot list:")
        assert "s3://" in labels(tree.root)[0]

    run_ui(store, body, size=(140, 40))


def test_refresh_lists_again(odd_store):
    store, run, _ = odd_store

    async def body(pilot, app):
        tree = await open_artifacts(pilot, run)
        before = labels(tree.root)
        root = Path(store.artifact_root(run).removeprefix("file://"))
        (root / "zzz_new.txt").write_text("new")
        await pilot.press("r")
        await settle(pilot)
        after = labels(app.screen.query_one(ArtifactTree).root)
        assert after == [*before, "zzz_new.txt  3 B"]

    run_ui(store, body, size=(140, 40))


def test_sqlite_run_artifacts(sqlite_backend):
    run_id = sqlite_backend.ids["artifact_run"]

    async def body(pilot, app):
        tree = await open_artifacts(pilot, run_id)
        assert labels(tree.root) == ["model/", "notes.md  8 B", "plots/"]
        pane, widgets = await preview_of(pilot, tree, "notes.md")
        assert pane.shown.preview.kind == "text"
        assert _static_text(widgets[0]) == "# notes\n"
        find(tree, "plots").expand()
        await settle(pilot)
        pane, widgets = await preview_of(pilot, tree, "plots/a.png")
        assert pane.shown.preview.kind == "text"  # MLflow's test file is no PNG at all

    run_ui(sqlite_backend.store, body, size=(140, 40))
