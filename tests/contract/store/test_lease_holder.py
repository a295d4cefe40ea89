"""The state lease's holder, on every backend: the process a lease records, the atomic takeover of a lease
whose holder is provably gone (never by two rerunning processes at once), and the background keeper that
renews a lease while an apply runs and tells the apply when it lost it."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any, cast

import pytest

from reconciler.errors import LeaseLost, LockHeld, StateError
from reconciler.model.desired import Kind, ResourceKey
from reconciler.model.stored import InventoryRecord
from reconciler.store import StateStore, open_store, wait_for_lock
from reconciler.store.holder import HolderProcess, gone_reason, start_token
from reconciler.store.keeper import LeaseKeeper
from reconciler.store.lease import takeover_notice
from reconciler.store.migrate import bundled_migrations
from reconciler.store.records import Lease
from reconciler.store.sqlstore import SqlStore
from tests.contract.store.conftest import Backend, FakeClock

HOST = "ci-runner-7"


def _hold(
    store: StateStore, clock: FakeClock, *, ttl: float = 900, host: str = HOST, **process: Any
) -> Lease:
    return store.acquire_lock("prod", owner="ana", host=host, ttl_seconds=ttl, now=clock.now(), **process)


def _dead_process() -> HolderProcess:
    """A process that ran on this host and is gone: its pid and start token, taken while it lived."""
    child = subprocess.Popen([sys.executable, "-c", "import sys; sys.stdin.read()"], stdin=subprocess.PIPE)
    try:
        token = start_token(child.pid)
    finally:
        assert child.stdin is not None
        child.stdin.close()
        child.wait(timeout=30)
    return HolderProcess(pid=child.pid, start=token)


# -- what a lease records ---------------------------------------------------------------------------


def test_a_lease_records_its_holder_process_and_keeps_it_when_renewed(
    store: SqlStore, clock: FakeClock
) -> None:
    lease = _hold(store, clock, pid=4242, process_start="boot/4026531836/123")
    assert (lease.pid, lease.process_start) == (4242, "boot/4026531836/123")
    assert store.current_lock("prod") == lease
    renewed = store.renew_lock(lease, now=clock.now() + 10)
    assert (renewed.pid, renewed.process_start) == (4242, "boot/4026531836/123")
    assert store.current_lock("prod") == renewed
    with pytest.raises(LockHeld, match=r"ana@ci-runner-7 \(pid 4242, lock id"):
        store.acquire_lock("prod", owner="bo", host="laptop", ttl_seconds=60, now=clock.now() + 20)
    # A lease taken without naming the process (an older caller) records none, and says none.
    store.release_lock(renewed)
    anonymous = _hold(store, clock)
    assert (anonymous.pid, anonymous.process_start) == (None, "")
    assert "pid" not in anonymous.describe()


@pytest.mark.parametrize("kind", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_a_lease_written_before_the_holder_columns_existed_reads_with_no_pid(
    tmp_path: Path, request: pytest.FixtureRequest, kind: str
) -> None:
    """Migration 0004 on a store whose lease row predates it."""
    dsn = f"sqlite:///{tmp_path}/state.db" if kind == "sqlite" else request.getfixturevalue("pg_schema_dsn")
    upto_3 = bundled_migrations()[:3]
    older = open_store(dsn)
    assert isinstance(older, SqlStore)
    with older:  # a store as a reconciler before 0004 left it
        older._exec("DELETE FROM schema_migrations WHERE number >= 4")
        older._exec("DROP TABLE budget_acceptances")  # 0013's, which came later
        for table in ("rate_budgets", "conversation_moves", "migration_items", "conversation_migrations"):
            older._exec(f"DROP TABLE {table}")  # 0012's, which came later
        for table in ("telemetry", "conversations", "analysis_runs", "rollout_events", "rollouts"):
            older._exec(f"DROP TABLE {table}")  # 0010's, which came later
        older._exec("DROP TABLE stop_history")  # 0009's
        older._exec("DROP TABLE stops")
        older._exec("ALTER TABLE versions DROP COLUMN tools")  # 0011's
        older._exec("ALTER TABLE versions DROP COLUMN bundle")  # 0008's, which came later
        older._exec("DROP TABLE pace_budgets")  # 0006's, which came later
        older._exec("ALTER TABLE pointer_history DROP COLUMN accepted")  # 0005's, which came later
        older._exec("ALTER TABLE pointer_history DROP COLUMN cleared")
        older._exec("ALTER TABLE locks DROP COLUMN process_start")
        older._exec("ALTER TABLE locks DROP COLUMN pid")
        assert older.migrate(upto_3) == []
        older._exec(
            "INSERT INTO locks (workspace, lock_id, owner, host, acquired_at, expires_at, ttl_seconds) "
            "VALUES ('prod', 'old-lock', 'ana', ?, 1.0, 9e10, 900.0)",
            (HOST,),
        )
    with open_store(dsn) as store:
        old = store.current_lock("prod")
        assert old is not None and (old.lock_id, old.pid, old.process_start) == ("old-lock", None, "")
        assert gone_reason(old, host=HOST) is None  # no pid: never provably gone, waits for its expiry


# -- taking over a lease whose holder is gone -------------------------------------------------------


def test_take_over_replaces_only_the_lease_it_proved_dead(store: SqlStore, clock: FakeClock) -> None:
    dead = _hold(store, clock, pid=1, process_start="x")
    new = store.take_over_lock(dead, owner="bo", host=HOST, ttl_seconds=900, now=clock.now(), pid=2)
    assert store.current_lock("prod") == new and new.lock_id != dead.lock_id and new.pid == 2
    with pytest.raises(LockHeld):
        store.renew_lock(dead, now=clock.now())
    store.release_lock(dead)  # a no-op: the dead holder's id no longer names the lock
    assert store.current_lock("prod") == new
    # Proving the same (old) holder gone again takes nothing: the lock has a live holder now.
    with pytest.raises(LockHeld) as caught:
        store.take_over_lock(dead, owner="cy", host=HOST, ttl_seconds=900, now=clock.now())
    assert (caught.value.holder, caught.value.lock_id) == (f"bo@{HOST}", new.lock_id)
    # Released meanwhile: the takeover is an ordinary acquisition.
    store.release_lock(new)
    mine = store.take_over_lock(dead, owner="cy", host=HOST, ttl_seconds=900, now=clock.now())
    assert store.current_lock("prod") == mine


def test_two_rerunning_processes_never_both_take_over_a_dead_lease(
    backend: Backend, clock: FakeClock
) -> None:
    rounds = 25
    handles = [backend.connect(), backend.connect()]
    barrier = threading.Barrier(2, timeout=60)
    dead: list[Lease] = []
    wins: list[list[int]] = [[], []]
    errors: list[BaseException] = []

    def rerun(index: int) -> None:
        try:
            for round_no in range(rounds):
                if index == 0:
                    current = handles[0].current_lock("prod")
                    if current is not None:
                        handles[0].release_lock(current)
                    dead.append(_hold(handles[0], clock, pid=10_000 + round_no))
                barrier.wait()
                try:
                    handles[index].take_over_lock(
                        dead[round_no], owner=f"rerun{index}", host=HOST, ttl_seconds=900, now=clock.now()
                    )
                    wins[index].append(1)
                except LockHeld:
                    wins[index].append(0)
                barrier.wait()
        except BaseException as exc:  # surfaced below
            errors.append(exc)
            barrier.abort()

    threads = [threading.Thread(target=rerun, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors
    assert [a + b for a, b in zip(*wins, strict=True)] == [1] * rounds


def test_wait_for_lock_takes_over_a_lock_whose_holder_is_gone_and_says_so(
    store: SqlStore, clock: FakeClock
) -> None:
    gone = _dead_process()
    dead = _hold(store, clock, pid=gone.pid, process_start=gone.start)
    told: list[str] = []
    lease = wait_for_lock(
        store,
        "prod",
        owner="bo",
        host=HOST,
        ttl_seconds=900,
        timeout=0,
        clock=clock,
        sleeper=clock.sleep,
        process=HolderProcess.current(),
        holder_gone=lambda held: gone_reason(held, host=HOST),
        on_takeover=lambda previous, reason: told.append(takeover_notice(previous, reason)),
    )
    assert store.current_lock("prod") == lease and lease.owner == "bo" and clock.sleeps == []
    assert told == [
        f"took over the lock {dead.lock_id} of ana's apply by pid {gone.pid} on {HOST}: that process is gone"
    ]


@pytest.mark.parametrize("holder", ["live", "other host", "no pid"])
def test_wait_for_lock_never_takes_over_a_holder_not_proved_gone(
    store: SqlStore, clock: FakeClock, holder: str
) -> None:
    me = HolderProcess.current()
    process: dict[str, Any] = {
        "live": {"pid": me.pid, "process_start": me.start},
        "other host": {"pid": _dead_process().pid, "host": "another-host"},
        "no pid": {},
    }[holder]
    held = _hold(store, clock, **process)
    told: list[str] = []
    with pytest.raises(LockHeld) as caught:
        wait_for_lock(
            store,
            "prod",
            owner="bo",
            host=HOST,
            ttl_seconds=900,
            timeout=3,
            clock=clock,
            sleeper=clock.sleep,
            process=me,
            holder_gone=lambda lease: gone_reason(lease, host=HOST),
            on_takeover=lambda previous, reason: told.append(reason),
        )
    assert caught.value.lock_id == held.lock_id and told == []
    assert store.current_lock("prod") == held


# -- keeping the lease while an apply runs ----------------------------------------------------------


def test_the_keeper_renews_so_a_second_apply_cannot_take_the_lock(store: SqlStore, clock: FakeClock) -> None:
    lease = _hold(store, clock, ttl=60)
    keeper = LeaseKeeper(store, lease, clock=clock)
    for _ in range(10):  # ten minutes of a step that takes longer than the lease
        clock.sleep(20)
        assert keeper.renew()
        keeper.check()
        with pytest.raises(LockHeld):
            store.acquire_lock("prod", owner="bo", host="laptop", ttl_seconds=60, now=clock.now())
    assert keeper.lease.expires_at == clock.now() + 60
    assert store.current_lock("prod") == keeper.lease


def test_a_worker_renews_a_lease_about_to_expire_itself(store: SqlStore, clock: FakeClock) -> None:
    lease = _hold(store, clock, ttl=60)
    keeper = LeaseKeeper(store, lease, clock=clock)  # its thread never started: renewals fell behind
    clock.sleep(55)
    keeper.check()  # less than a tenth left: renewed on the spot, since nobody took it
    assert keeper.lease.expires_at == clock.now() + 60
    assert not keeper.lost


def test_a_keeper_whose_lease_was_taken_over_stops_its_apply(store: SqlStore, clock: FakeClock) -> None:
    lease = _hold(store, clock, ttl=60)
    keeper = LeaseKeeper(store, lease, clock=clock)
    clock.sleep(61)  # suspended past the expiry: another apply takes the lock
    other = store.acquire_lock("prod", owner="bo", host="laptop", ttl_seconds=60, now=clock.now())
    assert not keeper.renew()
    with pytest.raises(LeaseLost) as caught:
        keeper.check()
    message = caught.value.one_line()
    assert message.startswith("this apply lost the state lock")
    assert f"taken over by bo@laptop (lock id {other.lock_id})" in message
    assert "stopped before its next platform call" in message
    assert not keeper.renew()  # lost for good: no renewal can win it back
    assert store.current_lock("prod") == other


def test_a_keeper_whose_lease_was_force_unlocked_stops_its_apply(store: SqlStore, clock: FakeClock) -> None:
    lease = _hold(store, clock, ttl=60)
    keeper = LeaseKeeper(store, lease, clock=clock)
    store.force_unlock("prod", lease.lock_id)
    keeper.check()  # nothing known yet: the next renewal finds out
    assert not keeper.renew()
    with pytest.raises(LeaseLost, match="removed"):
        keeper.check()


class _FailingRenewals:
    """A store whose renewals fail (unreachable, say) `failures` times; everything else is the store's."""

    def __init__(self, store: StateStore, failures: int) -> None:
        self.store = store
        self.failures = failures

    def renew_lock(self, lease: Lease, *, now: float) -> Lease:
        if self.failures > 0:
            self.failures -= 1
            raise StateError("the state store is unreachable")
        return self.store.renew_lock(lease, now=now)


