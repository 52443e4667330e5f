"""tuiflow.actions: validation with MLflow's own messages, refusals, plans from the read side."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from tuiflow import actions as act
from tuiflow.actions import Actions, ReadOnlyError
from tuiflow.errors import InvalidArgumentError, StoreError
from tuiflow.stores.file import FileStore

SAMPLE = Path(__file__).resolve().parents[2] / "sample_mlruns"
os.environ.setdefault("MLFLOW_ALLOW_FILE_STORE", "true")


def _mlflow_message(fn, *args) -> str | None:
    from mlflow.exceptions import MlflowException

    try:
        fn(*args)
    except MlflowException as exc:
        return exc.message
    return None


def _ours(fn, *args) -> str | None:
    try:
        fn(*args)
    except InvalidArgumentError as exc:
        return str(exc)
    return None


STAGE_INPUTS = [
    "production",
    "PRODUCTION",
    "Staging",
    "none",
    "None",
    "archived",
    "ArChIvEd",
    "Deleted_Internal",
    "prod",
    "",
    " Production",
    "Production ",
]


@pytest.mark.parametrize("stage", STAGE_INPUTS)
def test_canonical_stage_matches_mlflow(stage):
    from mlflow.entities.model_registry.model_version_stages import get_canonical_stage

    assert _ours(act.canonical_stage, stage) == _mlflow_message(get_canonical_stage, stage)
    if _ours(act.canonical_stage, stage) is None:
        assert act.canonical_stage(stage) == get_canonical_stage(stage)


ALIASES = [
    "champion",
    "latest",
    "LATEST",
    "Latest",
    "v3",
    "V12",
    "v",
    "v3a",
    "va",
    "",
    "a b",
    "a/b",
    "é",
    "x-y_z",
    "a" * 255,
    "a" * 256,
    "ünïcode",
    "tab\t",
    "1",
    "-",
]


@pytest.mark.parametrize("alias", ALIASES)
def test_alias_validation_matches_mlflow(alias):
    from mlflow.utils.validation import (
        _validate_model_alias_name,
        _validate_model_alias_name_reserved,
    )

    def theirs(name):
        _validate_model_alias_name(name)
        _validate_model_alias_name_reserved(name)

    assert _ours(act.validate_alias, alias) == _mlflow_message(theirs, alias)


@pytest.mark.parametrize(
    "text,ms",
    [
        ("30d", 30 * 86_400_000),
        ("1d2h3m4s", 93_784_000),
        ("2m4s", 124_000),
        ("8h", 28_800_000),
        ("1.5d", 129_600_000),
        ("10s", 10_000),
    ],
)
def test_parse_duration(text, ms):
    assert act.parse_duration(text) == ms


@pytest.mark.parametrize("text", ["", "30", "1w", "d", "abc", "1d 2h", "1..2d"])
def test_parse_duration_rejects(text):
    with pytest.raises(InvalidArgumentError, match="Could not parse any time information"):
        act.parse_duration(text)


@pytest.fixture(scope="module")
def store() -> FileStore:
    return FileStore(SAMPLE)


def test_read_only_refuses_every_write_with_one_line(store):
    a = Actions(store, read_only=True)
    calls = [
        (a.delete_runs, ["x"]),
        (a.restore_runs, ["x"]),
        (a.terminate_run, "x", "KILLED"),
        (a.rename_run, "x", "n"),
        (a.set_tag, "x", "k", "v"),
        (a.delete_tag, "x", "k"),
        (a.delete_experiment, "1"),
        (a.restore_experiment, "1"),
        (a.rename_experiment, "1", "n"),
        (a.transition, "m", 1, "Production"),
        (a.set_alias, "m", "a", 1),
        (a.delete_alias, "m", "a"),
    ]
    for fn, *args in calls:
        with pytest.raises(ReadOnlyError) as info:
            fn(*args)
        message = str(info.value)
        assert re.fullmatch(r"read-only: refusing to [a-z ]+", message), message
    assert not a.can_write


def test_non_writable_store_is_refused():
    class NotWritable(FileStore):
        @property
        def capabilities(self):
            from tuiflow.stores.base import Capabilities

            return Capabilities(writable=False)

    a = Actions(NotWritable(SAMPLE))
    with pytest.raises(StoreError, match="cannot delete a run"):
        a.delete_runs(["x"])
    assert not a.can_write


def test_plan_transition_lists_versions_to_archive(store):
    a = Actions(store)
    archived = a.plan_transition("iris_classifier", 3, "production", archive_existing=True)
    assert [v.version for v in archived] == [2]
    assert a.plan_transition("iris_classifier", 3, "Production", archive_existing=False) == ()
    assert a.plan_transition("iris_classifier", 2, "Production", archive_existing=True) == ()


def test_plan_transition_refuses_archive_to_inactive_stage(store):
    from mlflow.entities.model_registry.model_version_stages import (
        DEFAULT_STAGES_FOR_GET_LATEST_VERSIONS,
    )

    with pytest.raises(InvalidArgumentError) as info:
        Actions(store).plan_transition("iris_classifier", 3, "archived", archive_existing=True)
    expected = (
        "Model version transition cannot archive existing model versions because "
        f"'archived' is not an Active stage. Valid stages are "
        f"{DEFAULT_STAGES_FOR_GET_LATEST_VERSIONS}"
    )
    assert str(info.value) == expected


def test_plan_transition_unknown_version(store):
    with pytest.raises(StoreError, match="not found"):
        Actions(store).plan_transition("iris_classifier", 99, "Staging", archive_existing=True)


def test_plan_delete_runs_names_the_experiment(store):
    a = Actions(store)
    runs = store.search_runs(["521045948341442715"], max_results=3).items
    plan = a.plan_delete_runs([r.run_id for r in runs] + [runs[0].run_id])
    assert plan.run_ids == tuple(r.run_id for r in runs)
    assert plan.experiments == ("iris_experiment",)


def test_plan_purge_without_age_takes_every_deleted_thing(store):
    from tuiflow.entities import ViewType

    plan = Actions(store).plan_purge()
    assert [e.name for e in plan.experiments] == ["scratch"]
    all_ids = [e.experiment_id for e in store.search_experiments(ViewType.ALL).items]
    deleted = store.search_runs(all_ids, view=ViewType.DELETED_ONLY).items
    assert set(plan.run_ids) == {r.run_id for r in deleted}
    assert plan.count == len(deleted) + 1


def test_plan_purge_with_huge_age_takes_nothing(store):
    plan = Actions(store).plan_purge(act.parse_duration("36500d"))
    assert plan.count == 0


def test_plan_purge_within_experiments(store):
    plan = Actions(store).plan_purge(None, ["521045948341442715"])
    assert plan.experiments == ()
    assert all(r.experiment_id == "521045948341442715" for r in plan.runs)


def test_terminate_only_killed_or_failed():
    class Writable(FileStore):
        @property
        def capabilities(self):
            from tuiflow.stores.base import Capabilities

            return Capabilities(writable=True)

    # Validation comes before any write, so nothing is written to the sample here.
    a = Actions(Writable(SAMPLE))
    with pytest.raises(InvalidArgumentError, match="KILLED or FAILED"):
        a.terminate_run("x", "FINISHED")


def test_undo_with_nothing_deleted(store):
    a = Actions(store)
    with pytest.raises(InvalidArgumentError, match="nothing to undo"):
        a.undo_delete()


def test_resolve_experiment_by_name_id_and_deleted_name(store):
    a = Actions(store)
    assert a.resolve_experiment("iris_experiment").experiment_id == "521045948341442715"
    assert a.resolve_experiment("521045948341442715").name == "iris_experiment"
    assert a.resolve_experiment("scratch").lifecycle_stage == "deleted"
    with pytest.raises(InvalidArgumentError, match="no experiment named"):
        a.resolve_experiment("nope")
