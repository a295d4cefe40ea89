"""One contract for every state backend (SQLite in memory, SQLite file, PostgreSQL): what the planner,
executor, rollout and CLI may rely on, whichever DSN the project names."""

from __future__ import annotations

import contextlib
import itertools
import multiprocessing
import threading
import time
from pathlib import Path

import pytest

from reconciler.errors import LockHeld, StateError
from reconciler.model.desired import Kind, ResourceKey
from reconciler.model.stored import InventoryRecord, VersionRecord
from reconciler.model.waits import Wait, WaitReason
from reconciler.store import ApplyStatus, StateReader, StateStore, StepStatus, open_store, wait_for_lock
from reconciler.store import hints as hint_table
from reconciler.store.migrate import bundled_migrations
from reconciler.store.sqlstore import SqlStore
from tests.contract.store.conftest import Backend, FakeClock
from tests.contract.store.race import process_worker, race_rounds

ASSISTANT = ResourceKey(kind=Kind.ASSISTANT, name="CorporateAssist")
DOCS = ResourceKey(kind=Kind.VECTOR_STORE, name="docs")
DOCS_A = ResourceKey.attachment("docs", "docs/a.md")
DOCS_B = ResourceKey.attachment("docs", "docs/b.md")


def _record(key: ResourceKey, platform_id: str, **extra: object) -> InventoryRecord:
    return InventoryRecord.model_validate({"key": key, "platform_id": platform_id, **extra})


def _version(number: int, fingerprint: str = "", **extra: object) -> VersionRecord:
    return VersionRecord.model_validate(
        {
            "assistant": "CorporateAssist",
            "number": number,
            "platform_id": f"asst_{number}",
            "fingerprint": fingerprint or f"fp{number}",
            **extra,
        }
    )


def test_backend_satisfies_both_protocols(store: SqlStore) -> None:
    assert isinstance(store, StateStore)
    assert isinstance(store, StateReader)
    assert store.schema_version() == len(bundled_migrations())


# -- inventory -------------------------------------------------------------------------------------


def test_inventory_round_trip_with_vector_store_file_entries(store: SqlStore) -> None:
    assistant = _record(ASSISTANT, "asst_1", fingerprint="f1", live_hash="l1", protect=True, updated_at=5.5)
    vs = _record(DOCS, "vs_1", attributes={"chunking": {"type": "auto"}})
    file_a = _record(DOCS_A, "file_a", attributes={"store_id": "vs_1", "sha256": "aa"})
    file_b = _record(DOCS_B, "file_b", attributes={"store_id": "vs_1", "sha256": "bb"})
    for rec in (assistant, vs, file_a, file_b):
        store.upsert_inventory("prod", rec)

    got = store.inventory("prod")
    assert got == (assistant, vs, file_a, file_b)  # ordered by kind, name
    assert store.inventory("staging") == ()
    state = store.read("prod")
    assert state.record(DOCS) == vs  # the store entry, not one of its files
    assert state.record(ASSISTANT) == assistant

    # An upsert replaces exactly the entry its key names.
    changed = _record(DOCS_A, "file_a2", attributes={"store_id": "vs_1", "sha256": "a2"})
    store.upsert_inventory("prod", changed)
    assert store.inventory("prod") == (assistant, vs, changed, file_b)

    assert store.delete_inventory("prod", DOCS_B) is True
    assert store.delete_inventory("prod", DOCS_B) is False
    assert store.inventory("prod") == (assistant, vs, changed)
    assert store.delete_inventory("prod", DOCS) is True
    assert store.inventory("prod") == (assistant, changed)


def test_transaction_is_atomic_and_nests(store: SqlStore) -> None:
    with pytest.raises(RuntimeError), store.transaction():
        store.upsert_inventory("prod", _record(ASSISTANT, "asst_1"))
        with store.transaction():
            store.upsert_inventory("prod", _record(DOCS, "vs_1"))
        raise RuntimeError("crash before commit")
    assert store.inventory("prod") == ()

    with store.transaction():
        store.upsert_inventory("prod", _record(ASSISTANT, "asst_1"))
        store.upsert_inventory("prod", _record(DOCS, "vs_1"))
    assert len(store.inventory("prod")) == 2


