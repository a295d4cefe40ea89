"""The executor on an in-memory fake target and the real SQLite store in memory: what an apply writes,
lost responses, failures, resume after a crash, delete order, and dry runs."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from reconciler.apply.executor import Executor, ExecutorOptions
from reconciler.apply.report import ApplyReport, Outcome
from reconciler.config import RetrySettings
from reconciler.errors import PermanentPlatformError, StateError
from reconciler.model.canonical import sha256_hex
from reconciler.model.desired import (
    Assistant,
    BuiltinTool,
    DesiredState,
    FunctionTool,
    Kind,
    ResourceKey,
    SourceFile,
    SpendAlert,
    VectorStore,
)
from reconciler.plan.definition import Action, Plan, ResourceChange
from reconciler.service import kinds_to_read
from reconciler.store import StateStore, open_store
from reconciler.store.records import ApplyStatus, StepStatus
from reconciler.targets.base import Target
from reconciler.targets.handlers import Write
from tests.unit.apply.fake_target import FakeTarget
from tests.unit.plan.support import plan_for

WS = "local"
RULES = b"Rule 1: keep receipts.\n"
PARAMS = {
    "type": "object",
    "additionalProperties": False,
    "properties": {"title": {"type": "string"}},
    "required": ["title"],
}


class Clock:
    """Monotonic time that moves only when slept on."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def _payload(change: ResourceChange) -> dict[str, Any]:
    """The change's payload as the plan writes it."""
    return change.payload.model_dump(mode="json")


def _assistant(name: str = "Helper", params: dict[str, Any] | None = None, **extra: Any) -> Assistant:
    return Assistant(
        name=name,
        model="gpt-4.1",
        instructions="Be brief.",
        functions=(FunctionTool(name="create_meeting", parameters=params or PARAMS, strict=True),),
        builtins=(BuiltinTool.FILE_SEARCH,),
        file_search_vector_stores=("Policies",),
        **extra,
    )


def _desired(**assistant_extra: Any) -> DesiredState:
    source = SourceFile(path="docs/rules.md", sha256=sha256_hex(RULES), size=len(RULES))
    return DesiredState(
        assistants={"Helper": _assistant(**assistant_extra)},
        vector_stores={"Policies": VectorStore(name="Policies", files=(source,))},
        spend_alerts={
            "monthly": SpendAlert(name="monthly", scope="proj_1", threshold_cents=100, emails=("a@b.c",))
        },
    )


V2_PARAMS = {**PARAMS, "properties": {"title": {"type": "string"}, "room": {"type": "string"}}}
V2_PARAMS["required"] = ["title", "room"]


@pytest.fixture
def store() -> Iterator[StateStore]:
    with open_store("sqlite:///:memory:") as s:
        yield s


@pytest.fixture
def root(tmp_path: Path) -> Path:
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "rules.md").write_bytes(RULES)
    return tmp_path


@pytest.fixture
def target() -> FakeTarget:
    return FakeTarget()


def _plan(desired: DesiredState, target: Target, store: StateStore, *, allow_empty: bool = False) -> Plan:
    stored = store.read(WS)
    return plan_for(desired, target.read(kinds_to_read(desired, stored)), stored, allow_empty=allow_empty)


def _executor(target: Target, store: StateStore, root: Path, *, dry_run: bool = False) -> Executor:
    clock = Clock()
    options = ExecutorOptions(
        retry=RetrySettings.model_validate({"concurrency": 4}), dry_run=dry_run, user="ci", host="runner"
    )
    return Executor(
        target, store, root=root, options=options, clock=clock, wall_clock=lambda: 1e9, sleep=clock.sleep
    )


def _apply(
    desired: DesiredState, target: Target, store: StateStore, root: Path, *, allow_empty: bool = False
) -> tuple[Plan, ApplyReport]:
    plan = _plan(desired, target, store, allow_empty=allow_empty)
    return plan, _executor(target, store, root).execute(plan, store.read(WS))


