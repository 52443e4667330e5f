"""tuiflow.textsafe.inert: controls and disguising format characters spelled out, text kept."""

from __future__ import annotations

import unicodedata

import pytest

from tuiflow.textsafe import inert


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("\x1b]0;pwned\x07", "\\x1b]0;pwned\\x07"),
        ("\x1b[2J\x1b[31mred", "\\x1b[2J\\x1b[31mred"),
        ("\x9b31m", "\\x9b31m"),  # C1 CSI
        ("a\x00b\x7f", "a\\x00b\\x7f"),
        ("abc\u202etxt.exe", "abc\\u202etxt.exe"),  # RLO: would show "abcexe.txt"
        ("\u2066\u2067\u2068x\u2069", "\\u2066\\u2067\\u2068x\\u2069"),  # isolates
        ("\u202a\u202b\u202c\u202d", "\\u202a\\u202b\\u202c\\u202d"),  # embeddings, LRO
        ("ad\u200bmin", "ad\\u200bmin"),  # zero width space: "admin" lookalike
        ("\u200e\u200f\u061c", "\\u200e\\u200f\\u061c"),  # LRM, RLM, ALM
        ("\ufeffbom", "\\ufeffbom"),
        ("a\u2028b\u2029c", "a\\u2028b\\u2029c"),  # line breaks to some renderers
        ("x\u2060\u2064y", "x\\u2060\\u2064y"),  # word joiner, invisible plus
    ],
)
def test_unsafe_characters_are_spelled_out(raw: str, shown: str) -> None:
    assert inert(raw) == shown
    assert inert(raw, single_line=True) == shown


@pytest.mark.parametrize(
    "text",
    [
        "👩\u200d💻 dev",  # ZWJ emoji sequence
        "می\u200cخواهم",  # Persian needs ZWNJ
        "क्\u200dष",  # Devanagari with ZWJ
        "❤\ufe0f",  # variation selector
        "🏴\U000e0067\U000e0062\U000e0065\U000e006e\U000e0067\U000e007f",  # flag tag sequence
        "שלום مرحبا 学習率 e\u0301",  # RTL letters, CJK, combining accent
    ],
)
def test_real_text_is_kept(text: str) -> None:
    assert inert(text) == text


def test_newlines_and_tabs() -> None:
    assert inert("a\nb\tc") == "a\nb\tc"
    assert inert("a\nb\tc\r", single_line=True) == "a\\nb c\\x0d"


def test_no_bidi_control_survives() -> None:
    """Every bidi control Unicode defines (class LRE…PDI, and the marks) is spelled out."""
    bidi = [
        chr(c)
        for c in range(0x110000)
        if unicodedata.bidirectional(chr(c))
        in {"LRE", "RLE", "LRO", "RLO", "PDF", "LRI", "RLI", "FSI", "PDI"}
    ]
    assert len(bidi) == 9
    out = inert("".join(bidi))
    assert not any(c in out for c in bidi)
