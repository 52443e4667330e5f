"""Table cells for untrusted values: always `Text` (never markup) and always `inert`."""

from __future__ import annotations

from rich.text import Text

from tuiflow import humanize
from tuiflow.cli_tables import STATUS_STYLE
from tuiflow.entities import DELETED, Metric
from tuiflow.textsafe import inert


def text(value: object, style: str = "", justify: str | None = None) -> Text:
    shown = "" if value is None else inert(str(value), single_line=True)
    return Text(shown, style=style, justify=justify, no_wrap=True, overflow="ellipsis")  # type: ignore[arg-type]


def status(value: str) -> Text:
    return text(value, STATUS_STYLE.get(value, ""))


def lifecycle(value: str) -> Text:
    return text(value, "red" if value == DELETED else "")


def number(value: float | None) -> Text:
    return text("" if value is None else humanize.number(value), justify="right")


def metric(value: Metric | None) -> Text:
    return number(None if value is None else value.value)
