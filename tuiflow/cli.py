"""The `tuiflow` command: `tuiflow [STORE]` opens the explorer; verbs answer headless.

Headless verbs never import Textual, and store backends are imported only once a STORE
is opened, so `tuiflow --help` stays fast. Every error a person can cause ends as one
line on stderr: exit 2 for a bad filter or argument, 1 for a store that cannot be read.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Callable, Iterator
from enum import Enum
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer

from tuiflow import __version__
from tuiflow.errors import InvalidArgumentError, QueryError, StoreError, TuiflowError

if TYPE_CHECKING:
    from tuiflow.entities import Experiment, Run
    from tuiflow.stores.base import Store

app = typer.Typer(
    name="tuiflow",
    help="A fast terminal explorer for MLflow tracking stores.\n\n"
    "`tuiflow [STORE]` opens the explorer. STORE is an mlruns directory, an SQLite file, "
    "a database URL (sqlite:///, postgresql://, mysql://) or a tracking server "
    "(http(s)://host:port). Without STORE: MLFLOW_TRACKING_URI, then ./mlruns, then "
    "./mlflow.db.",
    add_completion=False,
    no_args_is_help=False,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


class View(str, Enum):
    active = "active"
    deleted = "deleted"
    all = "all"


class Format(str, Enum):
    table = "table"
    json = "json"
    csv = "csv"


StoreArg = Annotated[
    str | None,
    typer.Argument(
        metavar="[STORE]",
        help="mlruns dir, SQLite file, database URL or http(s):// server (default: as MLflow)",
        show_default=False,
    ),
]
FormatOpt = Annotated[Format, typer.Option("--format", help="Output format.")]


def _say(message: str) -> None:
    from tuiflow.locate import mask_password
    from tuiflow.textsafe import inert

    # Messages quote paths and names from the store: one inert line, whatever they hold.
    typer.echo(f"tuiflow: {inert(mask_password(message), single_line=True)}", err=True)


WARNINGS_SHOWN = 5


def _report_warnings(store: Store) -> None:
    """What the store skipped while reading, on stderr: the first few, then a count."""
    warnings = list(getattr(store, "warnings", ()))
    for message in warnings[:WARNINGS_SHOWN]:
        _say(f"warning: {message}")
    if len(warnings) > WARNINGS_SHOWN:
        _say(f"warning: … and {len(warnings) - WARNINGS_SHOWN} more problems skipped")


def _fail(message: str, code: int) -> NoReturn:
    """Inside a command: report and let click return `code`."""
    _say(message)
    raise typer.Exit(code)


def _die(message: str, code: int) -> NoReturn:
    """Outside click: report and exit the process."""
    _say(message)
    sys.exit(code)


def _open(store: str | None) -> Store:
    from tuiflow.locate import open_store

    opened = open_store(store)
    listen = getattr(opened, "set_retry_listener", None)
    if listen is not None and sys.stderr.isatty():
        # A person is waiting: say why the answer is slow. In scripts (stderr not a
        # terminal) a failure stays the one line on stderr.
        listen(_say)
    return opened


def _view(view: View):
    from tuiflow.entities import ViewType

    return {"active": ViewType.ACTIVE_ONLY, "deleted": ViewType.DELETED_ONLY, "all": ViewType.ALL}[
        view.value
    ]


def _console():
    from rich.console import Console

    width = shutil.get_terminal_size((120, 24)).columns if sys.stdout.isatty() else 200
    return Console(width=width, no_color=bool(os.environ.get("NO_COLOR")), highlight=False)


def _write(text: str) -> None:
    sys.stdout.write(text)
    if not text.endswith("\n"):
        sys.stdout.write("\n")


def _all_pages(fetch: Callable[[str | None], object], limit: int | None = None) -> Iterator:
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


def _resolve_experiments(store: Store, refs: list[str]) -> list[Experiment]:
    from tuiflow.entities import ViewType
    from tuiflow.errors import NotFoundError

    if not refs:
        return list(
            _all_pages(lambda t: store.search_experiments(ViewType.ACTIVE_ONLY, page_token=t))
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


@app.command("open")
def open_ui(
    store: StoreArg = None,
    read_only: Annotated[
        bool, typer.Option("--read-only", help="Refuse every write action.")
    ] = False,
    watch: Annotated[
        float | None,
        typer.Option(
            "--watch",
            min=0.1,
            metavar="SECONDS",
            help="Start in watch mode: re-read running runs every SECONDS (toggle with w).",
        ),
    ] = None,
    theme: Annotated[
        str | None,
        typer.Option("--theme", metavar="NAME", help="A Textual theme, e.g. nord, gruvbox."),
    ] = None,
) -> None:
    """Open the terminal explorer on STORE (the default command).

    Defaults come from the settings file (tuiflow/config.py): read_only, theme,
    watch_seconds and [keymap]; options given here win.
    """
    from tuiflow.config import load_config

    config, complaint = load_config()
    if complaint:
        _say(complaint)
    try:
        from textual.theme import BUILTIN_THEMES

        from tuiflow.ui.app import run_app
    except ImportError:
        _fail(
            "the terminal explorer is not available in this build; "
            "use the headless verbs (tuiflow --help)",
            1,
        )
    valid = ", ".join(sorted(BUILTIN_THEMES))
    if theme is not None and theme not in BUILTIN_THEMES:
        raise InvalidArgumentError(f"unknown theme '{theme}'; valid themes: {valid}")
    if config.theme is not None and config.theme not in BUILTIN_THEMES and theme is None:
        # The settings file is not the command line: say so once and use the default.
        complaint = f"unknown theme '{config.theme}' in the settings file; valid themes: {valid}"
        _say(complaint)
    chosen_theme = theme or (config.theme if config.theme in BUILTIN_THEMES else None)
    opened = _open(store)
    run_app(
        opened,
        read_only=read_only or config.read_only,
        theme=chosen_theme,
        watch=watch,
        watch_interval=config.watch_seconds,
        keymap=config.keymap,
        notices=(complaint,) if complaint else (),
    )


@app.command()
def experiments(
    store: StoreArg = None,
    view: Annotated[View, typer.Option("--view", help="Lifecycle stages to list.")] = View.active,
    filter: Annotated[
        str | None, typer.Option("-f", "--filter", help="MLflow experiment filter.")
    ] = None,
    order_by: Annotated[
        list[str] | None, typer.Option("-o", "--order-by", help="e.g. 'name ASC'; repeats.")
    ] = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """List experiments."""
    from tuiflow import serialize

    opened = _open(store)
    exps = list(
        _all_pages(
            lambda t: opened.search_experiments(
                _view(view), filter=filter, order_by=order_by or (), page_token=t
            )
        )
    )
    if fmt is Format.json:
        _write(serialize.dumps([serialize.experiment_to_dict(e) for e in exps]))
    elif fmt is Format.csv:
        rows = [serialize.experiment_to_dict(e) for e in exps]
        keys = [
            "experiment_id",
            "name",
            "artifact_location",
            "lifecycle_stage",
            "creation_time",
            "last_update_time",
        ]
        _write(serialize.to_csv(keys, ([r[k] for k in keys] for r in rows)))
    else:
        from tuiflow.cli_tables import experiments_table

        console = _console()
        console.print(experiments_table(exps))
        console.print(f"{len(exps)} experiment{'s' if len(exps) != 1 else ''}", style="dim")
    _report_warnings(opened)


@app.command()
def runs(
    store: StoreArg = None,
    experiment: Annotated[
        list[str] | None,
        typer.Option("-e", "--experiment", help="Experiment name or id; repeats. Default: all."),
    ] = None,
    filter: Annotated[
        str | None,
        typer.Option(
            "-f",
            "--filter",
            help='MLflow filter, e.g. "metrics.acc > 0.9"; OR, NOT and ( ) work too.',
        ),
    ] = None,
    order_by: Annotated[
        list[str] | None,
        typer.Option("-o", "--order-by", help="e.g. 'metrics.acc DESC'; repeats."),
    ] = None,
    view: Annotated[View, typer.Option("--view", help="Lifecycle stages to list.")] = View.active,
    max_results: Annotated[
        int | None, typer.Option("--max-results", min=1, help="Stop after N runs.")
    ] = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """Search runs with MLflow's filter and order_by syntax."""
    from tuiflow import serialize
    from tuiflow.stores.base import SEARCH_MAX_RESULTS_THRESHOLD

    opened = _open(store)
    exp_ids = [e.experiment_id for e in _resolve_experiments(opened, experiment or [])]
    page_size = min(max_results or SEARCH_MAX_RESULTS_THRESHOLD, SEARCH_MAX_RESULTS_THRESHOLD)
    found: list[Run] = []
    if exp_ids:
        found = list(
            _all_pages(
                lambda t: opened.search_runs(
                    exp_ids,
                    filter=filter,
                    order_by=order_by or (),
                    view=_view(view),
                    max_results=page_size,
                    page_token=t,
                ),
                limit=max_results,
            )
        )
    else:
        # Still validate the filter so a typo is reported even on an empty store.
        from tuiflow.query.parser import parse_run_filter, parse_run_order_by

        parse_run_filter(filter, extended=True)
        parse_run_order_by(order_by or ())
    if fmt is Format.json:
        _write(serialize.dumps([serialize.run_to_dict(r) for r in found]))
    elif fmt is Format.csv:
        _write(serialize.runs_to_csv(found))
    else:
        from tuiflow.cli_tables import runs_table

        console = _console()
        table, hidden = runs_table(found, console.width)
        console.print(table)
        note = f"{len(found)} run{'s' if len(found) != 1 else ''}"
        if hidden:
            note += f" ({hidden} more metric/param columns: use --format json or csv)"
        console.print(note, style="dim")
    _report_warnings(opened)


