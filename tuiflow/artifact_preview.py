"""Decide how to preview an artifact from its name and first bytes; describe the preview.

Pure: no I/O, no UI. The UI reads the bytes (`Store.read_artifact`) and renders the
`Preview` this module returns: text (JSON pretty-printed, YAML as written), a table for
CSV/TSV, labelled sections for an `MLmodel` file, an image, or a hex dump of binary data.
"""

from __future__ import annotations

import csv
import io
import json
import posixpath
import struct
from dataclasses import dataclass

from tuiflow.artifact_mlmodel import mlmodel_sections

TEXT_LIMIT = 64 * 1024  # characters of text shown
CSV_ROWS = 50
HEX_BYTES = 256
YAML_PARSE_LIMIT = 256 * 1024  # larger YAML is shown without a syntax check

Section = tuple[str, tuple[tuple[str, str], ...]]

_IMAGE_MAGIC = (
    (b"\x89PNG\r\n\x1a\n", "PNG"),
    (b"\xff\xd8\xff", "JPEG"),
    (b"GIF87a", "GIF"),
    (b"GIF89a", "GIF"),
    (b"BM", "BMP"),
)
_IMAGE_EXT = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG", ".gif": "GIF", ".bmp": "BMP"}
_TEXT_EXT = {".json": "json", ".yaml": "yaml", ".yml": "yaml", ".csv": "csv", ".tsv": "tsv"}


@dataclass(frozen=True, slots=True)
class Preview:
    """What to show for one artifact file.

    kind: text | json | yaml | csv | mlmodel | image | binary | empty
    """

    kind: str
    path: str
    size: int | None  # whole file size when known
    text: str = ""  # text/json/yaml (cut at TEXT_LIMIT); hex dump for binary
    language: str | None = None  # syntax to highlight text with
    columns: tuple[str, ...] = ()  # csv
    rows: tuple[tuple[str, ...], ...] = ()  # csv
    sections: tuple[Section, ...] = ()  # mlmodel
    image: bytes = b""  # image
    image_format: str | None = None
    image_size: tuple[int, int] | None = None  # pixels (width, height) from the header
    notes: tuple[str, ...] = ()  # one-line remarks: truncation, parse errors


def image_format(data: bytes) -> str | None:
    for magic, name in _IMAGE_MAGIC:
        if data.startswith(magic):
            # "BM" alone is too weak: a BMP also names its header size at offset 14.
            if name == "BMP" and (len(data) < 18 or data[14] not in (12, 40, 52, 56, 64, 108, 124)):
                continue
            return name
    return None


def image_dimensions(data: bytes, fmt: str) -> tuple[int, int] | None:
    """(width, height) read from the image header, or None when it cannot be read."""
    try:
        if fmt == "PNG" and data[12:16] == b"IHDR":
            return struct.unpack(">II", data[16:24])
        if fmt == "GIF":
            return struct.unpack("<HH", data[6:10])
        if fmt == "BMP":
            if data[14] == 12:
                return struct.unpack("<HH", data[18:22])
            width, height = struct.unpack("<ii", data[18:26])
            return width, abs(height)
        if fmt == "JPEG":
            return _jpeg_dimensions(data)
    except (struct.error, IndexError):
        return None
    return None


def _jpeg_dimensions(data: bytes) -> tuple[int, int] | None:
    i = 2
    while i + 9 < len(data):
        if data[i] != 0xFF:
            return None
        marker = data[i + 1]
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:
            i += 2
            continue
        length = struct.unpack(">H", data[i + 2 : i + 4])[0]
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            height, width = struct.unpack(">HH", data[i + 5 : i + 9])
            return width, height
        i += 2 + length
    return None


def is_binary(data: bytes) -> bool:
    """NUL bytes, or bytes that are neither UTF-8 nor mostly printable, in the first 8 KiB."""
    head = data[:8192]
    if b"\0" in head:
        return True
    try:
        head.decode("utf-8")
        return False
    except UnicodeDecodeError as exc:
        if exc.reason == "unexpected end of data":  # a character cut at the end of the sample
            return False
    controls = sum(1 for b in head if b < 32 and b not in (9, 10, 12, 13))
    return controls > len(head) * 0.1


def decode_text(data: bytes) -> str:
    """UTF-8 (a BOM dropped, a character cut at the end ignored), undecodable bytes replaced."""
    return data.decode("utf-8-sig", errors="replace").rstrip("\ufffd") if data else ""


def kind_of(path: str, data: bytes) -> str:
    name = posixpath.basename(path)
    if not data:
        return "empty"
    if image_format(data):
        return "image"
    if name == "MLmodel":
        return "mlmodel"
    if is_binary(data):
        return "binary"
    kind = _TEXT_EXT.get(posixpath.splitext(name)[1].lower())
    if kind == "tsv":
        return "csv"
    return kind or "text"


