"""The `tuiflow` process: its entry point, and a short way into the explorer.

`tuiflow` and `tuiflow STORE`, the commands typed most, open the explorer without the
command parser: importing typer (and the click it vendors) and building the command tree
from the verbs' signatures takes 40-75 ms, about 20 ms of it on the way to the first paint
(the rest are modules Textual imports anyway; benchmarks/README.md), of a start that should
paint in under 0.5 s. Any other command line, options included, goes through typer
(tuiflow/cli.py) as before, and ends the same way: the same messages and exit statuses.
"""

from __future__ import annotations

import sys

from tuiflow.cli_support import collect_less, guarded, leave

# The verbs of tuiflow/cli.py and tuiflow/cli_write.py (a test keeps the two equal): a
# lone argument naming one is that verb, never a store.
VERBS = frozenset(
    {
        "alias",
        "delete-experiment",
        "delete-run",
        "delete-tag",
        "experiments",
        "history",
        "models",
        "open",
        "purge",
        "rename-experiment",
        "rename-run",
        "restore-experiment",
        "restore-run",
        "runs",
        "set-tag",
        "terminate-run",
        "transition",
    }
)


def plain_open(argv: list[str]) -> tuple[bool, str | None]:
    """(True, STORE or None) when `argv` only opens the explorer, with no options."""
    if not argv:
        return True, None
    if len(argv) == 1 and argv[0] and not argv[0].startswith("-") and argv[0] not in VERBS:
        return True, argv[0]
    return False, None


def main(argv: list[str] | None = None) -> None:
    """`tuiflow ARGS`, ending in `sys.exit` like `tuiflow.cli.main`."""
    args = list(sys.argv[1:] if argv is None else argv)
    plain, store = plain_open(args)
    if plain:
        from tuiflow.explore import explore

        guarded(lambda: explore(store))
        sys.exit(0)
    from tuiflow.cli import main as parse_and_run

    parse_and_run(args)


def entry() -> None:
    """The `tuiflow` console script and `python -m tuiflow`: `main`, then a quick exit.

    Tests call `main` in-process; only a process of its own may end through `leave` (and
    collect garbage less often).
    """
    collect_less()
    try:
        main()
    except SystemExit as exc:
        leave(exc.code)
    leave(0)
