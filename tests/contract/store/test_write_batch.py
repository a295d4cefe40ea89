"""`write_batch` on every backend (issue 14 item 4): a group of apply steps written in one transaction,
each kind of row with one statement, with the same checks the one-row writes make."""

from __future__ import annotations

import pytest

from reconciler.errors import StateError
from reconciler.model.desired import Kind, ResourceKey
from reconciler.model.stored import InventoryRecord, VersionRecord
from reconciler.store.records import PointerWrite, StepStatus, StepWrite, WriteBatch
from reconciler.store.sqlstore import SqlStore

WS = "prod"


def _record(name: str, platform_id: str, **attributes: object) -> InventoryRecord:
    return InventoryRecord(
        key=ResourceKey(kind=Kind.ASSISTANT, name=name),
        platform_id=platform_id,
        attributes={"spec": {"model": "gpt-4o"}, **attributes},
    )


def _version(name: str, number: int) -> VersionRecord:
    return VersionRecord(assistant=name, number=number, platform_id=f"asst_{name}_{number}", fingerprint="f")


def _write(store: SqlStore, batch: WriteBatch, now: float = 5.0) -> tuple[object, ...]:
    return store.write_batch(WS, batch, user="ana", host="ci-1", now=now)


def _statements(store: SqlStore) -> list[str]:
    """Record every statement the store runs from now on (one per `executemany`)."""
    seen: list[str] = []
    run, run_many = store._run, store._run_many

    def one(sql: str, params: object) -> object:
        seen.append(sql)
        return run(sql, params)  # type: ignore[arg-type]

    def many(sql: str, params: object) -> None:
        seen.append(sql)
        run_many(sql, params)  # type: ignore[arg-type]

    store._run = one  # type: ignore[method-assign,assignment]
    store._run_many = many  # type: ignore[method-assign]
    return seen


def test_a_batch_writes_journal_inventory_versions_and_pointers_of_many_steps(store: SqlStore) -> None:
    apply_id = store.begin_apply(WS, "plan-1", now=1.0)
    names = [f"A{i}" for i in range(50)]
    started = WriteBatch(apply_id, steps=[StepWrite(f"Assistant/{n}", StepStatus.STARTED) for n in names])
    _write(store, started, now=2.0)
    done = WriteBatch(
        apply_id,
        steps=[StepWrite(f"Assistant/{n}", StepStatus.DONE, {"platform_id": f"asst_{n}_1"}) for n in names],
        upserts=[_record(n, f"asst_{n}_1") for n in names],
        versions=[_version(n, 1) for n in names],
        moves=[PointerWrite(n, 1, "apply") for n in names],
    )
    seen = _statements(store)
    moves = _write(store, done, now=3.0)
    assert len(seen) <= 12  # BEGIN, checks, one statement per kind of row, COMMIT: not one per step
    assert len(moves) == 50
    steps = store.steps(apply_id)
    assert {s.status for s in steps.values()} == {StepStatus.DONE}
    assert steps["Assistant/A7"].detail == {"platform_id": "asst_A7_1"}
    assert steps["Assistant/A7"].attempts == 1
    assert {str(r.key) for r in store.inventory(WS)} == {f"Assistant/{n}" for n in names}
    assert store.pointers(WS, "A7") == {"stable": 1}
    (move,) = store.pointer_history(WS, "A7")
    assert (move.from_version, move.to_version, move.user, move.host, move.reason, move.at) == (
        None,
        1,
        "ana",
        "ci-1",
        "apply",
        3.0,
    )


def test_recorded_versions_are_kept_and_pointers_already_in_place_do_not_move(store: SqlStore) -> None:
    apply_id = store.begin_apply(WS, "plan-1", now=1.0)
    _write(store, WriteBatch(apply_id, versions=[_version("A", 1)], moves=[PointerWrite("A", 1, "apply")]))
    again = WriteBatch(
        apply_id,
        versions=[_version("A", 1).model_copy(update={"platform_id": "asst_other"}), _version("A", 2)],
        moves=[PointerWrite("A", 1, "apply")],
    )
    assert _write(store, again) == ()
    assert [v.platform_id for v in store.versions(WS, "A")] == ["asst_A_1", "asst_A_2"]
    assert len(store.pointer_history(WS, "A")) == 1
    (moved,) = _write(store, WriteBatch(apply_id, moves=[PointerWrite("A", 2, "apply v2")]))
    assert (moved.from_version, moved.to_version) == (1, 2)  # type: ignore[attr-defined]


def test_a_batch_is_all_or_nothing(store: SqlStore) -> None:
    apply_id = store.begin_apply(WS, "plan-1", now=1.0)
    broken = WriteBatch(
        apply_id,
        steps=[StepWrite("Assistant/A", StepStatus.DONE)],
        upserts=[_record("A", "asst_A_1")],
        versions=[_version("A", 1)],
        moves=[PointerWrite("B", 4, "apply")],  # B has no version 4
    )
    with pytest.raises(StateError, match="B has no version 4"):
        _write(store, broken)
    assert store.inventory(WS) == ()
    assert store.versions(WS, "A") == ()
    assert store.steps(apply_id) == {}


def test_a_batch_refuses_a_deleted_version_a_closed_journal_and_a_key(store: SqlStore) -> None:
    apply_id = store.begin_apply(WS, "plan-1", now=1.0)
    _write(store, WriteBatch(apply_id, versions=[_version("A", 1), _version("A", 2)]))
    store.mark_version_deleted(WS, "A", 1)
    with pytest.raises(StateError, match="deleted"):
        _write(store, WriteBatch(apply_id, moves=[PointerWrite("A", 1, "apply")]))
    with pytest.raises(StateError, match="shaped like an API key"):
        _write(store, WriteBatch(apply_id, upserts=[_record("A", "asst_1", note="sk-" + "a" * 40)]))
    store.finish_apply(apply_id, "succeeded", now=2.0)
    with pytest.raises(StateError, match="already finished"):
        _write(store, WriteBatch(apply_id, steps=[StepWrite("Assistant/A", StepStatus.DONE)]))


def test_a_batch_deletes_inventory_records_and_counts_started_attempts(store: SqlStore) -> None:
    apply_id = store.begin_apply(WS, "plan-1", now=1.0)
    store.upsert_inventory(WS, _record("A", "asst_A"))
    store.upsert_inventory(WS, _record("B", "asst_B"))
    step = StepWrite("Assistant/A", StepStatus.STARTED)
    _write(store, WriteBatch(apply_id, steps=[step]))
    _write(store, WriteBatch(apply_id, steps=[step]))  # a resumed apply starts it again
    gone = ResourceKey(kind=Kind.ASSISTANT, name="A")
    _write(store, WriteBatch(apply_id, deletes=[gone]))
    assert [str(r.key) for r in store.inventory(WS)] == ["Assistant/B"]
    assert store.steps(apply_id)["Assistant/A"].attempts == 2
