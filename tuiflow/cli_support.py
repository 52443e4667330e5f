"""What the CLI's verbs share: opening the store, reporting on stderr, writing output.

Every message goes through `say`: one inert line on stderr, passwords masked. Nothing here
imports a store backend or Textual until a verb needs it (`tuiflow --help` stays fast).
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Callable, Iterator
from enum import Enum
from typing import TYPE_CHECKING, NoReturn

import typer

from tuiflow.errors import InvalidArgumentError, QueryError

if TYPE_CHECKING:
    from tuiflow.entities import Experiment
    from tuiflow.stores.base import Store


class View(str, Enum):
    active = "active"
    deleted = "deleted"
    all = "all"


class Format(str, Enum):
    table = "table"
    json = "json"
    csv = "csv"


def say(message: str) -> None:
    from tuiflow.locate import mask_password
    from tuiflow.textsafe import inert

    # Messages quote paths and names from the store: one inert line, whatever they hold.
    typer.echo(f"tuiflow: {inert(mask_password(message), single_line=True)}", err=True)


WARNINGS_SHOWN = 5


def report_warnings(store: Store) -> None:
    """What the store skipped while reading, on stderr: the first few, then a count."""
    warnings = list(getattr(store, "warnings", ()))
    for message in warnings[:WARNINGS_SHOWN]:
        say(f"warning: {message}")
    if len(warnings) > WARNINGS_SHOWN:
        say(f"warning: … and {len(warnings) - WARNINGS_SHOWN} more problems skipped")


def fail(message: str, code: int) -> NoReturn:
    """Inside a command: report and let click return `code`."""
    say(message)
    raise typer.Exit(code)


def die(message: str, code: int) -> NoReturn:
    """Outside click: report and exit the process."""
    say(message)
    sys.exit(code)


def open_for_cli(store: str | None, headless: bool = True) -> Store:
    """`headless`: a command that prints and exits (not the explorer, which has threads)."""
    from tuiflow.locate import open_store

    opened = open_store(store)
    # Headless commands run no threads, so a file store may spread a search over forked
    # processes.
    forked = getattr(opened, "use_forked_scans", None)
    if headless and forked is not None:
        forked()
    listen = getattr(opened, "set_retry_listener", None)
    if listen is not None and sys.stderr.isatty():
        # A person is waiting: say why the answer is slow. In scripts (stderr not a
        # terminal) a failure stays the one line on stderr.
        listen(say)
    return opened


def view_type(view: View):
    from tuiflow.entities import ViewType

    return {"active": ViewType.ACTIVE_ONLY, "deleted": ViewType.DELETED_ONLY, "all": ViewType.ALL}[
        view.value
    ]


def make_console():
    from rich.console import Console

    width = shutil.get_terminal_size((120, 24)).columns if sys.stdout.isatty() else 200
    return Console(width=width, no_color=bool(os.environ.get("NO_COLOR")), highlight=False)


def write_out(text: str) -> None:
    sys.stdout.write(text)
    if not text.endswith("\n"):
        sys.stdout.write("\n")


def all_pages(fetch: Callable[[str | None], object], limit: int | None = None) -> Iterator:
    token: str | None = None
    seen = 0
    while True:
        page = fetch(token)
        for item in page.items:  # type: ignore[attr-defined]
            yield item
            seen += 1
            if limit is not None and seen >= limit:
                return
        token = page.next_page_token  # type: ignore[attr-defined]
        if not token:
            return


def resolve_experiments(store: Store, refs: list[str]) -> list[Experiment]:
    from tuiflow.entities import ViewType
    from tuiflow.errors import NotFoundError

    if not refs:
        return list(
            all_pages(lambda t: store.search_experiments(ViewType.ACTIVE_ONLY, page_token=t))
        )
    found: list[Experiment] = []
    for ref in refs:
        exp = store.get_experiment_by_name(ref)
        if exp is None:
            try:
                exp = store.get_experiment(ref)
            except (NotFoundError, QueryError):
                exp = None
        if exp is None:
            raise InvalidArgumentError(f"no experiment named or with id '{ref}'")
        if exp not in found:
            found.append(exp)
    return found