@app.command()
def history(
    args: Annotated[
        list[str],
        typer.Argument(metavar="[STORE] RUN_ID METRIC_KEY", help="Store (optional), run, metric."),
    ],
    fmt: FormatOpt = Format.table,
) -> None:
    """Print the full history of one metric of one run."""
    if len(args) == 2:
        store, (run_id, metric_key) = None, args
    elif len(args) == 3:
        store, run_id, metric_key = args
    else:
        raise InvalidArgumentError("history takes [STORE] RUN_ID METRIC_KEY")
    from tuiflow import serialize

    opened = _open(store)
    opened.get_run(run_id)  # a clear "run not found" beats an empty history
    points = opened.get_metric_history(run_id, metric_key)
    if fmt is Format.json:
        _write(serialize.dumps([serialize.metric_to_dict(m) for m in points]))
    elif fmt is Format.csv:
        keys = ["step", "value", "timestamp"]
        rows = ([d[k] for k in keys] for d in map(serialize.metric_to_dict, points))
        _write(serialize.to_csv(keys, rows))
    else:
        from tuiflow.cli_tables import history_table

        if not points:
            raise InvalidArgumentError(f"run {run_id} has no metric '{metric_key}'")
        _console().print(history_table(points))
    _report_warnings(opened)


@app.command()
def models(
    store: StoreArg = None,
    filter: Annotated[
        str | None, typer.Option("-f", "--filter", help="Registered-model filter.")
    ] = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """List registered models with their versions, stages and aliases."""
    from dataclasses import replace

    from tuiflow import serialize

    opened = _open(store)
    regs = list(_all_pages(lambda t: opened.search_registered_models(filter=filter, page_token=t)))
    listing = []
    for model in regs:
        quoted = model.name.replace("'", "\\'") if "'" in model.name else model.name
        quote = '"' if "'" in model.name else "'"
        versions = list(
            _all_pages(
                lambda t, q=quoted, qq=quote: opened.search_model_versions(
                    filter=f"name = {qq}{q}{qq}", order_by=["version_number DESC"], page_token=t
                )
            )
        )
        # Some stores leave aliases off searched versions; the model's alias map is whole.
        by_version: dict[int, list[str]] = {}
        for alias, version in sorted(model.aliases.items()):
            by_version.setdefault(version, []).append(alias)
        versions = [replace(v, aliases=tuple(by_version.get(v.version, ()))) for v in versions]
        listing.append((model, versions))
    if fmt is Format.json:
        _write(serialize.dumps([serialize.registered_model_to_dict(m, v) for m, v in listing]))
    elif fmt is Format.csv:
        keys = [
            "name",
            "version",
            "current_stage",
            "aliases",
            "status",
            "run_id",
            "source",
            "creation_timestamp",
            "last_updated_timestamp",
        ]
        rows = []
        for _, versions in listing:
            for v in versions:
                d = serialize.model_version_to_dict(v)
                d["aliases"] = " ".join(d["aliases"])
                rows.append([d[k] for k in keys])
        _write(serialize.to_csv(keys, rows))
    else:
        from tuiflow.cli_tables import models_table

        console = _console()
        console.print(models_table(listing))
        console.print(
            f"{len(listing)} registered model{'s' if len(listing) != 1 else ''}", style="dim"
        )
    _report_warnings(opened)


def _version_callback(value: bool) -> None:
    if value:
        typer.echo(f"tuiflow {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version_callback, is_eager=True, help="Show version."),
    ] = False,
) -> None:
    """A fast terminal explorer for MLflow tracking stores."""


