"""What the CLI's verbs share: opening the store, reporting on stderr, writing output.

Every message goes through `say`: one inert line on stderr, passwords masked. Nothing here
imports a store backend or Textual until a verb needs it (`tuiflow --help` stays fast).
"""

from __future__ import annotations

import atexit
import gc
import os
import shutil
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from enum import Enum
from typing import TYPE_CHECKING, Any, NoReturn

from tuiflow.errors import InvalidArgumentError, QueryError, TuiflowError

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

    # Messages quote paths and names from the store: one inert line, whatever they hold
    # (so no escape sequence is left for click.echo to strip, and `tuiflow STORE` reports
    # without importing typer: tuiflow/launch.py).
    if sys.stderr is not None:
        print(f"tuiflow: {inert(mask_password(message), single_line=True)}", file=sys.stderr)
        sys.stderr.flush()


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
    import typer

    say(message)
    raise typer.Exit(code)


def die(message: str, code: int) -> NoReturn:
    """Report and exit the process (click's own exit is `fail`)."""
    say(message)
    sys.exit(code)


def guarded(call: Callable[[], object]) -> object:
    """`call()`, with every error a person can cause turned into one line on stderr and
    an exit status: 2 for a bad filter or argument, 1 for a store that cannot be read."""
    try:
        return call()
    except (QueryError, InvalidArgumentError) as exc:
        die(str(exc), 2)
    except TuiflowError as exc:  # StoreError and the rest
        die(str(exc), 1)
    except KeyboardInterrupt:
        sys.exit(130)
    except EOFError:  # stdin closed under a prompt: what click calls an abort
        die("aborted", 1)
    except (OutputClosed, BrokenPipeError):
        # `tuiflow runs … | head`: the reader left; that is not an error.
        sys.stderr.close()
        sys.exit(0)
    except Exception as exc:  # noqa: BLE001 - the last line of defence against tracebacks
        if os.environ.get("TUIFLOW_DEBUG"):
            raise
        die(f"internal error: {type(exc).__name__}: {exc} (set TUIFLOW_DEBUG=1 for details)", 1)


def leave(code: object) -> NoReturn:
    """End the process as `sys.exit(code)` would, without freeing the heap object by object.

    A search of 10,000 runs leaves a few hundred thousand objects behind. Python's exit
    frees them one at a time, about 30 ms of a 0.5 s command, for memory the kernel takes
    back at once anyway. Skipping it with `os._exit` is the exit Instagram's engineers
    described for their Python servers ("Dismissing Python Garbage Collection"). Exit
    handlers still run, and the output is flushed here, where a failure can be reported
    in one line (Python's own exit prints "Exception ignored" and returns 120). A thread
    still running gets Python's normal exit, which waits for it.
    """
    if threading.active_count() > 1:
        sys.exit(code)
    if code is None:
        status = 0
    elif isinstance(code, int):
        status = code & 0xFF
    else:  # sys.exit("message"): the message on stderr, status 1
        print(code, file=sys.stderr)
        status = 1
    atexit._run_exitfuncs()
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        pass  # the reader left (`| head`): not an error, as in `main`
    except (OSError, ValueError) as exc:
        say(f"cannot write the output: {getattr(exc, 'strerror', None) or exc}")
        status = status or 1
    with suppress(OSError, ValueError):  # nowhere left to say it
        sys.stderr.flush()
    os._exit(status)


def collect_less() -> None:
    """Fewer garbage collections, for the whole of a `tuiflow` process.

    A search builds tens of thousands of runs, metrics and dicts, none of them in cycles,
    and CPython's default thresholds (700, 10, 10) answer with hundreds of collections:
    about 45 ms of a 0.5 s search of 10,000 runs, reclaiming nothing; the explorer's start
    (imports, widgets) pays 20-30 ms of them before its first paint. Collections every
    50,000 allocations still bound the memory held by real cycles (mypy raises the
    threshold to 200,000, freqtrade to 50,000, for the same reason).
    """
    _, mid, old = gc.get_threshold()
    gc.set_threshold(50_000, max(mid, 20), max(old, 20))


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
    return Console(
        file=_Stdout(),  # type: ignore[arg-type]
        width=width,
        no_color=bool(os.environ.get("NO_COLOR")),
        highlight=False,
    )


class OutputClosed(Exception):
    """The reader of stdout left (`tuiflow runs … | head`): not an error, exit 0.

    Not an OSError, so click does not turn it into its own exit status 1 on the way out.
    """


@contextmanager
def _writing() -> Iterator[None]:
    try:
        yield
    except BrokenPipeError:
        _discard_output()
        raise OutputClosed from None
    except OSError as exc:  # a full disk or a dead terminal: one line, not "internal error"
        _discard_output()
        raise TuiflowError(f"cannot write the output: {exc.strerror or exc}") from None


def _discard_output() -> None:
    """Send what is left in stdout's buffer to /dev/null: the failure is reported once, and
    the flush at exit must not fail (and report) again. What Python's documentation on
    SIGPIPE recommends."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):
        pass  # no real stdout (tests capture it): nothing is flushed to a file later


def write_out(text: str) -> None:
    with _writing():
        sys.stdout.write(text)
        if not text.endswith("\n"):
            sys.stdout.write("\n")


class _Stdout:
    """sys.stdout for rich, with its write failures reported as `write_out`'s are."""

    def __getattr__(self, name: str) -> Any:
        return getattr(sys.stdout, name)

    def write(self, text: str) -> int:
        with _writing():
            return sys.stdout.write(text)

    def flush(self) -> None:
        with _writing():
            sys.stdout.flush()


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
