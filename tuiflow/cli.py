"""The `tuiflow` command: `tuiflow [STORE]` opens the explorer; verbs answer headless.

Headless verbs never import Textual, and store backends are imported only once a STORE
is opened, so `tuiflow --help` stays fast. Every error a person can cause ends as one
line on stderr: exit 2 for a bad filter or argument, 1 for a store that cannot be read.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated

import typer

from tuiflow import __version__
from tuiflow.cli_support import (
    Format,
    View,
    all_pages,
    die,
    guarded,
    make_console,
    open_for_cli,
    report_warnings,
    resolve_experiments,
    view_type,
    write_out,
)
from tuiflow.errors import InvalidArgumentError

if TYPE_CHECKING:
    from typer.models import CommandInfo

    from tuiflow.entities import Run

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


StoreArg = Annotated[
    str | None,
    typer.Argument(
        metavar="[STORE]",
        help="mlruns dir, SQLite file, database URL or http(s):// server (default: as MLflow)",
        show_default=False,
    ),
]
FormatOpt = Annotated[Format, typer.Option("--format", help="Output format.")]


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
    from tuiflow.explore import explore

    explore(store, read_only=read_only, watch=watch, theme=theme)


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

    opened = open_for_cli(store)
    exps = list(
        all_pages(
            lambda t: opened.search_experiments(
                view_type(view), filter=filter, order_by=order_by or (), page_token=t
            )
        )
    )
    if fmt is Format.json:
        write_out(serialize.dumps([serialize.experiment_to_dict(e) for e in exps]))
    elif fmt is Format.csv:
        from tuiflow.entities import EXPERIMENT_SCALARS

        rows = [serialize.experiment_to_dict(e) for e in exps]
        write_out(
            serialize.to_csv(EXPERIMENT_SCALARS, ([r[k] for k in EXPERIMENT_SCALARS] for r in rows))
        )
    else:
        from tuiflow.cli_tables import experiments_table

        console = make_console()
        console.print(experiments_table(exps))
        console.print(f"{len(exps)} experiment{'s' if len(exps) != 1 else ''}", style="dim")
    report_warnings(opened)


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

    opened = open_for_cli(store)
    exp_ids = [e.experiment_id for e in resolve_experiments(opened, experiment or [])]
    page_size = min(max_results or SEARCH_MAX_RESULTS_THRESHOLD, SEARCH_MAX_RESULTS_THRESHOLD)
    found: list[Run] = []
    if exp_ids:
        found = list(
            all_pages(
                lambda t: opened.search_runs(
                    exp_ids,
                    filter=filter,
                    order_by=order_by or (),
                    view=view_type(view),
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
        write_out(serialize.dumps([serialize.run_to_dict(r) for r in found]))
    elif fmt is Format.csv:
        write_out(serialize.runs_to_csv(found))
    else:
        from tuiflow.cli_tables import runs_table

        console = make_console()
        table, hidden = runs_table(found, console.width)
        console.print(table)
        note = f"{len(found)} run{'s' if len(found) != 1 else ''}"
        if hidden:
            note += f" ({hidden} more metric/param columns: use --format json or csv)"
        console.print(note, style="dim")
    report_warnings(opened)


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

    opened = open_for_cli(store)
    opened.get_run(run_id)  # a clear "run not found" beats an empty history
    points = opened.get_metric_history(run_id, metric_key)
    if fmt is Format.json:
        write_out(serialize.dumps([serialize.metric_to_dict(m) for m in points]))
    elif fmt is Format.csv:
        keys = ["step", "value", "timestamp"]
        rows = ([d[k] for k in keys] for d in map(serialize.metric_to_dict, points))
        write_out(serialize.to_csv(keys, rows))
    else:
        from tuiflow.cli_tables import history_table

        if not points:
            raise InvalidArgumentError(f"run {run_id} has no metric '{metric_key}'")
        make_console().print(history_table(points))
    report_warnings(opened)


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

    opened = open_for_cli(store)
    regs = list(all_pages(lambda t: opened.search_registered_models(filter=filter, page_token=t)))
    listing = []
    for model in regs:
        quoted = model.name.replace("'", "\\'") if "'" in model.name else model.name
        quote = '"' if "'" in model.name else "'"
        versions = list(
            all_pages(
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
        write_out(serialize.dumps([serialize.registered_model_to_dict(m, v) for m, v in listing]))
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
        write_out(serialize.to_csv(keys, rows))
    else:
        from tuiflow.cli_tables import models_table

        console = make_console()
        console.print(models_table(listing))
        console.print(
            f"{len(listing)} registered model{'s' if len(listing) != 1 else ''}", style="dim"
        )
    report_warnings(opened)


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
    return {_name(c) for c in app.registered_commands}


def _app_for(args: list[str]) -> typer.Typer:
    """`app`, or for `tuiflow VERB …` a copy of it that holds VERB's command alone.

    Typer builds a click command from the signature of every verb on each call, 17 ms for
    the 17 verbs, of a warm `tuiflow runs` that takes about 0.6 s; one verb runs. The
    copy keeps the root callback (`--version`), so it is still a group and `tuiflow VERB
    --help`, usage lines and errors read as before; help on the root lists every verb.
    """
    verb = args[0] if args else ""
    chosen = [c for c in app.registered_commands if _name(c) == verb]
    if not chosen:
        return app
    import copy

    one = copy.copy(app)
    one.registered_commands = chosen
    return one


def _name(command: CommandInfo) -> str:
    return command.name or (command.callback.__name__.replace("_", "-") if command.callback else "")


def main(argv: list[str] | None = None) -> None:
    args = _argv_with_default_command(list(sys.argv[1:] if argv is None else argv))
    chosen = _app_for(args)

    def parse_and_run() -> object:
        try:
            return chosen(args=args, prog_name="tuiflow", standalone_mode=False)
        except typer.Exit as exc:
            sys.exit(exc.exit_code)
        except typer.Abort:
            die("aborted", 1)
        except Exception as exc:
            # Usage errors: typer >= 0.16 vendors click, older versions use click itself,
            # so recognise them by shape rather than by class.
            if hasattr(exc, "show") and isinstance(getattr(exc, "exit_code", None), int):
                exc.show()
                sys.exit(exc.exit_code)
            raise

    code = guarded(parse_and_run)
    sys.exit(code if isinstance(code, int) else 0)


# The write verbs register themselves on `app`; they import stores lazily too.
from tuiflow import cli_write as _cli_write  # noqa: E402, F401

# The console script of installs made before tuiflow/launch.py owned the process.
from tuiflow.launch import entry  # noqa: E402, F401
