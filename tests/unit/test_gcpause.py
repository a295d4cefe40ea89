"""The garbage collector is paused while a plan runs (when asked) and given back as the caller had it."""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator

import pytest

from reconciler.service.gcpause import collection_paused


@pytest.fixture(autouse=True)
def _restore_gc() -> Iterator[None]:
    was = gc.isenabled()
    yield
    if was:
        gc.enable()
    else:
        gc.disable()


def test_collection_is_off_inside_and_back_on_after_even_on_error() -> None:
    gc.enable()
    with collection_paused():
        assert not gc.isenabled()
    assert gc.isenabled()
    with pytest.raises(RuntimeError), collection_paused():
        raise RuntimeError("a plan that fails")
    assert gc.isenabled()


def test_a_caller_who_turned_collection_off_keeps_it_off() -> None:
    gc.disable()
    with collection_paused():
        assert not gc.isenabled()
    assert not gc.isenabled()


def test_nested_and_concurrent_plans_share_one_pause() -> None:
    gc.enable()
    inside, leave = threading.Event(), threading.Event()

    def other_plan() -> None:
        with collection_paused():
            inside.set()
            assert leave.wait(timeout=10)

    worker = threading.Thread(target=other_plan)
    with collection_paused():
        worker.start()
        assert inside.wait(timeout=10)
        with collection_paused():
            pass
        assert not gc.isenabled()  # the nested one ended; two plans still run
    assert not gc.isenabled()  # ours ended; the other plan still runs
    leave.set()
    worker.join(timeout=10)
    assert gc.isenabled()  # the last one out turns it back on


def test_make_plan_pauses_collection_only_when_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    from reconciler.service import planning

    seen: list[bool] = []
    monkeypatch.setattr(planning, "_make_plan", lambda ws, **kwargs: seen.append(gc.isenabled()))
    gc.enable()
    planning.make_plan(None)  # type: ignore[arg-type]  # the workspace is not looked at here
    planning.make_plan(None, pause_gc=True)  # type: ignore[arg-type]
    assert seen == [True, False]
    assert gc.isenabled()
