"""The entities' quick constructors build ordinary frozen entities."""

from __future__ import annotations

import copy
import dataclasses
import inspect
import pickle

import pytest

from tuiflow.entities import Metric, Run, new_metric, new_run, quick_constructor

RUN_ARGS = ("r1", "0", "name", "alice", "FINISHED", 1, 2, "active", "file:///a")
METRIC_ARGS = ("acc", 0.5, 1_700_000_000_000, 3, "train", "d1")


@pytest.mark.parametrize(
    ("quick", "cls", "args"),
    [(new_run, Run, RUN_ARGS), (new_metric, Metric, METRIC_ARGS)],
    ids=["Run", "Metric"],
)
def test_a_quick_constructor_builds_what_the_class_builds(quick, cls, args):
    built = quick(*args)
    assert type(built) is cls
    assert built == cls(*args)
    assert repr(built) == repr(cls(*args))
    assert inspect.signature(quick) == inspect.signature(cls)
    # Frozen like any other: the twin's class does not survive construction.
    with pytest.raises(dataclasses.FrozenInstanceError):
        built.__setattr__(dataclasses.fields(cls)[0].name, "changed")
    assert pickle.loads(pickle.dumps(built)) == built
    assert copy.deepcopy(built) == built
    assert dataclasses.replace(built) == built


def test_quick_defaults_are_the_class_defaults_and_factories_make_fresh_objects():
    one, two = new_run(*RUN_ARGS), new_run(*RUN_ARGS)
    assert one == Run(*RUN_ARGS)
    assert one.metrics == {} and one.metrics is not two.metrics
    assert one.inputs == () and one.deleted_time is None
    assert new_metric("k", 1.0, 5) == Metric("k", 1.0, 5)
    names = [f.name for f in dataclasses.fields(Run)][: len(RUN_ARGS)]
    built = new_run(**dict(zip(names, RUN_ARGS, strict=True)))
    assert built == Run(*RUN_ARGS)


def test_frozen_hashing_is_kept():
    assert hash(new_metric(*METRIC_ARGS)) == hash(Metric(*METRIC_ARGS))
    assert len({new_metric(*METRIC_ARGS), Metric(*METRIC_ARGS)}) == 1


def test_a_quick_constructor_refuses_what_the_class_refuses():
    with pytest.raises(TypeError):
        new_run("only", "two")
    with pytest.raises(TypeError):
        new_metric(*METRIC_ARGS, unknown=1)


def test_any_frozen_slots_dataclass_gets_one():
    @dataclasses.dataclass(frozen=True, slots=True)
    class Point:
        x: int
        tags: tuple[str, ...] = ()

    made = quick_constructor(Point)(1)
    assert type(made) is Point and made == Point(1)