def build_preview(
    path: str, data: bytes, size: int | None = None, *, truncated: bool | None = None
) -> Preview:
    """The preview of `path` from its first bytes `data`.

    `size` is the whole file's size when known; `truncated` says whether `data` is only
    the start of the file (by default: when `size` is larger than `data`).
    """
    if truncated is None:
        truncated = size is not None and size > len(data)
    kind = kind_of(path, data)
    notes: list[str] = []
    if truncated:
        whole = f" of {_kib(size)}" if size is not None and size > len(data) else ""
        notes.append(f"showing the first {_kib(len(data))}{whole}")
    if kind == "empty":
        return Preview("empty", path, size, notes=("empty file",))
    if kind == "image":
        fmt = image_format(data) or ""
        dims = image_dimensions(data, fmt)
        if truncated:
            notes[-1] = f"image larger than {_kib(len(data))} is not previewed"
        return Preview("image", path, size, image=b"" if truncated else data, image_format=fmt,
                       image_size=dims, notes=tuple(notes))  # fmt: skip
    if kind == "binary":
        ext = _IMAGE_EXT.get(posixpath.splitext(path)[1].lower())
        if ext:
            notes.append(f"not a valid {ext} file")
        notes.append("binary file; first bytes shown")
        return Preview("binary", path, size, text=hexdump(data[:HEX_BYTES]), notes=tuple(notes))
    text = decode_text(data)
    if kind == "mlmodel":
        sections, error = mlmodel_sections(text) if not truncated else ((), "file is truncated")
        if sections:
            return Preview("mlmodel", path, size, sections=sections, notes=tuple(notes))
        notes.append(f"cannot read as MLmodel ({error}); shown as YAML")
        kind = "yaml"
    if kind == "json":
        return _json(path, size, text, truncated, notes)
    if kind == "yaml":
        return _yaml(path, size, text, truncated, notes)
    if kind == "csv":
        return _csv(path, size, text, truncated, notes)
    return Preview("text", path, size, text=_cut(text, notes), notes=tuple(notes))


def _json(path: str, size: int | None, text: str, truncated: bool, notes: list[str]) -> Preview:
    if not truncated:
        try:
            text = json.dumps(json.loads(text), indent=2, ensure_ascii=False)
        except (ValueError, RecursionError) as exc:
            notes.append(f"invalid JSON ({_first_line(exc)}); shown as text")
    return Preview("json", path, size, text=_cut(text, notes), language="json", notes=tuple(notes))


def _yaml(path: str, size: int | None, text: str, truncated: bool, notes: list[str]) -> Preview:
    if not truncated and len(text) <= YAML_PARSE_LIMIT:
        import yaml

        try:
            # Each document is only checked, never expanded, so alias bombs stay cheap.
            for _ in yaml.safe_load_all(text):
                pass
        except yaml.YAMLError as exc:
            notes.append(f"invalid YAML ({_first_line(exc)})")
    return Preview("yaml", path, size, text=_cut(text, notes), language="yaml", notes=tuple(notes))


def _csv(path: str, size: int | None, text: str, truncated: bool, notes: list[str]) -> Preview:
    delimiter = "\t" if path.lower().endswith(".tsv") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows: list[list[str]] = []
    try:
        for row in reader:
            rows.append(row)
            if len(rows) > CSV_ROWS + 1:
                break
    except csv.Error as exc:
        notes.append(f"cannot read as CSV ({_first_line(exc)}); shown as text")
        return Preview("text", path, size, text=_cut(text, notes), notes=tuple(notes))
    if not rows:
        return Preview("empty", path, size, notes=("no rows",))
    header, body = rows[0], rows[1 : CSV_ROWS + 1]
    width = max(len(header), *(len(r) for r in body)) if body else len(header)
    columns = tuple(header) + tuple(f"column {i + 1}" for i in range(len(header), width))
    table = tuple(tuple(r) + ("",) * (width - len(r)) for r in body)
    if len(rows) > CSV_ROWS + 1 or (truncated and body):
        notes.append(f"first {len(body)} rows")
    return Preview("csv", path, size, columns=columns, rows=table, notes=tuple(notes))


def hexdump(data: bytes) -> str:
    lines = []
    for offset in range(0, len(data), 16):
        chunk = data[offset : offset + 16]
        hexes = " ".join(f"{b:02x}" for b in chunk)
        chars = "".join(chr(b) if 32 <= b < 127 else "." for b in chunk)
        lines.append(f"{offset:08x}  {hexes:<47}  {chars}")
    return "\n".join(lines)


def _cut(text: str, notes: list[str]) -> str:
    if len(text) <= TEXT_LIMIT:
        return text
    notes.append(f"showing the first {TEXT_LIMIT // 1024} KiB of text")
    return text[:TEXT_LIMIT]


def _kib(n: int) -> str:
    if n < 1024:
        return f"{n} B"
    if n < 1024 * 1024:
        return f"{n / 1024:.1f} KiB"
    return f"{n / (1024 * 1024):.1f} MiB"


def _first_line(exc: Exception) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