def test_failed_renewals_are_retried_until_the_lease_is_about_to_expire(
    store: SqlStore, clock: FakeClock
) -> None:
    lease = _hold(store, clock, ttl=60)
    flaky = _FailingRenewals(store, failures=2)
    keeper = LeaseKeeper(cast(StateStore, flaky), lease, clock=clock)
    clock.sleep(20)
    assert keeper.renew() and keeper.renew()  # two failures: logged, the lease still counts as ours
    keeper.check()
    assert keeper.renew() and keeper.lease.expires_at == clock.now() + 60  # the store is back

    flaky.failures = 100
    clock.sleep(55)
    expired = "could not be renewed before it expired; last error: the state store is unreachable"
    with pytest.raises(LeaseLost, match=expired):
        keeper.check()


def test_the_keeper_thread_renews_in_the_background(store: SqlStore) -> None:
    ttl = 0.6
    lease = store.acquire_lock("prod", owner="ana", host=HOST, ttl_seconds=ttl, now=time.time())
    with LeaseKeeper(store, lease, interval=0.1) as keeper:
        deadline = time.monotonic() + 3 * ttl
        while time.monotonic() < deadline:
            time.sleep(0.05)
            with pytest.raises(LockHeld):
                store.acquire_lock("prod", owner="bo", host="laptop", ttl_seconds=ttl, now=time.time())
        keeper.check()
    assert keeper.lease.expires_at > lease.expires_at
    store.release_lock(keeper.stop())
    assert store.current_lock("prod") is None


def test_a_renewal_never_lands_inside_another_threads_transaction(store: SqlStore, clock: FakeClock) -> None:
    """The keeper shares the apply's store handle: its renewal waits for the apply's open transaction, and
    that transaction rolling back does not take the renewal with it."""
    lease = _hold(store, clock, ttl=60)
    keeper = LeaseKeeper(store, lease, clock=clock)
    clock.sleep(30)
    renewer = threading.Thread(target=keeper.renew)
    record = InventoryRecord(key=ResourceKey(kind=Kind.VECTOR_STORE, name="docs"), platform_id="vs_1")
    with pytest.raises(RuntimeError), store.transaction():
        store.upsert_inventory("prod", record)
        renewer.start()
        renewer.join(timeout=0.3)
        assert renewer.is_alive()  # waiting for this transaction
        raise RuntimeError("the apply's write fails and rolls back")
    renewer.join(timeout=30)
    assert not renewer.is_alive()
    assert store.inventory("prod") == ()
    current = store.current_lock("prod")
    assert current is not None and current.expires_at == clock.now() + 60 == keeper.lease.expires_at
