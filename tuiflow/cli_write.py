"""Headless write verbs: `tuiflow delete-run …`, `transition …`, `purge …` and the rest.

Each verb is a thin shell over `tuiflow.actions.Actions` (the same code the explorer
calls). Like the read verbs, STORE may come first; because several verbs take a variable
number of ids, `--store` says it unambiguously. A verb that is permanent or touches more
than one entity asks first when stdin is a terminal; otherwise it refuses (exit 2) unless
`--yes` is given. Imports of stores and actions happen inside the commands so that
`tuiflow --help` stays fast.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Annotated

import typer

from tuiflow.cli import app
from tuiflow.cli_support import open_for_cli, say, write_out
from tuiflow.errors import InvalidArgumentError

if TYPE_CHECKING:
    from tuiflow.actions import Actions

ReadOnlyOpt = Annotated[
    bool, typer.Option("--read-only", help="Refuse every write (useful in scripts).")
]
YesOpt = Annotated[
    bool, typer.Option("--yes", "-y", help="Do not ask; needed when stdin is not a terminal.")
]
StoreOpt = Annotated[
    str | None,
    typer.Option("--store", metavar="STORE", help="The store (or give it as the first argument)."),
]


def _read_only_setting(flag: bool) -> bool:
    if flag:
        return True
    from tuiflow.config import load_config

    config, _ = load_config()
    return bool(config.read_only)


def _actions(store: str | None, read_only: bool) -> Actions:
    from tuiflow.actions import Actions

    return Actions(open_for_cli(store), read_only=_read_only_setting(read_only))


def _looks_like_store(arg: str) -> bool:
    """For verbs taking several ids: is the first argument a store rather than an id?"""
    return "://" in arg or os.sep in arg or "/" in arg or os.path.exists(arg)


def _split(
    args: Sequence[str], store: str | None, arity: int, usage: str
) -> tuple[str | None, list[str]]:
    """`[STORE] A B …` with a fixed number of arguments after STORE."""
    if len(args) == arity + 1 and store is None:
        return args[0], list(args[1:])
    if len(args) == arity:
        return store, list(args)
    raise InvalidArgumentError(f"usage: tuiflow {usage}")


def _split_many(args: Sequence[str], store: str | None, usage: str) -> tuple[str | None, list[str]]:
    if store is None and len(args) > 1 and _looks_like_store(args[0]):
        return args[0], list(args[1:])
    if not args:
        raise InvalidArgumentError(f"usage: tuiflow {usage}")
    return store, list(args)


def confirm(question: str, yes: bool, what: str) -> None:
    """Ask on a terminal; without one, refuse unless --yes."""
    if yes:
        return
    if not sys.stdin.isatty():
        say(f"refusing to {what} without confirmation: pass --yes")
        raise typer.Exit(2)
    if not typer.confirm(question, default=False, err=True):
        say("nothing changed")
        raise typer.Exit(1)


def _done(text: str) -> None:
    write_out(text)


def _listing(items: Sequence[str], limit: int = 10) -> str:
    shown = ", ".join(items[:limit])
    return shown + (f", … ({len(items) - limit} more)" if len(items) > limit else "")


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _change_runs(args: list[str], store: str | None, read_only: bool, yes: bool, verb: str) -> None:
    """delete-run and restore-run: the same plan, confirmation and report, two actions."""
    where, ids = _split_many(args, store, f"{verb}-run [STORE] RUN_ID...")
    actions = _actions(where, read_only)
    actions.writer(f"{verb} runs" if len(ids) > 1 else f"{verb} a run")
    plan = (actions.plan_delete_runs if verb == "delete" else actions.plan_restore_runs)(ids)
    runs = _plural(len(plan.runs), "run")
    if len(plan.runs) > 1:
        confirm(
            f"{verb.capitalize()} {runs} in {', '.join(plan.experiments)}?", yes, f"{verb} {runs}"
        )
    (actions.delete_runs if verb == "delete" else actions.restore_runs)(plan.run_ids)
    _done(f"{verb}d {runs}: {_listing(list(plan.run_ids))}")


@app.command("delete-run")
def delete_run(
    args: Annotated[list[str], typer.Argument(metavar="[STORE] RUN_ID...")],
    store: StoreOpt = None,
    read_only: ReadOnlyOpt = False,
    yes: YesOpt = False,
) -> None:
    """Delete runs (soft: MLflow's lifecycle_stage=deleted; `restore-run` undoes it)."""
    _change_runs(args, store, read_only, yes, "delete")


@app.command("restore-run")
def restore_run(
    args: Annotated[list[str], typer.Argument(metavar="[STORE] RUN_ID...")],
    store: StoreOpt = None,
    read_only: ReadOnlyOpt = False,
    yes: YesOpt = False,
) -> None:
    """Restore deleted runs."""
    _change_runs(args, store, read_only, yes, "restore")


def _experiment_verb(args: list[str], store: str | None, read_only: bool, yes: bool, restore: bool):
    verb = "restore" if restore else "delete"
    where, (ref,) = _split(args, store, 1, f"{verb}-experiment [STORE] NAME_OR_ID")
    actions = _actions(where, read_only)
    actions.writer(f"{verb} an experiment")
    exp = actions.resolve_experiment(ref)
    from tuiflow.entities import ViewType

    view = ViewType.DELETED_ONLY if restore else ViewType.ACTIVE_ONLY
    runs = actions.store.search_runs([exp.experiment_id], view=view, max_results=50000)
    n = len(runs.items)
    if n:
        more = "+" if runs.next_page_token else ""
        confirm(
            f"{verb.capitalize()} experiment '{exp.name}' (id {exp.experiment_id}) "
            f"and {n}{more} of its runs?",
            yes,
            f"{verb} experiment '{exp.name}' with {_plural(n, 'run')}",
        )
    if restore:
        actions.restore_experiment(exp.experiment_id)
    else:
        actions.delete_experiment(exp.experiment_id)
    _done(f"{verb}d experiment '{exp.name}' (id {exp.experiment_id})")


@app.command("delete-experiment")
def delete_experiment(
    args: Annotated[list[str], typer.Argument(metavar="[STORE] NAME_OR_ID")],
    store: StoreOpt = None,
    read_only: ReadOnlyOpt = False,
    yes: YesOpt = False,
) -> None:
    """Delete an experiment and its active runs (soft; the file store moves it to .trash)."""
    _experiment_verb(args, store, read_only, yes, restore=False)


@app.command("restore-experiment")
def restore_experiment(
    args: Annotated[list[str], typer.Argument(metavar="[STORE] NAME_OR_ID")],
    store: StoreOpt = None,
    read_only: ReadOnlyOpt = False,
    yes: YesOpt = False,
) -> None:
    """Restore a deleted experiment and its deleted runs."""
    _experiment_verb(args, store, read_only, yes, restore=True)


@app.command("rename-experiment")
def rename_experiment(
    args: Annotated[list[str], typer.Argument(metavar="[STORE] NAME_OR_ID NEW_NAME")],
    store: StoreOpt = None,
    read_only: ReadOnlyOpt = False,
    yes: YesOpt = False,
) -> None:
    """Rename an active experiment."""
    where, (ref, new) = _split(args, store, 2, "rename-experiment [STORE] NAME_OR_ID NEW_NAME")
    actions = _actions(where, read_only)
    actions.writer("rename an experiment")
    exp = actions.resolve_experiment(ref)
    actions.rename_experiment(exp.experiment_id, new)
    _done(f"renamed experiment {exp.experiment_id}: '{exp.name}' -> '{new}'")


@app.command("purge")
def purge(
    store: Annotated[str | None, typer.Argument(metavar="[STORE]")] = None,
    older_than: Annotated[
        str | None,
        typer.Option("--older-than", metavar="AGE", help="e.g. 30d, 1d2h3m4s (as mlflow gc)."),
    ] = None,
    experiment: Annotated[
        list[str] | None,
        typer.Option("-e", "--experiment", help="Only within these experiments (name or id)."),
    ] = None,
    read_only: ReadOnlyOpt = False,
    yes: YesOpt = False,
) -> None:
    """Permanently remove deleted runs and experiments, with local artifacts (mlflow gc)."""
    from tuiflow.actions import parse_duration

    age = parse_duration(older_than) if older_than is not None else None
    actions = _actions(store, read_only)
    actions.writer("purge")
    exp_ids = None
    if experiment:
        exp_ids = [actions.resolve_experiment(ref).experiment_id for ref in experiment]
    plan = actions.plan_purge(age, exp_ids)
    if not plan.count:
        _done("nothing to purge")
        return
    runs, exps = _plural(len(plan.runs), "run"), _plural(len(plan.experiments), "experiment")
    names = [f"'{e.name}'" for e in plan.experiments]
    confirm(
        f"PERMANENTLY remove {runs} and {exps}"
        + (f" ({_listing(names)})" if names else "")
        + "? This cannot be undone.",
        yes,
        f"purge {runs} and {exps}",
    )
    report = actions.purge(plan)
    _done(
        f"purged {_plural(len(report.runs), 'run')} and "
        f"{_plural(len(report.experiments), 'experiment')}"
    )
    for entity, reason in sorted(report.skipped.items()):
        say(f"skipped {entity}: {reason}")
    if report.skipped:
        raise typer.Exit(1)


@app.command("terminate-run")
def terminate_run(
    args: Annotated[list[str], typer.Argument(metavar="[STORE] RUN_ID")],
    status: Annotated[
        str, typer.Option("--status", metavar="KILLED|FAILED", help="The run's new status.")
    ] = "KILLED",
    store: StoreOpt = None,
    read_only: ReadOnlyOpt = False,
    yes: YesOpt = False,
) -> None:
    """Set a RUNNING run whose process died to KILLED or FAILED, ending it now."""
    where, (run_id,) = _split(args, store, 1, "terminate-run [STORE] RUN_ID --status KILLED")
    _actions(where, read_only).terminate_run(run_id, status)
    _done(f"run {run_id} is now {status.upper()}")


@app.command("transition")
def transition(
    args: Annotated[list[str], typer.Argument(metavar="[STORE] MODEL VERSION STAGE")],
    archive_existing: Annotated[
        bool,
        typer.Option("--archive-existing", help="Archive other versions now in STAGE."),
    ] = False,
    store: StoreOpt = None,
    read_only: ReadOnlyOpt = False,
    yes: YesOpt = False,
) -> None:
    """Move a model version to a stage (stages are deprecated in MLflow; prefer aliases)."""
    from tuiflow.actions import canonical_stage

    where, (name, version, stage) = _split(args, store, 3, "transition [STORE] MODEL VERSION STAGE")
    number = _version(version)
    actions = _actions(where, read_only)
    actions.writer("transition a model version")
    archived = actions.plan_transition(name, number, stage, archive_existing)
    target = canonical_stage(stage)
    if archived:
        listing = _listing([f"v{v.version}" for v in archived])
        confirm(
            f"Move {name} v{number} to {target} and archive {listing}?",
            yes,
            f"archive {_plural(len(archived), 'version')} of {name}",
        )
    actions.transition(name, number, stage, archive_existing)
    extra = f"; archived {_listing([f'v{v.version}' for v in archived])}" if archived else ""
    _done(f"{name} v{number} is now in {target}{extra}")


def _version(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise InvalidArgumentError(f"version must be an integer, got '{text}'") from None


@app.command("alias")
def alias(
    args: Annotated[list[str], typer.Argument(metavar="[STORE] MODEL ALIAS [VERSION]")],
    delete: Annotated[bool, typer.Option("--delete", help="Delete ALIAS instead.")] = False,
    store: StoreOpt = None,
    read_only: ReadOnlyOpt = False,
    yes: YesOpt = False,
) -> None:
    """Point ALIAS of MODEL at VERSION (moving it if it exists), or delete it."""
    if delete:
        where, (name, name_alias) = _split(args, store, 2, "alias [STORE] MODEL ALIAS --delete")
        _actions(where, read_only).delete_alias(name, name_alias)
        _done(f"deleted alias '{name_alias}' of {name}")
        return
    where, (name, name_alias, version) = _split(args, store, 3, "alias [STORE] MODEL ALIAS VERSION")
    number = _version(version)
    _actions(where, read_only).set_alias(name, name_alias, number)
    _done(f"{name}@{name_alias} -> v{number}")


@app.command("set-tag")
def set_tag(
    args: Annotated[list[str], typer.Argument(metavar="[STORE] RUN_ID KEY VALUE")],
    store: StoreOpt = None,
    read_only: ReadOnlyOpt = False,
    yes: YesOpt = False,
) -> None:
    """Set a run tag."""
    where, (run_id, key, value) = _split(args, store, 3, "set-tag [STORE] RUN_ID KEY VALUE")
    _actions(where, read_only).set_tag(run_id, key, value)
    _done(f"run {run_id}: tag {key} set")


@app.command("delete-tag")
def delete_tag(
    args: Annotated[list[str], typer.Argument(metavar="[STORE] RUN_ID KEY")],
    store: StoreOpt = None,
    read_only: ReadOnlyOpt = False,
    yes: YesOpt = False,
) -> None:
    """Delete a run tag."""
    where, (run_id, key) = _split(args, store, 2, "delete-tag [STORE] RUN_ID KEY")
    _actions(where, read_only).delete_tag(run_id, key)
    _done(f"run {run_id}: tag {key} deleted")


@app.command("rename-run")
def rename_run(
    args: Annotated[list[str], typer.Argument(metavar="[STORE] RUN_ID NEW_NAME")],
    store: StoreOpt = None,
    read_only: ReadOnlyOpt = False,
    yes: YesOpt = False,
) -> None:
    """Rename a run (run_name and the mlflow.runName tag together)."""
    where, (run_id, name) = _split(args, store, 2, "rename-run [STORE] RUN_ID NEW_NAME")
    _actions(where, read_only).rename_run(run_id, name)
    _done(f"run {run_id} renamed to '{name}'")