def _argv_with_default_command(argv: list[str]) -> list[str]:
    """`tuiflow`, `tuiflow ./mlruns` and `tuiflow --read-only x` all mean `tuiflow open …`."""
    if not argv:
        return ["open"]
    first = argv[0]
    if first in subcommands() or first in ("-h", "--help", "--version"):
        return argv
    return ["open", *argv]


def subcommands() -> set[str]:
    """The verbs registered on `app` (read ones here, write ones by cli_write)."""
    return {
        c.name or (c.callback.__name__.replace("_", "-") if c.callback else "")
        for c in app.registered_commands
    }


def main(argv: list[str] | None = None) -> None:
    args = _argv_with_default_command(list(sys.argv[1:] if argv is None else argv))
    try:
        code = app(args=args, prog_name="tuiflow", standalone_mode=False)
    except (QueryError, InvalidArgumentError) as exc:
        _die(str(exc), 2)
    except StoreError as exc:
        _die(str(exc), 1)
    except TuiflowError as exc:
        _die(str(exc), 1)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        _die("aborted", 1)
    except KeyboardInterrupt:
        sys.exit(130)
    except BrokenPipeError:
        # `tuiflow runs … | head`: the reader left; that is not an error.
        sys.stderr.close()
        sys.exit(0)
    except Exception as exc:  # noqa: BLE001 - the last line of defence against tracebacks
        # Usage errors: typer >= 0.16 vendors click, older versions use click itself,
        # so recognise them by shape rather than by class.
        if hasattr(exc, "show") and isinstance(getattr(exc, "exit_code", None), int):
            exc.show()
            sys.exit(exc.exit_code)
        if os.environ.get("TUIFLOW_DEBUG"):
            raise
        _die(f"internal error: {type(exc).__name__}: {exc} (set TUIFLOW_DEBUG=1 for details)", 1)
    sys.exit(code if isinstance(code, int) else 0)


# The write verbs register themselves on `app`; they import stores lazily too.
from tuiflow import cli_write as _cli_write  # noqa: E402, F401