def _outcomes(report: ApplyReport) -> dict[str, Outcome]:
    return {str(s.address): s.outcome for s in report.steps}


def _counts(target: FakeTarget) -> dict[str, int]:
    return {
        "assistants": len(target.assistants),
        "stores": len(target.stores),
        "files": len(target.files),
        "attached": sum(len(f) for f in target.attached.values()),
        "alerts": len(target.alerts),
    }


ONE_EACH = {"assistants": 1, "stores": 1, "files": 1, "attached": 1, "alerts": 1}


def test_fake_target_satisfies_the_protocol() -> None:
    typed: Target = FakeTarget()  # mypy checks the structure
    assert typed.versions_on_platform


def test_apply_writes_inventory_versions_and_pointers(
    target: FakeTarget, store: StateStore, root: Path
) -> None:
    plan, report = _apply(_desired(), target, store, root)
    assert report.ok
    assert plan.summary.create == 5
    assert _counts(target) == ONE_EACH
    (assistant_id,) = target.assistants
    (store_id,) = target.stores
    assert target.assistants[assistant_id].file_search_vector_store_ids == (store_id,)

    inventory = {(str(r.key), r.attributes.get("path")): r.platform_id for r in store.inventory(WS)}
    assert inventory == {
        ("File/docs/rules.md", None): next(iter(target.files)),
        ("VectorStore/Policies", None): store_id,
        ("VectorStoreFile/Policies/docs/rules.md", None): next(iter(target.files)),
        ("Assistant/Helper", None): assistant_id,
        ("SpendAlert/monthly", None): next(iter(target.alerts)),
    }
    (v1,) = store.versions(WS, "Helper")
    assert (v1.number, v1.platform_id, v1.parent) == (1, assistant_id, None)
    assert v1.fingerprint == plan.by_address()[ResourceKey.parse("Assistant/Helper")].fingerprint
    assert store.pointers(WS, "Helper") == {"stable": 1}
    (move,) = store.pointer_history(WS, "Helper")
    assert (move.from_version, move.to_version, move.user, move.host) == (None, 1, "ci", "runner")
    assert store.journal(report.apply_id or "").status is ApplyStatus.SUCCEEDED

    # Normalisation round-trips: the second plan changes nothing.
    assert not _plan(_desired(), target, store).has_changes


def test_versions_behaviour_change_then_revert_reuses_version_1(
    target: FakeTarget, store: StateStore, root: Path
) -> None:
    _apply(_desired(), target, store, root)
    (v1_id,) = target.assistants

    plan, report = _apply(_desired(params=V2_PARAMS, accept_breaking="rooms matter"), target, store, root)
    assert report.ok
    assert plan.by_address()[ResourceKey.parse("Assistant/Helper")].action is Action.CREATE
    assert len(target.assistants) == 2 and v1_id in target.assistants  # version 1 left intact
    v1, v2 = store.versions(WS, "Helper")
    assert (v2.number, v2.parent) == (2, 1)
    assert v2.verdict["accepted"] == "rooms matter"
    assert store.pointers(WS, "Helper") == {"stable": 2}
    assert "breaking change accepted: rooms matter" in store.pointer_history(WS, "Helper")[-1].reason
    helper = store.read(WS).record(ResourceKey(kind=Kind.ASSISTANT, name="Helper"))
    assert helper is not None and helper.platform_id == v2.platform_id

    target.calls.clear()
    plan, report = _apply(_desired(accept_breaking="revert"), target, store, root)
    assert report.ok
    change = plan.by_address()[ResourceKey.parse("Assistant/Helper")]
    assert _payload(change)["version"]["reuse"] is True
    assert "create_assistant" not in target.calls and "update_assistant" not in target.calls
    assert len(target.assistants) == 2
    assert store.pointers(WS, "Helper") == {"stable": 1}
    assert len(store.versions(WS, "Helper")) == 2
    assistant_record = next(r for r in store.inventory(WS) if r.key.kind is Kind.ASSISTANT)
    assert assistant_record.platform_id == v1.platform_id == v1_id
    assert not _plan(_desired(accept_breaking="revert"), target, store).has_changes


