"""Background loads step aside while keys arrive (yielding.py), on a fake clock."""

from __future__ import annotations

import pytest
from uihelp import SAMPLE, run_ui

from tuiflow.stores.file import FileStore
from tuiflow.ui import yielding


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0
        self.slept: list[float] = []
        self.on_sleep = lambda: None

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds
        self.on_sleep()


def _fake(monkeypatch) -> FakeClock:
    clock = FakeClock()
    monkeypatch.setattr(yielding, "time", clock)
    monkeypatch.setattr(yielding, "_last_input", float("-inf"))
    return clock


def test_no_recent_input_means_no_wait(monkeypatch):
    clock = _fake(monkeypatch)
    yielding.step_aside()
    yielding.note_input()
    clock.now += yielding.QUIET_S
    yielding.step_aside()
    assert clock.slept == []


def test_a_worker_waits_until_input_has_been_quiet(monkeypatch):
    clock = _fake(monkeypatch)
    yielding.note_input()
    clock.now += 0.1
    yielding.step_aside()
    assert sum(clock.slept) == pytest.approx(yielding.QUIET_S - 0.1)


def test_a_held_key_cannot_starve_a_load(monkeypatch):
    clock = _fake(monkeypatch)
    clock.on_sleep = yielding.note_input  # a key repeats all the time
    yielding.note_input()
    start = clock.now
    yielding.step_aside()
    assert clock.now - start == pytest.approx(yielding.STEP_ASIDE_MAX_S)


def test_the_app_notes_keys(monkeypatch):
    clock = _fake(monkeypatch)
    seen: list[float] = []

    async def body(pilot, app):
        before = yielding._last_input
        clock.now = 500.0
        await pilot.press("j")
        seen.extend([before, yielding._last_input])

    run_ui(FileStore(SAMPLE), body)
    assert seen[1] == 500.0 and seen[0] != 500.0


def test_a_workers_cancel_check_steps_aside_and_says_whether_to_stop(monkeypatch):
    clock = _fake(monkeypatch)

    class Worker:
        is_cancelled = False

    worker = Worker()
    check = yielding.cancel_check(worker)
    yielding.note_input()
    assert check() is False
    assert sum(clock.slept) == pytest.approx(yielding.QUIET_S)
    worker.is_cancelled = True
    assert check() is True


def test_collection_is_held_off_while_keys_come_and_resumes_when_quiet(monkeypatch):
    import gc
    import time

    from tuiflow.ui import heap

    monkeypatch.setattr(heap, "HOLD_QUIET_S", 0.3)
    assert gc.isenabled()
    heap.hold()
    try:
        assert not gc.isenabled()
        assert not heap.resume_if_quiet(last_input=time.monotonic())
        assert not gc.isenabled()
        assert heap.resume_if_quiet(last_input=time.monotonic() - 1)
        assert gc.isenabled()
        monkeypatch.setattr(heap, "HOLD_MAX_S", 0.0)  # held long enough: on again
        heap.hold()
        assert heap.resume_if_quiet(last_input=time.monotonic())
        assert gc.isenabled()
    finally:
        heap.resume()


def test_the_app_holds_collection_off_for_keys_and_not_for_long(monkeypatch):
    import gc

    from tuiflow.ui import heap

    monkeypatch.setattr(heap, "HOLD_QUIET_S", 0.3)
    monkeypatch.setattr(heap, "HOLD_MAX_S", 0.6)
    seen: dict[str, object] = {}

    async def body(pilot, app):
        await pilot.press("j")
        seen["right after a key"] = gc.isenabled()
        await pilot.pause(0.8)
        seen["quiet since"] = gc.isenabled()
        on_while_typing = []
        for _ in range(25):  # a key every 0.05 s for 1.25 s: never quiet
            await pilot.press("j", "k")
            on_while_typing.append(gc.isenabled())
            await pilot.pause(0.05)
        seen["on at times while typing on"] = any(on_while_typing)
        await pilot.press("j")

    store = FileStore(SAMPLE)
    try:
        run_ui(store, body)
    finally:
        store.close()
    assert seen == {
        "right after a key": False,
        "quiet since": True,
        "on at times while typing on": True,
    }
    assert gc.isenabled()  # the app ended: nothing held
