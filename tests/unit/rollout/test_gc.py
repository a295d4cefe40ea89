"""gc: what it keeps (pointer-held, newest N, ids still in use), what it deletes, and how it fails."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Collection
from typing import Any, cast

import pytest

from reconciler.calls.retry import Retrier
from reconciler.config import RetrySettings
from reconciler.errors import (
    LockHeld,
    NotFound,
    PermanentPlatformError,
    PlanRejected,
    TemporaryPlatformError,
)
from reconciler.model import labels
from reconciler.model.desired import Kind, ResourceKey
from reconciler.model.live import LiveAssistant, LiveState
from reconciler.model.stored import InventoryRecord
from reconciler.rollout.gc import GcOutcome, collect_garbage, plan_gc
from reconciler.store import Lease, StateStore
from reconciler.store.holder import start_token
from reconciler.targets.base import ReadTuning, Target
from reconciler.targets.handlers import HandlerTable, Ref
from tests.unit.rollout.conftest import NAME, WS, add, move


class FakeTarget:
    """Records deletions; ids in `failing` raise a permanent error, ids in `gone` a 404, ids in `flaky`
    a temporary error once. `listed` are the labelled assistants a read returns."""

    versions_on_platform = True

    def __init__(
        self,
        failing: set[str] | None = None,
        gone: set[str] | None = None,
        flaky: set[str] | None = None,
        listed: set[str] | None = None,
    ) -> None:
        self.deleted: list[str] = []
        self.failing = failing or set()
        self.gone = gone or set()
        self.flaky = flaky or set()
        self.listed = listed or set()
        self.owners: dict[str, str] = {}  # id -> the owner label a listed assistant carries
        self.reads = 0
        self.read_error: Exception | None = None
        self.read_failures = 0  # how many reads still fail with read_error (retried ones count)
        self.handlers = HandlerTable.of("fake", _AssistantDeletes(self))  # gc only deletes assistants

    def _fail(self) -> LiveState:
        if self.read_failures > 0 and self.read_error is not None:
            self.read_failures -= 1
            raise self.read_error
        return self._listing()

    def delete_assistant(self, assistant_id: str) -> None:
        if assistant_id in self.failing:
            raise PermanentPlatformError(f"delete assistant {assistant_id}: 500 boom", status=500)
        if assistant_id in self.gone:
            raise NotFound(f"no assistant {assistant_id}", status=404)
        if assistant_id in self.flaky:
            self.flaky.discard(assistant_id)
            raise TemporaryPlatformError(f"delete assistant {assistant_id}: HTTP 503", status=503)
        self.deleted.append(assistant_id)
        self.listed.discard(assistant_id)

    def read(self, kinds: Collection[Kind], tuning: ReadTuning | None = None) -> LiveState:
        self.reads += 1
        if self.read_error is not None:
            return (tuning or ReadTuning()).run(self._fail)

        return self._listing()

    def _listing(self) -> LiveState:
        def metadata(i: str) -> dict[str, str]:
            owner = {labels.OWNER: self.owners[i]} if i in self.owners else {}
            return {labels.MANAGED_BY: labels.MANAGED_BY_VALUE, **owner}

        return LiveState(
            assistants={i: LiveAssistant(id=i, model="gpt-4o", metadata=metadata(i)) for i in self.listed}
        )


class _AssistantDeletes:
    """The one verb gc uses of the assistant handler."""

    kind = Kind.ASSISTANT

    def __init__(self, target: FakeTarget) -> None:
        self.target = target

    def delete(self, ref: Ref) -> None:
        self.target.delete_assistant(ref.id)


def _retrier() -> Retrier:
    return Retrier(RetrySettings(), sleep=lambda _: None)


def _eight_with_stable_on_2(store: StateStore) -> None:
    for n in range(1, 9):
        add(store, n)
        move(store, n)
    store.move_pointer(WS, NAME, "stable", 2, user="u", host="h", reason="rollback", now=99.0)


def test_keeps_the_newest_n_and_every_pointer_held_version(store: StateStore) -> None:
    _eight_with_stable_on_2(store)
    target = FakeTarget()
    report = collect_garbage(store, cast(Target, target), WS, keep=5)
    assert target.deleted == ["asst_v1", "asst_v3"]
    assert [(i.number, i.outcome) for i in report.items] == [(1, GcOutcome.DELETED), (3, GcOutcome.DELETED)]
    assert report.ok and report.kept == 6
    assert [v.number for v in store.versions(WS, NAME) if v.deleted] == [1, 3]


def test_default_keep_is_five(store: StateStore) -> None:
    for n in range(1, 8):
        add(store, n)
    move(store, 7)
    doomed, kept = plan_gc(store, WS)
    assert [v.number for v in doomed] == [1, 2] and kept == 5


def test_keep_zero_still_keeps_what_a_pointer_holds(store: StateStore) -> None:
    _eight_with_stable_on_2(store)
    move(store, 5, pointer="canary")
    doomed, kept = plan_gc(store, WS, keep=0)
    assert [v.number for v in doomed] == [1, 3, 4, 6, 7, 8] and kept == 2


def test_dry_run_touches_neither_platform_nor_store(store: StateStore) -> None:
    _eight_with_stable_on_2(store)
    target = FakeTarget()
    report = collect_garbage(store, cast(Target, target), WS, keep=5, dry_run=True)
    assert [(i.number, i.outcome) for i in report.items] == [
        (1, GcOutcome.WOULD_DELETE),
        (3, GcOutcome.WOULD_DELETE),
    ]
    assert target.deleted == []
    assert not any(v.deleted for v in store.versions(WS, NAME))


def test_a_failed_deletion_is_reported_and_gc_carries_on(store: StateStore) -> None:
    for n in range(1, 5):
        add(store, n)
    move(store, 4)
    target = FakeTarget(failing={"asst_v2"}, gone={"asst_v3"})
    report = collect_garbage(store, cast(Target, target), WS, keep=1)
    assert [(i.number, i.outcome) for i in report.items] == [
        (1, GcOutcome.DELETED),
        (2, GcOutcome.FAILED),
        (3, GcOutcome.ALREADY_GONE),
    ]
    assert not report.ok
    assert [i.number for i in report.failed] == [2]
    assert "500 boom" in report.failed[0].error and "next gc" in report.failed[0].error
    assert target.deleted == ["asst_v1"]
    # flagged first, so no pointer can be moved onto a version whose platform object may be gone
    assert [v.number for v in store.versions(WS, NAME) if v.deleted] == [1, 2, 3]


def test_never_deletes_an_id_a_kept_version_or_the_inventory_still_names(store: StateStore) -> None:
    add(store, 1, platform_id="asst_shared")
    add(store, 2, platform_id="asst_inv")
    add(store, 3, platform_id="asst_shared")
    add(store, 4)
    move(store, 3)
    store.upsert_inventory(
        WS, InventoryRecord(key=ResourceKey(kind=Kind.ASSISTANT, name=NAME), platform_id="asst_inv")
    )
    target = FakeTarget()
    report = collect_garbage(store, cast(Target, target), WS, keep=1)
    assert report.items == [] and target.deleted == []


def test_only_recorded_versions_are_candidates_and_assistants_are_separate(store: StateStore) -> None:
    for n in (1, 2):
        add(store, n)
        add(store, n, assistant="Other", platform_id=f"asst_other_{n}")
    move(store, 2)
    move(store, 2, assistant="Other")
    target = FakeTarget()
    collect_garbage(store, cast(Target, target), WS, keep=1)
    assert sorted(target.deleted) == ["asst_other_1", "asst_v1"]


def test_versions_kept_only_in_the_store_are_flagged_and_handed_to_the_handler_without_a_listing(
    store: StateStore,
) -> None:
    """A bundle's handler deletes what it keeps beside the bundle (a materialised agent; nothing
    otherwise); gc lists no platform assistants for it."""
    add(store, 1)
    add(store, 2)
    move(store, 2)
    target = FakeTarget()
    target.versions_on_platform = False
    report = collect_garbage(store, cast(Target, target), WS, keep=1)
    assert [(i.number, i.outcome) for i in report.items] == [(1, GcOutcome.DELETED)]
    assert target.deleted == ["asst_v1"] and store.versions(WS, NAME)[0].deleted
    assert target.reads == 0


def test_a_bundle_whose_agent_cannot_be_deleted_is_flagged_and_says_so(store: StateStore) -> None:
    add(store, 1)
    add(store, 2)
    move(store, 2)
    target = FakeTarget(failing={"asst_v1"})
    target.versions_on_platform = False
    report = collect_garbage(store, cast(Target, target), WS, keep=1)
    (item,) = report.items
    assert item.outcome is GcOutcome.FAILED and "its platform agent remains" in item.error
    assert store.versions(WS, NAME)[0].deleted


def test_gc_refuses_while_an_apply_holds_the_lock(store: StateStore) -> None:
    add(store, 1)
    add(store, 2)
    move(store, 2)
    store.acquire_lock(WS, owner="ci", host="runner", ttl_seconds=900.0, now=time.time())
    target = FakeTarget()
    with pytest.raises(LockHeld):
        collect_garbage(store, cast(Target, target), WS, keep=1)
    assert target.deleted == []
    assert store.current_lock(WS) is not None  # gc did not release someone else's lease


def test_negative_keep_is_refused(store: StateStore) -> None:
    with pytest.raises(ValueError, match="keep"):
        plan_gc(store, WS, keep=-1)


def test_a_temporary_error_on_a_delete_is_retried(store: StateStore) -> None:
    for n in (1, 2):
        add(store, n)
    move(store, 2)
    target = FakeTarget(flaky={"asst_v1"})
    report = collect_garbage(store, cast(Target, target), WS, keep=1, retrier=_retrier())
    assert [(i.number, i.outcome) for i in report.items] == [(1, GcOutcome.DELETED)]
    assert target.deleted == ["asst_v1"]


def test_the_next_gc_deletes_what_a_failed_one_left_on_the_platform(store: StateStore) -> None:
    for n in (1, 2, 3):
        add(store, n)
    move(store, 3)
    target = FakeTarget(failing={"asst_v1"}, listed={"asst_v1", "asst_v2", "asst_v3"})
    first = collect_garbage(store, cast(Target, target), WS, keep=1)
    assert [(i.number, i.outcome) for i in first.items] == [(1, GcOutcome.FAILED), (2, GcOutcome.DELETED)]

    target.failing.clear()
    preview = collect_garbage(store, cast(Target, target), WS, keep=1, dry_run=True)
    assert [(i.number, i.outcome) for i in preview.items] == [(1, GcOutcome.WOULD_DELETE)]
    second = collect_garbage(store, cast(Target, target), WS, keep=1)
    assert [(i.number, i.outcome) for i in second.items] == [(1, GcOutcome.DELETED)]
    assert target.deleted == ["asst_v2", "asst_v1"]
    third = collect_garbage(store, cast(Target, target), WS, keep=1)
    assert third.items == []


def test_a_flagged_id_that_a_live_version_or_the_inventory_names_is_not_a_leftover(store: StateStore) -> None:
    add(store, 1, platform_id="asst_shared")
    add(store, 2)
    move(store, 2)
    store.mark_version_deleted(WS, NAME, 1)
    add(store, 3, platform_id="asst_shared")
    move(store, 3)
    target = FakeTarget(listed={"asst_shared", "asst_v2"})
    report = collect_garbage(store, cast(Target, target), WS, keep=5)
    assert report.items == [] and target.deleted == []


def test_no_list_call_when_nothing_was_ever_flagged(store: StateStore) -> None:
    add(store, 1)
    move(store, 1)
    target = FakeTarget(listed={"asst_v1"})
    collect_garbage(store, cast(Target, target), WS, keep=1)
    assert target.reads == 0


def _flagged_v1_listed_and_failing(store: StateStore, *, versions: int, failures: int) -> FakeTarget:
    """Versions 1..n with stable on n; an earlier gc flagged 1 but its object is still listed; the
    listing fails `failures` times with a 503."""
    for n in range(1, versions + 1):
        add(store, n)
    move(store, versions)
    store.mark_version_deleted(WS, NAME, 1)
    target = FakeTarget(listed={"asst_v1"})
    target.read_error = TemporaryPlatformError("list assistants: HTTP 503", status=503)
    target.read_failures = failures
    return target


def test_without_the_listing_gc_deletes_nothing(store: StateStore) -> None:
    target = _flagged_v1_listed_and_failing(store, versions=3, failures=100)
    with pytest.raises(TemporaryPlatformError, match="503"):
        collect_garbage(store, cast(Target, target), WS, keep=1, retrier=_retrier())
    assert target.deleted == []
    assert [v.number for v in store.versions(WS, NAME) if v.deleted] == [1]  # only the earlier run's
    assert store.current_lock(WS) is None


def test_a_failing_listing_with_only_leftovers_at_stake_is_a_warning(store: StateStore) -> None:
    target = _flagged_v1_listed_and_failing(store, versions=2, failures=100)
    report = collect_garbage(store, cast(Target, target), WS, keep=1, retrier=_retrier())
    assert target.deleted == [] and report.ok and report.items == []
    assert len(report.warnings) == 1 and "not checked" in report.warnings[0] and "503" in report.warnings[0]


def test_the_leftover_listing_is_retried(store: StateStore) -> None:
    target = _flagged_v1_listed_and_failing(store, versions=2, failures=1)
    report = collect_garbage(store, cast(Target, target), WS, keep=1, retrier=_retrier())
    assert target.deleted == ["asst_v1"] and report.warnings == []


def test_the_lease_is_renewed_before_each_deletion(
    store: StateStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    for n in (1, 2, 3):
        add(store, n)
    move(store, 3)
    renewals: list[float] = []
    renew = store.renew_lock

    def counting(lease: Any, *, now: float) -> Any:
        renewals.append(now)
        return renew(lease, now=now)

    monkeypatch.setattr(store, "renew_lock", counting)
    collect_garbage(store, cast(Target, FakeTarget()), WS, keep=1)
    assert len(renewals) == 2  # versions 1 and 2


OURS = "corporate-assist/local"


def test_a_version_another_owner_labels_stops_gc_before_any_deletion(store: StateStore) -> None:
    for n in (1, 2, 3, 4):
        add(store, n)
    move(store, 4)
    target = FakeTarget(listed={"asst_v1", "asst_v2", "asst_v3", "asst_v4"})
    target.owners = {"asst_v1": OURS, "asst_v2": "other-project/local", "asst_v3": OURS, "asst_v4": OURS}
    for dry_run in (True, False):
        with pytest.raises(
            PlanRejected, match=r"CorporateAssist v2 \(asst_v2 is owned by 'other-project/local'\)"
        ):
            collect_garbage(store, cast(Target, target), WS, keep=1, dry_run=dry_run, label_owner=OURS)
    assert target.deleted == [] and target.reads == 2
    assert not any(v.deleted for v in store.versions(WS, NAME))
    assert store.current_lock(WS) is None


def test_ours_and_unlabelled_legacy_versions_are_deleted_with_one_listing(store: StateStore) -> None:
    for n in (1, 2, 3):
        add(store, n)
    move(store, 3)
    # v1 carries our owner label, v2 predates owner labels, v3 (kept) is someone else's: not at stake
    target = FakeTarget(listed={"asst_v1", "asst_v2", "asst_v3"})
    target.owners = {"asst_v1": OURS, "asst_v3": "other-project/local"}
    report = collect_garbage(store, cast(Target, target), WS, keep=1, label_owner=OURS)
    assert target.deleted == ["asst_v1", "asst_v2"] and report.ok and target.reads == 1


def test_a_leftover_another_owner_labels_is_refused_too(store: StateStore) -> None:
    add(store, 1)
    add(store, 2)
    move(store, 2)
    store.mark_version_deleted(WS, NAME, 1)
    target = FakeTarget(listed={"asst_v1", "asst_v2"})
    target.owners = {"asst_v1": "other-project/local"}
    with pytest.raises(PlanRejected, match="asst_v1 is owned by 'other-project/local'"):
        collect_garbage(store, cast(Target, target), WS, keep=1, label_owner=OURS)
    assert target.deleted == []


def test_gc_takes_over_a_lease_whose_holder_on_this_host_is_gone(store: StateStore) -> None:
    """gc takes the lease as apply does: a dead holder's lease on this host is taken over, not waited out;
    and gc's own lease names its process, so `state unlock` can tell whether it still runs."""
    add(store, 1)
    add(store, 2)
    move(store, 2)
    child = subprocess.Popen([sys.executable, "-c", "import sys; sys.stdin.read()"], stdin=subprocess.PIPE)
    try:
        token = start_token(child.pid)
    finally:
        assert child.stdin is not None
        child.stdin.close()
        child.wait(timeout=30)
    host = socket.gethostname()
    store.acquire_lock(
        WS, owner="ana", host=host, ttl_seconds=900.0, now=time.time(), pid=child.pid, process_start=token
    )
    taken: list[Lease] = []
    acquire = store.take_over_lock

    def recording(current: Lease, **kwargs: Any) -> Lease:
        lease = acquire(current, **kwargs)
        taken.append(lease)
        return lease

    setattr(store, "take_over_lock", recording)  # noqa: B010 (a store method, not an attribute read)
    report = collect_garbage(store, cast(Target, FakeTarget()), WS, keep=1)
    assert [(i.number, i.outcome) for i in report.items] == [(1, GcOutcome.DELETED)]
    assert [(lease.host, lease.pid) for lease in taken] == [(host, os.getpid())]
    assert store.current_lock(WS) is None