@pytest.mark.parametrize(
    "method", ["upload_file", "create_vector_store", "attach_file", "create_assistant", "create_spend_alert"]
)
def test_lost_create_response_leaves_exactly_one_object(
    method: str, target: FakeTarget, store: StateStore, root: Path
) -> None:
    target.lose = [method]
    _, report = _apply(_desired(), target, store, root)
    assert report.ok, report.failed
    assert report.retries >= 1
    assert target.calls.count(method) == 1  # recovered by looking, not by sending again
    assert _counts(target) == ONE_EACH
    assert not _plan(_desired(), target, store).has_changes


def test_step_failure_skips_later_stages_and_fails_the_apply(
    target: FakeTarget, store: StateStore, root: Path
) -> None:
    target.fail = {"create_vector_store": [PermanentPlatformError("bad request", status=400)]}
    _, report = _apply(_desired(), target, store, root)
    assert not report.ok
    outcomes = _outcomes(report)
    assert outcomes["File/docs/rules.md"] is Outcome.DONE
    assert outcomes["VectorStore/Policies"] is Outcome.FAILED
    for later in ("VectorStoreFile/Policies/docs/rules.md", "Assistant/Helper", "SpendAlert/monthly"):
        assert outcomes[later] is Outcome.SKIPPED
    (failed,) = report.failed
    assert failed.error is not None and "bad request" in failed.error
    assert target.assistants == {} and target.alerts == {}
    journal = store.journal(report.apply_id or "")
    assert journal.status is ApplyStatus.FAILED
    assert journal.steps["VectorStore/Policies"].status is StepStatus.FAILED
    assert {str(r.key) for r in store.inventory(WS)} == {"File/docs/rules.md"}


def test_resume_after_a_crash_skips_done_steps(target: FakeTarget, store: StateStore, root: Path) -> None:
    plan = _plan(_desired(), target, store)
    stored = store.read(WS)
    target.fail = {"create_assistant": [RuntimeError("process killed")]}
    with pytest.raises(RuntimeError):
        _executor(target, store, root).execute(plan, stored)
    crashed = store.unfinished_apply(WS, plan.plan_id)
    assert crashed is not None
    done = {k for k, s in store.steps(crashed.apply_id).items() if s.status is StepStatus.DONE}
    assert done == {"File/docs/rules.md", "VectorStore/Policies", "VectorStoreFile/Policies/docs/rules.md"}

    target.calls.clear()
    report = _executor(target, store, root).execute(plan, stored)  # the same saved plan, run again
    assert report.ok
    assert report.apply_id == crashed.apply_id
    outcomes = _outcomes(report)
    assert {a for a, o in outcomes.items() if o is Outcome.SKIPPED} == done
    assert outcomes["Assistant/Helper"] is Outcome.DONE
    assert target.calls == ["create_assistant", "create_spend_alert"]
    assert _counts(target) == ONE_EACH
    (store_id,) = target.stores
    assert next(iter(target.assistants.values())).file_search_vector_store_ids == (store_id,)
    assert store.journal(crashed.apply_id).status is ApplyStatus.SUCCEEDED


def test_deletes_run_after_creates_in_reverse_stage_order(
    target: FakeTarget, store: StateStore, root: Path
) -> None:
    _apply(_desired(), target, store, root)
    target.calls.clear()
    other = _assistant("Other").model_copy(update={"builtins": (), "file_search_vector_stores": ()})
    plan, report = _apply(DesiredState(assistants={"Other": other}), target, store, root)
    assert report.ok
    assert plan.summary.delete == 5
    assert target.calls == [
        "create_assistant",
        "delete_spend_alert",
        "delete_assistant",
        "detach_file",
        "delete_vector_store",
        "delete_file",
    ]
    assert {str(r.key) for r in store.inventory(WS)} == {"Assistant/Other"}
    assert _counts(target) == {"assistants": 1, "stores": 0, "files": 0, "attached": 0, "alerts": 0}


