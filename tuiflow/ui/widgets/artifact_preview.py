"""The preview pane of the Artifacts tab: reads a file in a worker and shows it.

The bytes come from `Store.read_artifact` (at most 1 MiB, 16 MiB for images); what to
show is decided by the pure `tuiflow.artifact_preview`. Images are decoded with Pillow in
the worker and drawn by textual-image (Sixel / Kitty graphics where the terminal has
them, coloured half blocks otherwise).

How an image is drawn (terminal graphics or half blocks) is decided in terminal_image.py,
imported with the app, before Textual takes over stdin.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

from rich.console import Group
from rich.syntax import Syntax
from rich.table import Table
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.message import Message
from textual.widgets import DataTable, Static

from tuiflow.artifact_preview import Preview, build_preview
from tuiflow.entities import FileInfo
from tuiflow.stores.base import ARTIFACT_READ_MAX_BYTES
from tuiflow.textsafe import inert
from tuiflow.ui.widgets import cells
from tuiflow.ui.widgets.terminal_image import image_widget

IMAGE_MAX_BYTES = 16 * 1_048_576
IMAGE_MAX_PIXELS = 40_000_000  # a decompression bomb is refused before decoding
THUMBNAIL = (1600, 1600)  # no terminal shows more; smaller is faster to draw
_IMAGE_EXTS = (".png", ".jpg", ".jpeg", ".gif", ".bmp")


@dataclass
class PreviewReady(Message):
    run_id: str
    path: str
    preview: Preview | None
    image: Any = None  # a decoded PIL image for kind "image"
    error: str | None = None


def read_preview(store: Any, run_id: str, info: FileInfo) -> PreviewReady:
    """Read and describe one artifact (runs in a worker thread; never raises)."""
    limit = IMAGE_MAX_BYTES if info.path.lower().endswith(_IMAGE_EXTS) else ARTIFACT_READ_MAX_BYTES
    try:
        data = store.read_artifact(run_id, info.path, max_bytes=limit + 1)
    except Exception as exc:  # StoreError, NotFoundError, a broken connection: shown in place
        return PreviewReady(run_id, info.path, None, error=inert(str(exc), single_line=True))
    truncated = len(data) > limit
    preview = build_preview(info.path, data[:limit], info.file_size, truncated=truncated)
    if preview.kind != "image" or not preview.image:
        return PreviewReady(run_id, info.path, preview)
    try:
        return PreviewReady(run_id, info.path, preview, image=_decode_image(preview))
    except Exception as exc:  # Pillow's errors are many and undocumented
        error = f"cannot decode image: {inert(str(exc), single_line=True)}"
        return PreviewReady(run_id, info.path, preview, error=error)


def _decode_image(preview: Preview) -> Any:
    from PIL import Image

    width, height = preview.image_size or (0, 0)
    if width * height > IMAGE_MAX_PIXELS:
        raise ValueError(f"{width}×{height} pixels is too large to draw")
    image = Image.open(io.BytesIO(preview.image))
    if image.width * image.height > IMAGE_MAX_PIXELS:
        raise ValueError(f"{image.width}×{image.height} pixels is too large to draw")
    image.load()
    image.thumbnail(THUMBNAIL)
    return image


class ArtifactPreview(Vertical):
    """Header (path, size, notes) above a body that depends on the preview's kind."""

    DEFAULT_CSS = """
    ArtifactPreview {
        width: 2fr;
        height: 1fr;
        border-left: solid $panel;
    }
    ArtifactPreview #preview-header {
        height: auto;
        padding: 0 1;
        background: $panel;
    }
    ArtifactPreview #preview-body {
        height: 1fr;
    }
    ArtifactPreview #preview-body > Static {
        width: auto;
        padding: 0 1;
    }
    ArtifactPreview #preview-body > DataTable {
        height: auto;
        max-height: 100%;
    }
    ArtifactPreview #preview-body > Image {
        width: auto;
        height: auto;
    }
    """

    def __init__(self, run_id: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.run_id = run_id
        self.wanted: str | None = None
        self.shown: PreviewReady | None = None

    def compose(self) -> ComposeResult:
        yield Static(Text("Select a file to preview it.", style="dim"), id="preview-header")
        yield VerticalScroll(id="preview-body")

    def set_run(self, run_id: str) -> None:
        self.run_id = run_id

    def load(self, info: FileInfo) -> None:
        if info.is_dir or info.path == self.wanted:
            return
        self.wanted = info.path
        path = inert(info.path, single_line=True)
        self._header(Text.assemble((path, "bold"), ("  loading…", "dim")))
        self._read(self.run_id, info)

    @work(thread=True, exclusive=True, group="artifact-preview", exit_on_error=False)
    def _read(self, run_id: str, info: FileInfo) -> None:
        self.post_message(read_preview(self.app.store, run_id, info))  # type: ignore[attr-defined]

    async def on_preview_ready(self, message: PreviewReady) -> None:
        message.stop()
        if message.run_id != self.run_id or message.path != self.wanted:
            return  # the user moved on before this read finished
        self.shown = message
        body = self.query_one("#preview-body", VerticalScroll)
        await body.remove_children()
        preview = message.preview
        self._header(header_text(message))
        if preview is not None:
            await body.mount_all(_body(preview, message.image))
        body.scroll_home(animate=False)

    def _header(self, text: Text) -> None:
        self.query_one("#preview-header", Static).update(text)


def header_text(message: PreviewReady) -> Text:
    preview = message.preview
    title = Text(inert(message.path, single_line=True), style="bold")
    lines = [title]
    if preview is not None:
        title.append(f"  {preview.kind}", style="cyan")
        if preview.size is not None:
            title.append(f"  {preview.size:,} bytes", style="dim")
        if preview.image_size:
            width, height = preview.image_size
            title.append(f"  {preview.image_format} {width}×{height}", style="dim")
        lines += [Text(inert(n, single_line=True), style="yellow") for n in preview.notes]
    if message.error:
        lines.append(Text(message.error, style="red"))
    return Text("\n").join(lines)


def _body(preview: Preview, image: Any) -> list[Any]:
    kind = preview.kind
    if kind in ("text", "json", "yaml"):
        text = inert(preview.text)
        if preview.language:
            return [Static(Syntax(text, preview.language, theme="ansi_dark", word_wrap=False))]
        return [Static(Text(text))]
    if kind == "binary":
        return [Static(Text(preview.text, style="dim"))]
    if kind == "csv":
        table: DataTable[Any] = DataTable(zebra_stripes=True, cursor_type="row")
        table.add_columns(*(cells.text(c, "bold") for c in preview.columns))
        for row in preview.rows:
            table.add_row(*(cells.text(v) for v in row))
        return [table]
    if kind == "mlmodel":
        return [Static(_sections(preview))]
    if kind == "image" and image is not None:
        return [image_widget(image)]
    return []


def _sections(preview: Preview) -> Group:
    parts = []
    for title, rows in preview.sections:
        table = Table(title=title, title_justify="left", title_style="bold", show_header=False,
                      box=None, padding=(0, 1))  # fmt: skip
        table.add_column(style="dim", no_wrap=True)
        table.add_column()
        for label, value in rows:
            table.add_row(Text(inert(label, single_line=True)), Text(inert(value)))
        parts.append(table)
    return Group(*parts)