def test_a_second_handle_sees_committed_writes(backend: Backend) -> None:
    backend.store.upsert_inventory("prod", _record(ASSISTANT, "asst_1"))
    other = backend.connect()
    assert other.read("prod").record(ASSISTANT) == _record(ASSISTANT, "asst_1")


def test_store_refuses_what_looks_like_an_api_key(store: SqlStore) -> None:
    key = "sk-proj-" + "A1b2C3d4" * 6
    with pytest.raises(StateError) as caught:
        store.upsert_inventory("prod", _record(ASSISTANT, "asst_1", attributes={"note": key}))
    assert key not in str(caught.value)
    apply_id = store.begin_apply("prod", "plan-1", now=1.0)
    with pytest.raises(StateError):
        store.record_step(
            apply_id, "create", "started", {"headers": {"Authorization": f"Bearer {key}"}}, now=2.0
        )
    assert store.inventory("prod") == ()
    assert store.steps(apply_id) == {}


# -- versions and release pointers -----------------------------------------------------------------


def test_versions_are_immutable_rows(store: SqlStore) -> None:
    store.add_version("prod", _version(1, created_at=10.0))
    store.add_version("prod", _version(2, parent=1, verdict={"create_meeting": {"backward": "breaking"}}))
    with pytest.raises(StateError, match="version 2 already exists"):
        store.add_version("prod", _version(2, fingerprint="other"))

    versions = store.versions("prod", "CorporateAssist")
    assert [v.number for v in versions] == [1, 2]
    assert versions[0].created_at == 10.0
    assert versions[1].parent == 1
    assert versions[1].verdict == {"create_meeting": {"backward": "breaking"}}
    assert store.versions("staging", "CorporateAssist") == ()

    store.mark_version_deleted("prod", "CorporateAssist", 1)
    assert [v.deleted for v in store.versions("prod", "CorporateAssist")] == [True, False]
    with pytest.raises(StateError, match="no version 7"):
        store.mark_version_deleted("prod", "CorporateAssist", 7)


def test_pointer_moves_keep_history_with_user_host_and_reason(store: SqlStore) -> None:
    for n in (1, 2):
        store.add_version("prod", _version(n))
    first = store.move_pointer(
        "prod", "CorporateAssist", "stable", 1, user="ana", host="ci-1", reason="apply", now=100.0
    )
    assert first.from_version is None and first.to_version == 1
    second = store.move_pointer(
        "prod", "CorporateAssist", "stable", 2, user="ana", host="ci-1", reason="apply v2", now=200.0
    )
    back = store.move_pointer(
        "prod", "CorporateAssist", "stable", 1, user="bo", host="laptop", reason="rollback: 5xx", now=300.0
    )
    assert (second.from_version, back.from_version, back.to_version) == (1, 2, 1)

    history = store.pointer_history("prod", "CorporateAssist")
    assert history == (first, second, back)
    assert (history[2].user, history[2].host, history[2].reason, history[2].at) == (
        "bo",
        "laptop",
        "rollback: 5xx",
        300.0,
    )
    assert store.pointers("prod", "CorporateAssist") == {"stable": 1}
    assert store.read("prod").pointers == {"CorporateAssist": {"stable": 1}}
    assert store.pointer_history("staging", "CorporateAssist") == ()


