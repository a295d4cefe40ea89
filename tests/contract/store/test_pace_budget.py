"""The shared pacing budget on every backend: slots a sliding window admits, shared by every connection
(threads and processes on one store), forgotten once a window old, bounded, and robust to a crashed
taker, a skewed clock and a damaged row."""

from __future__ import annotations

import json
import math
import multiprocessing
import threading
from pathlib import Path
from typing import Any

import pytest

from reconciler.errors import StateError
from reconciler.store import StateStore, open_store
from reconciler.store.pace import MAX_AHEAD_SECONDS
from reconciler.store.sqlstore import SqlStore
from tests.contract.store.conftest import Backend

BUDGET = "admin https://api.openai.com/v1"
WINDOW = 62.0
T0 = 1_700_000_000.0


def _take(store: StateStore, now: float, *, limit: int = 3, budget: str = BUDGET) -> float:
    return store.take_pace_slot(budget, limit=limit, window_seconds=WINDOW, now=now)


def _most_in_any_window(starts: list[float]) -> int:
    return max(sum(1 for s in starts if t - WINDOW < s <= t) for t in starts)


def test_a_window_admits_limit_slots_at_once_and_the_next_one_window_after_the_first(store: SqlStore) -> None:
    assert [_take(store, T0) for _ in range(3)] == [T0] * 3
    assert _take(store, T0 + 1) == T0 + WINDOW  # a turn, not a refusal: the caller sleeps until then
    assert _take(store, T0 + 2) == T0 + WINDOW
    assert _take(store, T0 + 3) == T0 + WINDOW
    assert _take(store, T0 + 4) == T0 + 2 * WINDOW


def test_slots_once_a_window_old_leave_a_fresh_budget(store: SqlStore) -> None:
    for _ in range(3):
        _take(store, T0)
    assert [_take(store, T0 + WINDOW) for _ in range(3)] == [T0 + WINDOW] * 3


def test_every_connection_shares_the_one_budget(backend: Backend) -> None:
    one, two = backend.connect(), backend.connect()
    starts = [_take(handle, T0) for handle in (one, two, one, two, one, two)]
    assert starts == [T0] * 3 + [T0 + WINDOW] * 3


def test_budgets_are_separate_by_name_and_not_scoped_by_workspace(store: SqlStore) -> None:
    for _ in range(3):
        _take(store, T0)
    assert _take(store, T0, budget="admin http://127.0.0.1:8000/v1") == T0
    assert _take(store, T0) == T0 + WINDOW


def test_racing_threads_on_their_own_connections_never_overfill_a_window(backend: Backend) -> None:
    handles = [backend.connect() for _ in range(4)]
    starts: list[float] = []
    errors: list[BaseException] = []
    gate = threading.Barrier(len(handles), timeout=60)

    def worker(handle: StateStore) -> None:
        try:
            gate.wait()
            for _ in range(6):
                starts.append(_take(handle, T0, limit=4))
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(h,)) for h in handles]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors
    assert sorted(starts) == [T0 + k * WINDOW for k in range(6) for _ in range(4)]
    assert _most_in_any_window(starts) == 4


def _take_in_process(dsn: str, gate: Any, results: Any, index: int) -> None:
    with open_store(dsn) as store:
        gate.wait()
        results.put((index, [_take(store, T0, limit=4) for _ in range(6)]))


def test_racing_processes_share_the_sqlite_file_budget(tmp_path: Path) -> None:
    dsn = f"sqlite:///{tmp_path}/state.db"
    open_store(dsn).close()
    ctx = multiprocessing.get_context("spawn")
    gate = ctx.Barrier(2, timeout=60)
    results = ctx.Queue()
    procs = [ctx.Process(target=_take_in_process, args=(dsn, gate, results, i)) for i in range(2)]
    for p in procs:
        p.start()
    try:
        starts = [s for _ in procs for s in results.get(timeout=120)[1]]
    finally:
        for p in procs:
            p.join(timeout=30)
        results.close()
        results.join_thread()
    assert [p.exitcode for p in procs] == [0, 0]
    assert sorted(starts) == [T0 + k * WINDOW for k in range(3) for _ in range(4)]


def test_a_crashed_taker_holds_nothing_beyond_a_window_after_its_last_slot(store: SqlStore) -> None:
    """A process took the whole window and a turn ahead, then died before using any of them."""
    for _ in range(4):
        _take(store, T0)
    assert _take(store, T0 + WINDOW + 1) == T0 + WINDOW + 1  # the window is free again
    assert _take(store, T0 + 2 * WINDOW + 1) == T0 + 2 * WINDOW + 1  # and so is its turn's


def test_a_slot_from_a_clock_far_ahead_does_not_stall_the_others(store: SqlStore) -> None:
    _take(store, T0 + 3600)  # another host whose clock is an hour fast
    assert MAX_AHEAD_SECONDS < 3600
    assert _take(store, T0) == T0


def _row(store: SqlStore) -> list[float]:
    ((slots,),) = store._query("SELECT slots FROM pace_budgets WHERE budget = ?", (BUDGET,))
    return list(json.loads(slots))


def test_the_row_stays_bounded(store: SqlStore) -> None:
    for k in range(200):
        assert _take(store, T0 + k * 31.0, limit=2) == T0 + k * 31.0  # within the pace: never waits
    assert len(_row(store)) <= 3  # the window's slots; older ones are forgotten
    for k in range(300):  # far faster than the pace: the turns given out run ahead, up to a bound
        _take(store, T0 + 10_000 + k, limit=2)
    assert len(_row(store)) <= 2 * math.ceil((MAX_AHEAD_SECONDS + WINDOW) / WINDOW) + 1


@pytest.mark.parametrize("damage", ["not json", '{"a": 1}', '[1, "x"]', "[1e999]"])
def test_a_damaged_row_counts_as_no_slots_and_is_rewritten(store: SqlStore, damage: str) -> None:
    store._exec("INSERT INTO pace_budgets (budget, slots, updated_at) VALUES (?, ?, ?)", (BUDGET, damage, T0))
    assert _take(store, T0) == T0
    assert [_take(store, T0) for _ in range(3)] == [T0, T0, T0 + WINDOW]


def test_pace_arguments_are_checked(store: SqlStore) -> None:
    with pytest.raises(StateError, match="1 to"):
        _take(store, T0, limit=0)
    with pytest.raises(StateError, match="invalid pace budget"):
        _take(store, T0, budget="")
    with pytest.raises(StateError, match="shaped like an API key"):
        _take(store, T0, budget="admin sk-admin-" + "x" * 30)
    with pytest.raises(StateError, match="positive window"):
        store.take_pace_slot(BUDGET, limit=3, window_seconds=0, now=T0)
