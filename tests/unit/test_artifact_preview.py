"""Pure preview decisions: which kind an artifact is and what the preview holds."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from tuiflow.artifact_preview import (
    CSV_ROWS,
    TEXT_LIMIT,
    build_preview,
    hexdump,
    image_dimensions,
    image_format,
    is_binary,
    kind_of,
)

SAMPLE = Path(__file__).resolve().parents[2] / "sample_mlruns"
RUN_ART = SAMPLE / "521045948341442715" / "98daa4bf75594f89b3fb95ee22432045" / "artifacts"
MLMODEL = (
    SAMPLE
    / "521045948341442715"
    / "models"
    / "m-9ad9b9a25e78454db065a1c284cc4549"
    / ("artifacts/MLmodel")
)


def whole(path: str, data: bytes):
    return build_preview(path, data, len(data))


def pillow_image(fmt: str, size=(7, 5)) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", size, (200, 10, 10)).save(buf, format=fmt)
    return buf.getvalue()


@pytest.mark.parametrize(
    ("path", "kind"),
    [
        ("config.yaml", "yaml"),
        ("confusion_matrix.png", "image"),
        ("eval/predictions.csv", "csv"),
        ("report.json", "json"),
    ],
)
def test_sample_artifacts(path, kind):
    data = (RUN_ART / path).read_bytes()
    preview = whole(path, data)
    assert preview.kind == kind
    assert preview.size == len(data)
    assert preview.notes == ()


def test_sample_preview_contents():
    report = whole("report.json", (RUN_ART / "report.json").read_bytes())
    assert json.loads(report.text)["classes"] == ["setosa", "versicolor", "virginica"]
    assert report.language == "json"
    csv = whole("eval/predictions.csv", (RUN_ART / "eval/predictions.csv").read_bytes())
    assert csv.columns == ("true", "predicted") and len(csv.rows) == 20
    png = whole("confusion_matrix.png", (RUN_ART / "confusion_matrix.png").read_bytes())
    assert png.image_format == "PNG" and png.image_size == (230, 216) and png.image


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "GIF", "BMP"])
def test_images_by_magic_with_dimensions(fmt):
    data = pillow_image(fmt)
    assert image_format(data) == fmt
    assert image_dimensions(data, fmt) == (7, 5)
    # The name does not matter: the bytes decide.
    preview = whole("plot.bin", data)
    assert preview.kind == "image" and preview.image == data and preview.image_size == (7, 5)


def test_truncated_image_is_not_rendered():
    data = pillow_image("PNG", (64, 64))
    preview = build_preview("a.png", data[:40], len(data))
    assert preview.kind == "image" and preview.image == b""
    assert preview.image_size == (64, 64)
    assert "is not previewed" in preview.notes[0]


def test_fake_png_is_binary_or_text_never_an_image():
    assert kind_of("plots/a.png", b"not really a png") == "text"
    preview = whole("x.png", b"\x00\x01\x02garbage")
    assert preview.kind == "binary"
    assert "not a valid PNG file" in preview.notes
    assert preview.text.startswith("00000000  00 01 02")


def test_binary_detection():
    assert is_binary(b"abc\0def")
    assert not is_binary("héllo wörld\n".encode())
    assert not is_binary("é".encode() * 10 + "é".encode()[:1])  # cut mid-character
    assert is_binary(bytes(range(1, 32)) * 20 + b"\xff")
    assert not is_binary("caf\xe9 au lait\n".encode("latin-1"))  # mostly printable


def test_text_is_decoded_and_limited():
    preview = whole("log.txt", ("é" * (TEXT_LIMIT + 10)).encode())
    assert preview.kind == "text" and len(preview.text) == TEXT_LIMIT
    assert any("first 64 KiB" in n for n in preview.notes)
    assert whole("bom.txt", b"\xef\xbb\xbfhi").text == "hi"
    cut = build_preview("a.txt", "aé".encode()[:2], 100)
    assert cut.text == "a"
    assert cut.notes == ("showing the first 2 B of 100 B",)


def test_empty_file():
    assert whole("empty.json", b"").kind == "empty"


def test_json_pretty_invalid_and_truncated():
    assert whole("a.json", b'{"a":[1,2]}').text == '{\n  "a": [\n    1,\n    2\n  ]\n}'
    bad = whole("a.json", b'{"a":')
    assert bad.kind == "json" and bad.text == '{"a":' and "invalid JSON" in bad.notes[0]
    cut = build_preview("a.json", b'{"a": 1', 2_000_000)
    assert cut.text == '{"a": 1' and len(cut.notes) == 1  # not parsed, no error claimed
    deep = whole("deep.json", b"[" * 100_000 + b"]" * 100_000)
    assert deep.kind == "json" and any("invalid JSON" in n for n in deep.notes)


def test_yaml_kept_as_written_with_error_note():
    good = whole("c.yml", b"a: 1\nb: [x, y]\n")
    assert good.kind == "yaml" and good.text == "a: 1\nb: [x, y]\n" and good.notes == ()
    bad = whole("c.yaml", b"a: [1\n")
    assert bad.kind == "yaml" and "invalid YAML" in bad.notes[0]


def test_csv_first_rows_ragged_and_tsv():
    lines = ["a,b"] + [f"{i},{i * 2}" for i in range(CSV_ROWS + 20)]
    many = whole("m.csv", "\n".join(lines).encode())
    assert len(many.rows) == CSV_ROWS and many.rows[0] == ("0", "0")
    assert many.notes == (f"first {CSV_ROWS} rows",)
    exact = whole("e.csv", "\n".join(lines[: CSV_ROWS + 1]).encode())
    assert len(exact.rows) == CSV_ROWS and exact.notes == ()
    ragged = whole("r.csv", b'a\n1,2,3\n"x, y"\n')
    assert ragged.columns == ("a", "column 2", "column 3")
    assert ragged.rows == (("1", "2", "3"), ("x, y", "", ""))
    tsv = whole("t.TSV", b"k\tv\nlr\t0.1\n")
    assert tsv.kind == "csv" and tsv.columns == ("k", "v") and tsv.rows == (("lr", "0.1"),)
    assert whole("header_only.csv", b"a,b\n").rows == ()


def test_csv_with_a_huge_field_falls_back_to_text():
    data = b'a\n"' + b"x" * 200_000 + b'"\n'
    preview = whole("big.csv", data)
    assert preview.kind == "text" and "cannot read as CSV" in preview.notes[-2]


def test_mlmodel_sections():
    preview = whole("model/MLmodel", MLMODEL.read_bytes())
    assert preview.kind == "mlmodel"
    sections = dict(preview.sections)
    model = dict(sections["Model"])
    assert model["Run ID"] == "2330fcf1562a44b888668d77e827062c"
    assert model["Model size"] == "11.4 KiB"
    flavors = dict(sections["Flavors"])
    assert set(flavors) == {"python_function", "sklearn"}
    assert "loader_module=mlflow.sklearn" in flavors["python_function"]
    inputs = dict(sections["Signature inputs"])
    assert inputs["sepal length (cm)"] == "double"
    assert dict(sections["Signature outputs"]) == {"#0": "tensor int64 [-1]"}


def test_mlmodel_without_signature_or_broken():
    minimal = whole("MLmodel", b"flavors:\n  pytorch: {pytorch_version: 2.1}\nrun_id: r1\n")
    sections = dict(minimal.sections)
    assert dict(sections["Flavors"]) == {"pytorch": "pytorch_version=2.1"}
    assert sections["Signature"] == (("", "none recorded"),)
    optional = whole(
        "MLmodel",
        b'flavors: {}\nsignature:\n  inputs: \'[{"type": "long", "name": "x", '
        b'"required": false}]\'\n  params: \'[{"name": "t", "type": "double", '
        b'"default": 0.5, "shape": null}]\'\n',
    )
    sections = dict(optional.sections)
    assert sections["Signature inputs"] == (("x", "long (optional)"),)
    assert sections["Signature params"] == (("t", "double default 0.5"),)
    broken = whole("MLmodel", b"just: text\n")
    assert broken.kind == "yaml" and "cannot read as MLmodel (no flavors)" in broken.notes[0]


def test_hexdump_layout():
    assert hexdump(b"AB\x00") == "00000000  41 42 00" + " " * 39 + "  AB."


def test_truncated_without_a_known_size():
    preview = build_preview("a.json", b'{"a": 1}', None, truncated=True)
    assert preview.text == '{"a": 1}' and preview.notes == ("showing the first 8 B",)