def test_pointer_refuses_unknown_and_deleted_versions_and_protects_held_ones(store: SqlStore) -> None:
    for n in (1, 2):
        store.add_version("prod", _version(n))
    store.move_pointer("prod", "CorporateAssist", "stable", 2, user="u", host="h", reason="", now=1.0)
    with pytest.raises(StateError, match="no version 9"):
        store.move_pointer("prod", "CorporateAssist", "stable", 9, user="u", host="h", reason="", now=2.0)
    with pytest.raises(StateError, match="held by pointer stable"):
        store.mark_version_deleted("prod", "CorporateAssist", 2)
    store.mark_version_deleted("prod", "CorporateAssist", 1)
    with pytest.raises(StateError, match="deleted"):
        store.move_pointer("prod", "CorporateAssist", "stable", 1, user="u", host="h", reason="", now=3.0)
    assert len(store.pointer_history("prod", "CorporateAssist")) == 1
    assert store.pointers("prod", "CorporateAssist") == {"stable": 2}


def test_concurrent_pointer_moves_form_one_unbroken_history(backend: Backend) -> None:
    for n in (1, 2, 3):
        backend.store.add_version("prod", _version(n))
    errors: list[BaseException] = []

    def mover(handle: StateStore, targets: tuple[int, ...]) -> None:
        try:
            for i in range(20):
                to = targets[i % len(targets)]
                handle.move_pointer(
                    "prod", "CorporateAssist", "stable", to, user="u", host="h", reason="", now=i
                )
        except BaseException as exc:  # surfaced below; a thread cannot fail the test itself
            errors.append(exc)

    threads = [
        threading.Thread(target=mover, args=(backend.connect(), (1, 2))),
        threading.Thread(target=mover, args=(backend.connect(), (3, 2))),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors
    history = backend.store.pointer_history("prod", "CorporateAssist")
    assert len(history) == 40
    assert history[0].from_version is None
    # Atomic moves: each one starts where the previous one left the pointer.
    assert all(later.from_version == earlier.to_version for earlier, later in itertools.pairwise(history))


# -- journal ---------------------------------------------------------------------------------------


def test_journal_records_steps_and_a_crashed_apply_can_be_resumed(backend: Backend) -> None:
    store = backend.store
    apply_id = store.begin_apply("prod", "plan-abc", now=10.0)
    store.record_step(apply_id, "files/a.md", StepStatus.PENDING, {}, now=10.0)
    store.record_step(apply_id, "files/a.md", "started", {"attempt": 1}, now=11.0)
    store.record_step(apply_id, "files/a.md", "done", {"file_id": "file_1"}, now=12.0)
    store.record_step(apply_id, "assistants/CorporateAssist", "started", {}, now=13.0)
    # The process dies here: no finish_apply. A new process opens the store and looks for it.
    resumed = backend.connect().unfinished_apply("prod")
    assert resumed is not None
    assert (resumed.apply_id, resumed.plan_id, resumed.status) == (apply_id, "plan-abc", ApplyStatus.RUNNING)
    assert not resumed.finished
    done = resumed.steps["files/a.md"]
    assert (done.status, done.detail, done.updated_at, done.attempts) == (
        StepStatus.DONE,
        {"file_id": "file_1"},
        12.0,
        1,
    )
    assert resumed.steps["assistants/CorporateAssist"].status is StepStatus.STARTED
    assert store.steps(apply_id) == resumed.steps
    assert store.unfinished_apply("prod", plan_id="plan-abc") == resumed
    assert store.unfinished_apply("prod", plan_id="another-plan") is None
    assert store.unfinished_apply("staging") is None

    # The resumed apply retries the started step, then finishes; the journal closes.
    retried = store.record_step(apply_id, "assistants/CorporateAssist", "started", {}, now=20.0)
    assert retried.attempts == 2
    store.record_step(apply_id, "assistants/CorporateAssist", "done", {"id": "asst_1"}, now=21.0)
    store.finish_apply(apply_id, ApplyStatus.SUCCEEDED, now=22.0)
    assert store.unfinished_apply("prod") is None
    final = store.journal(apply_id)
    assert (final.status, final.finished_at, final.finished) == (ApplyStatus.SUCCEEDED, 22.0, True)
    with pytest.raises(StateError, match="already finished"):
        store.record_step(apply_id, "late", "done", {}, now=23.0)
    with pytest.raises(StateError, match="already finished"):
        store.finish_apply(apply_id, "failed")


def test_unfinished_apply_is_the_most_recent_running_one(store: SqlStore) -> None:
    older = store.begin_apply("prod", "plan-1", now=5.0)
    newer = store.begin_apply("prod", "plan-2", now=5.0)  # same second: order by start, not by clock
    found = store.unfinished_apply("prod")
    assert found is not None and found.apply_id == newer
    store.finish_apply(newer, "failed", now=6.0)
    found = store.unfinished_apply("prod")
    assert found is not None and found.apply_id == older


def test_journal_rejects_nonsense(store: SqlStore) -> None:
    apply_id = store.begin_apply("prod", "plan-1", now=1.0)
    with pytest.raises(StateError, match="unknown step status"):
        store.record_step(apply_id, "x", "exploded", {}, now=2.0)
    with pytest.raises(StateError, match="no apply"):
        store.record_step("apply-missing", "x", "done", {}, now=2.0)
    with pytest.raises(StateError, match="no apply"):
        store.journal("apply-missing")
    with pytest.raises(StateError, match="no apply"):
        store.steps("apply-missing")
    with pytest.raises(StateError, match="not JSON"):
        store.record_step(apply_id, "x", "done", {"when": object()}, now=2.0)
    with pytest.raises(StateError):
        store.finish_apply(apply_id, "running")
    assert store.steps(apply_id) == {}


# -- list hints ------------------------------------------------------------------------------------


def test_list_hints_round_trip_in_the_order_given(store: SqlStore) -> None:
    assert store.list_hints("prod") == {}
    cursors = ["asst_z", "asst_a", "asst_m", "asst_b"]  # the platform's order, which is not sorted
    store.save_list_hints("prod", {"assistants": cursors}, now=1.0)
    got = store.list_hints("prod")
    assert got == {"assistants": ("asst_z", "asst_a", "asst_m", "asst_b")}
    assert isinstance(got["assistants"], tuple)


def test_saving_one_listing_leaves_the_others_untouched(store: SqlStore) -> None:
    store.save_list_hints("prod", {"assistants": ("asst_1", "asst_2"), "vector_stores": ("vs_1",)}, now=1.0)
    store.save_list_hints("prod", {"assistants": ("asst_3",)}, now=2.0)
    assert store.list_hints("prod") == {"assistants": ("asst_3",), "vector_stores": ("vs_1",)}
    store.save_list_hints("prod", {}, now=3.0)  # nothing named: nothing changes
    assert store.list_hints("prod") == {"assistants": ("asst_3",), "vector_stores": ("vs_1",)}


def test_saving_list_hints_again_replaces_them(store: SqlStore) -> None:
    store.save_list_hints("prod", {"assistants": ("asst_1", "asst_2", "asst_3")}, now=1.0)
    store.save_list_hints("prod", {"assistants": ("asst_4", "asst_1")}, now=2.0)
    assert store.list_hints("prod") == {"assistants": ("asst_4", "asst_1")}  # not merged, not appended
    store.save_list_hints("prod", {"assistants": ("asst_4", "asst_1", "asst_5", "asst_6")}, now=3.0)
    assert store.list_hints("prod") == {"assistants": ("asst_4", "asst_1", "asst_5", "asst_6")}


def test_list_hints_are_kept_per_workspace(store: SqlStore) -> None:
    store.save_list_hints("prod", {"assistants": ("asst_p",)}, now=1.0)
    store.save_list_hints("staging", {"assistants": ("asst_s1", "asst_s2")}, now=2.0)
    assert store.list_hints("prod") == {"assistants": ("asst_p",)}
    assert store.list_hints("staging") == {"assistants": ("asst_s1", "asst_s2")}
    assert store.list_hints("dev") == {}
    with pytest.raises(StateError, match="invalid workspace"):
        store.save_list_hints("", {"assistants": ("asst_x",)}, now=3.0)
    with pytest.raises(StateError, match="invalid workspace"):
        store.list_hints(" prod")


def test_an_empty_list_of_cursors_round_trips(store: SqlStore) -> None:
    store.save_list_hints("prod", {"assistants": ()}, now=1.0)
    assert store.list_hints("prod") == {"assistants": ()}  # a list of one page: known, not missing
    store.save_list_hints("prod", {"assistants": ("asst_1",)}, now=2.0)
    store.save_list_hints("prod", {"assistants": []}, now=3.0)
    assert store.list_hints("prod") == {"assistants": ()}


def test_list_hints_refuse_what_looks_like_an_api_key(store: SqlStore) -> None:
    key = "sk-proj-" + "A1b2C3d4" * 6
    store.save_list_hints("prod", {"assistants": ("asst_1",)}, now=1.0)
    with pytest.raises(StateError) as caught:
        store.save_list_hints("prod", {"assistants": ("asst_2", key)}, now=2.0)
    assert key not in str(caught.value)
    with pytest.raises(StateError) as caught:
        store.save_list_hints("prod", {key: ("asst_2",)}, now=2.0)
    assert key not in str(caught.value)
    # One refused listing refuses the whole save: the listing before it in the mapping is not written.
    with pytest.raises(StateError):
        store.save_list_hints("prod", {"vector_stores": ("vs_1",), "assistants": (key,)}, now=3.0)
    assert store.list_hints("prod") == {"assistants": ("asst_1",)}


def test_a_key_shaped_listing_name_is_never_echoed(store: SqlStore) -> None:
    key = "sk-proj-" + "A1b2C3d4" * 6
    with pytest.raises(StateError) as caught:
        store.save_list_hints("prod", {key: (key,)}, now=1.0)
    assert key not in str(caught.value)


def test_list_hints_that_are_saved_can_be_read_back(store: SqlStore) -> None:
    with pytest.raises(StateError, match="sequence of string cursors"):
        store.save_list_hints("prod", {"assistants": ["asst_1", None, 7]}, now=1.0)  # type: ignore[list-item]
    with pytest.raises(StateError):
        store.save_list_hints("prod", {"": ["asst_1"]}, now=1.0)
    assert store.list_hints("prod") == {}  # nothing of a refused save was written


def test_list_hints_that_cannot_be_read_back_count_as_none(store: SqlStore) -> None:
    with pytest.raises(StateError):
        store.save_list_hints("prod", {"assistants": "asst_1"}, now=1.0)  # a string, not a sequence of them
    store.save_list_hints("prod", {"assistants": ("asst_1",), "files": ("file-1",)}, now=1.0)
    store._exec("UPDATE list_hints SET cursors = ? WHERE listing = ?", ("{not json", "assistants"))
    assert store.list_hints("prod") == {"files": ("file-1",)}  # a hand-edited row costs requests only
    store._exec("UPDATE list_hints SET cursors = ? WHERE listing = ?", ('["asst_1", 7]', "assistants"))
    assert store.list_hints("prod") == {"files": ("file-1",)}
    store.save_list_hints("prod", {"assistants": ("asst_2",)}, now=2.0)  # and the next save repairs it
    assert store.list_hints("prod") == {"assistants": ("asst_2",), "files": ("file-1",)}


def test_a_second_handle_sees_saved_list_hints(backend: Backend) -> None:
    backend.store.save_list_hints("prod", {"assistants": ("asst_2", "asst_1")}, now=1.0)
    other = backend.connect()
    assert other.list_hints("prod") == {"assistants": ("asst_2", "asst_1")}
    other.save_list_hints("prod", {"assistants": ("asst_3",)}, now=2.0)
    assert backend.store.list_hints("prod") == {"assistants": ("asst_3",)}


@pytest.mark.parametrize(
    "backend", ["sqlite-file", pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True
)
def test_saving_list_hints_gives_up_soon_while_another_writer_holds_the_store(
    backend: Backend, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A plan saves hints last: a store busy with an apply's transaction must cost it the hints, not the
    store's whole busy timeout. (An in-memory database has one handle, so no other writer.)"""
    monkeypatch.setattr(hint_table, "WRITE_WAIT_SECONDS", 0.2)
    store, other = backend.store, backend.connect()
    store.save_list_hints("prod", {"assistants": ("asst_1",)}, now=1.0)
    with other.transaction():
        other._exec("UPDATE list_hints SET updated_at = ? WHERE listing = ?", (5.0, "assistants"))
        started = time.monotonic()
        with pytest.raises(StateError):
            store.save_list_hints("prod", {"assistants": ("asst_2",)}, now=2.0)
        assert time.monotonic() - started < 5.0
    assert store.list_hints("prod") == {"assistants": ("asst_1",)}  # the refused save changed nothing

    # Only the hints were impatient: the store's other writes still wait for a writer to finish.
    holding, releasing = threading.Event(), threading.Event()

    def hold() -> None:
        with other.transaction():
            other.upsert_inventory("prod", _record(ASSISTANT, "asst_9"))
            holding.set()
            time.sleep(0.6)  # three times the hints' wait
            releasing.set()

    holder = threading.Thread(target=hold)
    holder.start()
    assert holding.wait(5.0)
    store.upsert_inventory("prod", _record(ASSISTANT, "asst_8"))  # a StateError if it gave up
    assert releasing.is_set()  # it returned only once the holder was done
    holder.join()
    assert store.read("prod").record(ASSISTANT) == _record(ASSISTANT, "asst_8")
    store.save_list_hints("prod", {"assistants": ("asst_3",)}, now=3.0)
    assert store.list_hints("prod") == {"assistants": ("asst_3",)}


@pytest.mark.parametrize(
    "backend", ["sqlite-file", pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True
)
def test_hints_saved_inside_a_callers_transaction_never_cost_its_other_writes(
    backend: Backend, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Inside a transaction the hints wait like any write: a wait given up there would abort the
    caller's transaction (PostgreSQL), and its COMMIT would silently roll its own writes back."""
    monkeypatch.setattr(hint_table, "WRITE_WAIT_SECONDS", 0.1)
    store, other = backend.store, backend.connect()
    store.save_list_hints("prod", {"assistants": ("asst_1",)}, now=1.0)
    holding = threading.Event()

    def hold() -> None:
        with other.transaction():
            other._exec("UPDATE list_hints SET updated_at = ? WHERE listing = ?", (5.0, "assistants"))
            holding.set()
            time.sleep(0.5)

    holder = threading.Thread(target=hold)
    holder.start()
    assert holding.wait(5.0)
    with store.transaction():
        store.upsert_inventory("prod", _record(ASSISTANT, "asst_1"))
        with contextlib.suppress(StateError):  # as a plan does: hints are optional
            store.save_list_hints("prod", {"assistants": ("asst_2",)}, now=2.0)
    holder.join()
    assert store.read("prod").record(ASSISTANT) == _record(ASSISTANT, "asst_1")
    assert store.list_hints("prod") == {"assistants": ("asst_2",)}


def test_saving_list_hints_can_forget_lists(store: SqlStore) -> None:
    store.save_list_hints("prod", {"assistants": ("asst_1",), "files@a/vs_1": ("f_1",)}, now=1.0)
    store.save_list_hints("staging", {"files@a/vs_1": ("f_9",)}, now=1.0)
    store.save_list_hints("prod", {"files@a/vs_2": ("f_2",)}, now=2.0, drop=["files@a/vs_1", "never-saved"])
    assert store.list_hints("prod") == {"assistants": ("asst_1",), "files@a/vs_2": ("f_2",)}
    assert store.list_hints("staging") == {"files@a/vs_1": ("f_9",)}  # another workspace's are kept
    store.save_list_hints("prod", {"assistants": ("asst_3",)}, now=3.0, drop=["assistants"])
    assert store.list_hints("prod")["assistants"] == ("asst_3",)  # named in both: saved, not dropped
    key = "sk-proj-" + "A1b2C3d4" * 6
    with pytest.raises(StateError) as caught:
        store.save_list_hints("prod", {}, now=4.0, drop=[key])
    assert key not in str(caught.value)


# -- leases ----------------------------------------------------------------------------------------


def test_second_owner_gets_lock_held_naming_the_holder(store: SqlStore) -> None:
    lease = store.acquire_lock("prod", owner="ana", host="ci-1", ttl_seconds=60, now=1000.0)
    assert (lease.holder, lease.expires_at) == ("ana@ci-1", 1060.0)
    assert store.current_lock("prod") == lease
    for owner in ("bo", "ana"):  # not re-entrant: the same owner in another apply waits too
        with pytest.raises(LockHeld) as caught:
            store.acquire_lock("prod", owner=owner, host="laptop", ttl_seconds=60, now=1030.0)
        assert (caught.value.holder, caught.value.lock_id) == ("ana@ci-1", lease.lock_id)
        message = str(caught.value)
        assert "ana@ci-1" in message and lease.lock_id in message and "1970-01-01 00:17:40 UTC" in message
    # Workspaces lock independently.
    other = store.acquire_lock("staging", owner="bo", host="laptop", ttl_seconds=60, now=1030.0)
    assert other.workspace == "staging"


def test_expired_lease_is_taken_over_and_the_old_holder_cannot_touch_it(store: SqlStore) -> None:
    old = store.acquire_lock("prod", owner="ana", host="ci-1", ttl_seconds=60, now=1000.0)
    new = store.acquire_lock("prod", owner="bo", host="laptop", ttl_seconds=60, now=1060.0)
    assert new.lock_id != old.lock_id and store.current_lock("prod") == new
    with pytest.raises(LockHeld) as caught:
        store.renew_lock(old, now=1061.0)
    assert caught.value.holder == "bo@laptop"
    store.release_lock(old)  # a no-op: it must not free bo's lease
    assert store.current_lock("prod") == new


def test_renew_extends_and_release_frees(store: SqlStore) -> None:
    lease = store.acquire_lock("prod", owner="ana", host="ci-1", ttl_seconds=60, now=1000.0)
    renewed = store.renew_lock(lease, now=1050.0)
    assert (renewed.lock_id, renewed.expires_at) == (lease.lock_id, 1110.0)
    with pytest.raises(LockHeld):
        store.acquire_lock("prod", owner="bo", host="laptop", ttl_seconds=60, now=1100.0)
    store.release_lock(renewed)
    assert store.current_lock("prod") is None
    with pytest.raises(StateError, match="gone"):
        store.renew_lock(renewed, now=1101.0)
    assert store.acquire_lock("prod", owner="bo", host="laptop", ttl_seconds=60, now=1100.0).owner == "bo"


def test_force_unlock_needs_the_right_id(store: SqlStore) -> None:
    lease = store.acquire_lock("prod", owner="ana", host="ci-1", ttl_seconds=600, now=1000.0)
    with pytest.raises(StateError, match=f"current lock id is {lease.lock_id}"):
        store.force_unlock("prod", "not-the-id")
    assert store.force_unlock("prod", lease.lock_id) == lease
    assert store.current_lock("prod") is None
    with pytest.raises(StateError, match="not locked"):
        store.force_unlock("prod", lease.lock_id)
    with pytest.raises(StateError, match="gone"):
        store.renew_lock(lease, now=1001.0)


def test_lease_arguments_are_checked(store: SqlStore) -> None:
    with pytest.raises(StateError, match="positive ttl"):
        store.acquire_lock("prod", owner="ana", host="h", ttl_seconds=0, now=1.0)
    with pytest.raises(StateError, match="owner and a host"):
        store.acquire_lock("prod", owner="", host="h", ttl_seconds=5, now=1.0)
    with pytest.raises(StateError, match="invalid workspace"):
        store.acquire_lock("", owner="ana", host="h", ttl_seconds=5, now=1.0)


def test_wait_for_lock_gets_the_lease_once_it_expires(store: SqlStore, clock: FakeClock) -> None:
    holder = store.acquire_lock("prod", owner="ana", host="ci-1", ttl_seconds=5, now=clock.now())
    lease = wait_for_lock(
        store, "prod", owner="bo", host="laptop", ttl_seconds=60, timeout=30, clock=clock, sleeper=clock.sleep
    )
    assert lease.owner == "bo" and lease.lock_id != holder.lock_id
    assert sum(clock.sleeps) == pytest.approx(5.0)


def test_wait_for_lock_times_out_naming_the_holder(store: SqlStore, clock: FakeClock) -> None:
    holder = store.acquire_lock("prod", owner="ana", host="ci-1", ttl_seconds=300, now=clock.now())
    with pytest.raises(LockHeld, match=r"ana@ci-1.*waiting 10s") as caught:
        wait_for_lock(
            store,
            "prod",
            owner="bo",
            host="laptop",
            ttl_seconds=60,
            timeout=10,
            clock=clock,
            sleeper=clock.sleep,
        )
    assert caught.value.lock_id == holder.lock_id
    assert sum(clock.sleeps) == pytest.approx(10.0)
    # A clock that never moves cannot make the wait spin forever.
    frozen = FakeClock(clock.now())
    with pytest.raises(LockHeld):
        wait_for_lock(
            store,
            "prod",
            owner="bo",
            host="h",
            ttl_seconds=60,
            timeout=3,
            clock=frozen,
            sleeper=lambda s: None,
        )


def test_wait_for_lock_tells_the_observer_what_it_waits_for(store: SqlStore, clock: FakeClock) -> None:
    holder = store.acquire_lock("prod", owner="ana", host="ci-1", ttl_seconds=3, now=clock.now())
    heard: list[Wait] = []
    wait_for_lock(
        store,
        "prod",
        owner="bo",
        host="laptop",
        ttl_seconds=60,
        timeout=30,
        clock=clock,
        sleeper=clock.sleep,
        observe=heard.append,
    )
    assert [w.reason for w in heard] == [WaitReason.STATE_LOCK] * 3
    assert [w.seconds for w in heard] == clock.sleeps == [1.0] * 3
    assert [(w.waited, w.at_most) for w in heard] == [(0.0, 30.0), (1.0, 29.0), (2.0, 28.0)]
    assert {w.detail for w in heard} == {f"held by ana@ci-1, lock {holder.lock_id}"}


def test_racing_threads_never_both_win_the_lease(backend: Backend) -> None:
    rounds = 40
    barrier = threading.Barrier(2, timeout=60)
    wins: list[list[int]] = [[], []]
    errors: list[BaseException] = []

    def worker(index: int, handle: StateStore) -> None:
        try:
            race_rounds(handle, rounds, barrier, wins[index], stagger=True)
        except BaseException as exc:  # surfaced below
            errors.append(exc)
            barrier.abort()

    threads = [threading.Thread(target=worker, args=(i, backend.connect())) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors
    assert [a + b for a, b in zip(*wins, strict=True)] == [1] * rounds


def test_racing_processes_never_both_win_the_sqlite_file_lease(tmp_path: Path) -> None:
    # Two processes, two connections, one file: SQLite's own locking is what is under test here.
    dsn = f"sqlite:///{tmp_path}/state.db"
    open_store(dsn).close()  # migrate once up front, so the race is over the lease alone
    rounds = 15
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(2, timeout=60)
    results = ctx.Queue()
    procs = [ctx.Process(target=process_worker, args=(dsn, rounds, barrier, results, i)) for i in range(2)]
    for p in procs:
        p.start()
    try:
        outcome = dict(results.get(timeout=120) for _ in procs)
    finally:
        for p in procs:
            p.join(timeout=30)
        results.close()
        results.join_thread()
    assert [p.exitcode for p in procs] == [0, 0]
    assert [a + b for a, b in zip(outcome[0], outcome[1], strict=True)] == [1] * rounds
