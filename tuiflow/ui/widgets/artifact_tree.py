"""The Artifacts tab of run detail: a lazily listed tree beside a preview pane.

A folder is listed (`Store.list_artifacts(run_id, path)`) in a worker the first time it
is expanded, like harlequin's database tree; moving the cursor onto a file previews it.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass
from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.message import Message
from textual.widgets import Tree
from textual.widgets.tree import TreeNode

from tuiflow.entities import FileInfo
from tuiflow.textsafe import inert
from tuiflow.ui import keys
from tuiflow.ui.widgets.artifact_preview import ArtifactPreview

ROOT = ""  # the artifact root's path in listings and in `ArtifactTree.nodes`


@dataclass
class ArtifactsListed(Message):
    run_id: str
    path: str
    files: tuple[FileInfo, ...]
    error: str | None = None


def _size(n: int | None) -> str:
    if n is None:
        return ""
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024  # type: ignore[assignment]
    return ""


def file_label(info: FileInfo) -> Text:
    name = inert(posixpath.basename(info.path.rstrip("/")) or info.path, single_line=True)
    if info.is_dir:
        return Text.assemble((name + "/", "bold"))
    return Text.assemble(name, ("  " + _size(info.file_size), "dim"))


class ArtifactTree(Tree[FileInfo | None]):
    """Folders carry their FileInfo and are listed on first expansion."""

    BINDINGS = keys.ARTIFACTS

    DEFAULT_CSS = """
    ArtifactTree {
        width: 1fr;
        height: 1fr;
        min-width: 24;
    }
    """

    def __init__(self, run_id: str, **kwargs: Any) -> None:
        super().__init__(Text("artifacts", style="bold"), data=None, **kwargs)
        self.run_id = run_id
        self.nodes: dict[str, TreeNode[FileInfo | None]] = {ROOT: self.root}
        self.listed: set[str] = set()
        self.guide_depth = 3

    def start(self, run_id: str) -> None:
        """(Re)list the root for `run_id`, forgetting everything listed before."""
        self.run_id = run_id
        self.clear()
        self.nodes = {ROOT: self.root}
        self.listed = set()
        self.root.expand()
        self._list(ROOT)

    def _list(self, path: str) -> None:
        if path in self.listed:
            return
        self.listed.add(path)
        node = self.nodes[path]
        node.add_leaf(Text("loading…", style="dim"), data=None)
        self._load(self.run_id, path)

    @work(thread=True, group="artifact-list", exit_on_error=False)
    def _load(self, run_id: str, path: str) -> None:
        store = self.app.store  # type: ignore[attr-defined]
        try:
            files = tuple(store.list_artifacts(run_id, path or None))
        except Exception as exc:  # StoreError for remote roots, NotFoundError, network
            self.post_message(ArtifactsListed(run_id, path, (), inert(str(exc), single_line=True)))
            return
        self.post_message(ArtifactsListed(run_id, path, files))

    def on_artifacts_listed(self, message: ArtifactsListed) -> None:
        message.stop()
        node = self.nodes.get(message.path)
        if message.run_id != self.run_id or node is None:
            return
        node.remove_children()
        if message.error:
            node.add_leaf(Text(f"cannot list: {message.error}", style="red"), data=None)
            return
        if not message.files:
            node.add_leaf(Text("(empty)", style="dim"), data=None)
            return
        for info in message.files:
            if info.is_dir:
                child = node.add(file_label(info), data=info)
                self.nodes[info.path.rstrip("/")] = child
            else:
                node.add_leaf(file_label(info), data=info)
        if node is self.root and self.cursor_line < 0:
            self.cursor_line = 0

    @on(Tree.NodeExpanded)
    def _on_expanded(self, event: Tree.NodeExpanded[FileInfo | None]) -> None:
        info = event.node.data
        if info is not None and info.is_dir:
            self._list(info.path.rstrip("/"))


class ArtifactsBrowser(Horizontal):
    """Tree on the left, preview on the right; started when the tab is first shown."""

    DEFAULT_CSS = """
    ArtifactsBrowser {
        height: 1fr;
    }
    """

    def __init__(self, run_id: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.run_id = run_id
        self.started = False

    def compose(self) -> ComposeResult:
        yield ArtifactTree(self.run_id, id="artifact-tree")
        yield ArtifactPreview(self.run_id, id="artifact-preview")

    @property
    def tree(self) -> ArtifactTree:
        return self.query_one(ArtifactTree)

    @property
    def preview(self) -> ArtifactPreview:
        return self.query_one(ArtifactPreview)

    def start(self, run_id: str | None = None) -> None:
        """List the run's artifact root (again, when `run_id` is given or it changed)."""
        if run_id is not None:
            self.run_id = run_id
        self.started = True
        self.preview.set_run(self.run_id)
        self.preview.wanted = None
        self.tree.start(self.run_id)

    @on(Tree.NodeHighlighted, "#artifact-tree")
    def _on_highlighted(self, event: Tree.NodeHighlighted[FileInfo | None]) -> None:
        info = event.node.data
        if info is not None and not info.is_dir:
            self.preview.load(info)

    @on(Tree.NodeSelected, "#artifact-tree")
    def _on_selected(self, event: Tree.NodeSelected[FileInfo | None]) -> None:
        info = event.node.data
        if info is not None and not info.is_dir:
            self.preview.load(info)