def test_dry_run_writes_nothing(target: FakeTarget, store: StateStore, root: Path) -> None:
    plan = _plan(_desired(), target, store)
    report = _executor(target, store, root, dry_run=True).execute(plan, store.read(WS))
    assert report.dry_run and report.apply_id is None
    assert {s.outcome for s in report.steps} == {Outcome.PLANNED}
    assert len(report.steps) == 5
    assert target.calls == []
    assert store.inventory(WS) == ()
    assert store.unfinished_apply(WS) is None
    assert store.read(WS).versions == ()


def test_version_and_pointer_are_written_in_one_transaction(
    target: FakeTarget, store: StateStore, root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise StateError("disk full")

    # Pointer moves are written with the batch of finished steps that carries the new version.
    monkeypatch.setattr(store, "_move_pointers", broken)
    with pytest.raises(StateError):
        _apply(_desired(), target, store, root)
    assert store.versions(WS, "Helper") == ()  # rolled back with the failed pointer move
    assert "Assistant/Helper" not in {str(r.key) for r in store.inventory(WS)}


# ---- spend alerts: the snapshot that proves which alert a lost create made (issue 12, item 5) ---------


def _alerts(*scopes: str) -> DesiredState:
    return DesiredState(
        spend_alerts={
            f"a{i}": SpendAlert(name=f"a{i}", scope=scope, threshold_cents=100 + i, emails=("a@b.c",))
            for i, scope in enumerate(scopes)
        }
    )


def test_alert_creates_list_each_scope_once_and_journal_what_was_there(
    target: FakeTarget, store: StateStore, root: Path
) -> None:
    before = target.handlers[Kind.SPEND_ALERT].create(
        Write({"scope": "proj_1", "threshold_cents": 1, "interval": "month", "emails": ["x@y.z"]})
    )
    target.stats.by_route.clear()
    # Every create dies: the journal keeps each step as `started`, with what it recorded before the call.
    target.fail = {"create_spend_alert": [RuntimeError("process killed") for _ in range(3)]}
    plan = _plan(_alerts("proj_1", "proj_1", "organization"), target, store)
    with pytest.raises(RuntimeError):
        _executor(target, store, root).execute(plan, store.read(WS))
    assert target.stats.by_route["GET list_spend_alerts"] == 2  # one listing per scope, not per alert
    crashed = store.unfinished_apply(WS, plan.plan_id)
    assert crashed is not None
    steps = crashed.steps
    assert steps["SpendAlert/a0"].detail["before"] == [before.id]
    assert steps["SpendAlert/a2"].detail["before"] == []
    assert steps["SpendAlert/a0"].detail["spec"]["threshold_cents"] == 100


def test_a_lost_alert_create_is_recovered_as_the_new_alert_never_an_equal_older_one(
    target: FakeTarget, store: StateStore, root: Path
) -> None:
    desired = _alerts("proj_1")
    hand = target.handlers[Kind.SPEND_ALERT].create(
        Write({"scope": "proj_1", "threshold_cents": 100, "interval": "month", "emails": ["a@b.c"]})
    )
    target.lose = ["create_spend_alert"]
    plan, report = _apply(desired, target, store, root)
    assert (
        plan.by_address()[ResourceKey.parse("SpendAlert/a0")].action is Action.CREATE
    )  # the equal one is not adopted
    assert report.ok and report.retries == 1
    (record,) = store.inventory(WS)
    assert record.platform_id != hand.id and set(target.alerts) == {hand.id, record.platform_id}
    assert not _plan(desired, target, store).has_changes