def test_versions_live_conversations_are_pinned_to_are_kept(store: StateStore) -> None:
    """A conversation seen within the retention must find its version on its next turn; one idle longer
    than that no longer holds it (issue 17 item 1's rule, needed by the canary: an abort with onAbort:
    keep leaves conversations on a version no pointer holds)."""
    _eight_with_stable_on_2(store)
    now = 10_000_000.0
    store.assign_conversation(WS, NAME, "recent", 4, now=now - 3600)
    store.assign_conversation(WS, NAME, "idle", 6, now=now - 40 * 86_400)
    target = FakeTarget(listed={f"asst_{n}" for n in range(1, 9)})
    report = collect_garbage(store, cast(Target, target), WS, keep=0, dry_run=True, now=lambda: now)
    assert report.pinned == {(NAME, 4): 1}
    assert sorted(i.number for i in report.items) == [1, 3, 5, 6, 7, 8]
    assert report.kept == 2


def test_a_configured_retention_decides_which_conversations_are_live(store: StateStore) -> None:
    """`conversations.retention` (issue 17): a 12-hour retention lets a conversation idle for a day go;
    a 2-day one keeps its version. The report carries the retention it used."""
    _eight_with_stable_on_2(store)
    now = 10_000_000.0
    store.assign_conversation(WS, NAME, "yesterday", 4, now=now - 86_400)
    target = FakeTarget(listed={f"asst_{n}" for n in range(1, 9)})
    short = collect_garbage(
        store, cast(Target, target), WS, keep=0, dry_run=True, retention=12 * 3_600.0, now=lambda: now
    )
    assert (short.pinned, short.retention) == ({}, 43_200.0)
    assert 4 in {i.number for i in short.items}
    long = collect_garbage(
        store, cast(Target, target), WS, keep=0, dry_run=True, retention=2 * 86_400.0, now=lambda: now
    )
    assert long.pinned == {(NAME, 4): 1}
    assert 4 not in {i.number for i in long.items}
    with pytest.raises(ValueError, match="retention must be positive"):
        collect_garbage(store, cast(Target, target), WS, dry_run=True, retention=0.0)


def test_conversations_migrated_to_a_copy_hold_no_version(store: StateStore) -> None:
    """A conversation migrated to another version (`moved_to`, migration 0012) lives on in its copy: the
    version it left may go, however recently the old pin was seen."""
    _eight_with_stable_on_2(store)
    now = 10_000_000.0
    store.assign_conversation(WS, NAME, "migrated", 5, now=now - 60)
    store.assign_conversation(WS, NAME, "staying", 6, now=now - 60)
    store._exec("UPDATE conversations SET moved_to = 'copy' WHERE conversation = 'migrated'")  # type: ignore[attr-defined]
    target = FakeTarget(listed={f"asst_{n}" for n in range(1, 9)})
    report = collect_garbage(store, cast(Target, target), WS, keep=0, dry_run=True, now=lambda: now)
    assert report.pinned == {(NAME, 6): 1}
    assert sorted(i.number for i in report.items) == [1, 3, 4, 5, 7, 8]
