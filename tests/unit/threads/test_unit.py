"""One conversation migrated (`threads.unit.Unit`) against an in-memory platform and a real SQLite store:
the copy holds the upcast items in order (20 with the create, the rest appended), the move is recorded
once, a rerun after a crash at any step finishes without a second copy of any item, a lost append
response is resumed by counting, failures and gone conversations are settled, a cancelled migration
starts nothing, and an Assistants-v2 thread waits for or cancels its runs."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import pytest

from reconciler.errors import NotFound, TemporaryPlatformError
from reconciler.model import labels
from reconciler.model.moves import (
    ActiveRuns,
    ItemStatus,
    MigrationOptions,
    MigrationRecord,
    MigrationStatus,
)
from reconciler.model.stored import VersionRecord
from reconciler.model.upcasts import RenameStep, ToolMigration
from reconciler.store import open_store
from reconciler.store.base import StateStore
from reconciler.threads.revisions import ToolRevisions
from reconciler.threads.transform import build_upcast_plan
from reconciler.threads.unit import Outcome, Unit

T = TypeVar("T")
WS, BOT = "local", "Bot"
OLD = {"type": "object", "properties": {"from": {"type": "string"}}, "required": ["from"]}
NEW = {
    "type": "object",
    "properties": {"start_date": {"type": "string"}},
    "required": ["start_date"],
    "additionalProperties": False,
}


def _version(number: int, schema: dict[str, Any]) -> VersionRecord:
    bundle = {
        "id": f"b{number}",
        "model": "gpt-4.1",
        "tools": [{"type": "function", "name": "list_expenses", "parameters": schema, "strict": True}],
    }
    return VersionRecord(
        assistant=BOT, number=number, platform_id=f"b{number}", fingerprint=f"f{number}", bundle=bundle
    )


V1, V2 = _version(1, OLD), _version(2, NEW)
PLAN = build_upcast_plan(
    V1,
    V2,
    ToolRevisions([V1, V2]),
    {"list_expenses": (ToolMigration(tool="list_expenses", from_revision=1, to_revision=2,
                                     steps=(RenameStep(source="/from", target="/start_date"),)),)},
    load_python=pytest.fail,
)  # fmt: skip


class Crash(Exception):
    """The process died here."""


class FakePlatform:
    """Conversations in memory, with the calls `CopyOps` makes; `fail` makes one named call raise once."""

    def __init__(self) -> None:
        self.conversations: dict[str, tuple[dict[str, str], list[dict[str, Any]]]] = {}
        self.made = 0
        self.fail: dict[str, Exception] = {}
        self.lose_after_append = False

    def _maybe_fail(self, name: str) -> None:
        error = self.fail.pop(name, None)
        if error is not None:
            raise error

    def add(self, cid: str, items: list[dict[str, Any]]) -> None:
        self.conversations[cid] = ({}, items)

    def read_items(self, conversation: str) -> list[dict[str, Any]]:
        if conversation not in self.conversations:
            raise NotFound(f"no conversation {conversation}")
        return [dict(i) for i in self.conversations[conversation][1]]

    def count_items(self, conversation: str) -> int:
        return len(self.conversations[conversation][1])

    def metadata(self, conversation: str) -> dict[str, str] | None:
        found = self.conversations.get(conversation)
        return None if found is None else dict(found[0])

    def create(self, *, metadata: dict[str, str], items: Sequence[dict[str, Any]]) -> str:
        assert len(items) <= 20
        self.made += 1
        cid = f"copy_{self.made}"
        self.conversations[cid] = (dict(metadata), [dict(i) for i in items])
        self._maybe_fail("create")
        return cid

    def append_all(self, conversation: str, items: Sequence[dict[str, Any]], *, already: int) -> int:
        rest = list(items[already:])
        for start in range(0, len(rest), 20):
            self.conversations[conversation][1].extend(dict(i) for i in rest[start : start + 20])
            self._maybe_fail("append")
        return len(rest)

    def label(self, conversation: str, extra: dict[str, str]) -> bool:
        self.conversations[conversation][0].update(extra)
        return True

    def delete(self, conversation: str) -> bool:
        return self.conversations.pop(conversation, None) is not None


def _items(count: int) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    for n in range(count):
        items.append({"type": "function_call", "call_id": f"call_{n}", "name": "list_expenses",
                      "arguments": json.dumps({"from": f"2026-11-{n % 28 + 1:02d}"})})  # fmt: skip
        items.append({"type": "function_call_output", "call_id": f"call_{n}", "output": "[]"})
    return items


@pytest.fixture
def store() -> StateStore:
    handle = open_store("sqlite:///:memory:")
    yield handle  # type: ignore[misc]
    handle.close()


def _start(
    store: StateStore, conversations: Sequence[str], options: MigrationOptions | None = None
) -> MigrationRecord:
    for cid in conversations:
        store.assign_conversation(WS, BOT, cid, 1, now=10.0)
    record = MigrationRecord(
        id="mig_1", workspace=WS, assistant=BOT, to_version=2, options=options or MigrationOptions(),
        status=MigrationStatus.RUNNING, total=len(conversations), created_at=20.0, updated_at=20.0,
        by_user="ana", by_host="ci",
    )  # fmt: skip
    store.start_migration(record, [(c, 1) for c in conversations])
    return record


def _unit(store: StateStore, record: MigrationRecord, platform: FakePlatform) -> Unit:
    return Unit(store=store, migration=record, owner="proj/local", upcasts={1: PLAN}, copies=platform,
                wall_clock=lambda: 100.0, sleep=lambda s: None)  # fmt: skip


def test_a_conversation_is_copied_upcast_in_order_and_recorded(store: StateStore) -> None:
    platform = FakePlatform()
    platform.add("c1", _items(23))  # 46 items: 20 with the create, 26 appended
    unit = _unit(store, _start(store, ["c1"]), platform)
    assert unit.run("c1") is Outcome.MOVED
    move = store.conversation_move(WS, BOT, "c1")
    assert move is not None and move.new_conversation == "copy_1"
    meta, copied = platform.conversations["copy_1"]
    assert meta[labels.MIGRATED_FROM] == "c1" and meta[labels.VERSION] == "2" and meta[labels.OWNER]
    assert [i["call_id"] for i in copied] == [i["call_id"] for i in _items(23)]
    calls = [json.loads(i["arguments"]) for i in copied if i["type"] == "function_call"]
    assert calls[0] == {"start_date": "2026-11-01"} and all(set(c) == {"start_date"} for c in calls)
    assert platform.conversations["c1"][0][labels.MIGRATED_TO] == "copy_1"
    copy_pin = store.assignment(WS, BOT, "copy_1")
    assert copy_pin is not None and copy_pin.version == 2
    assert unit.run("c1") is Outcome.ALREADY  # a second run of the unit does nothing
    assert platform.made == 1


class Steps:
    """A durable engine's step runner: results of finished steps replayed; `crash_at` dies before that
    step's result is recorded (after it ran)."""

    def __init__(self, crash_at: str | None = None) -> None:
        self.done: dict[str, Any] = {}
        self.crash_at = crash_at

    def __call__(self, name: str, fn: Callable[[], T]) -> T:
        if name in self.done:
            return self.done[name]  # type: ignore[no-any-return]
        result = fn()
        if name == self.crash_at:
            self.crash_at = None
            raise Crash(name)
        self.done[name] = result
        return result


@pytest.mark.parametrize("step", ["start", "append", "finish"])
def test_a_crash_after_any_step_but_create_resumes_with_one_copy(store: StateStore, step: str) -> None:
    platform = FakePlatform()
    platform.add("c1", _items(15))  # 30 items
    unit = _unit(store, _start(store, ["c1"]), platform)
    steps = Steps(crash_at=step)
    with pytest.raises(Crash):
        unit.run("c1", steps)
    assert unit.run("c1", steps) is Outcome.MOVED  # a replay of the same steps: the unit's own move
    assert unit.run("c1", Steps()) is Outcome.ALREADY  # a new run of a finished unit
    assert platform.conversations["c1"][0][labels.MIGRATED_TO] == "copy_1"
    assert platform.made == 1
    assert len(platform.conversations["copy_1"][1]) == 30  # no item twice
    assert len(store.conversation_moves(WS, "mig_1")) == 1


def test_a_lost_append_response_is_resumed_by_counting(store: StateStore) -> None:
    platform = FakePlatform()
    platform.add("c1", _items(30))  # 60 items: three appends after the create
    platform.fail["append"] = TemporaryPlatformError("connection reset")
    unit = _unit(store, _start(store, ["c1"]), platform)
    assert unit.run("c1") is Outcome.MOVED
    assert [i["call_id"] for i in platform.conversations["copy_1"][1]] == [i["call_id"] for i in _items(30)]


def test_an_invalid_upcast_fails_the_conversation_alone(store: StateStore) -> None:
    platform = FakePlatform()
    bad = _items(2)
    bad[2]["arguments"] = json.dumps({"start_date": "x", "from": "y"})  # rename onto a value already set
    platform.add("bad", bad)
    platform.add("good", _items(2))
    record = _start(store, ["bad", "good"])
    unit = _unit(store, record, platform)
    assert unit.run("bad") is Outcome.FAILED
    assert unit.run("good") is Outcome.MOVED
    item = store.migration_item("mig_1", "bad")
    assert item is not None and item.status is ItemStatus.FAILED
    assert "conversation bad item 2" in item.error
    assert platform.made == 1


def test_a_gone_conversation_is_skipped_and_a_cancelled_migration_starts_nothing(store: StateStore) -> None:
    platform = FakePlatform()
    platform.add("c2", _items(1))
    record = _start(store, ["c1", "c2"])
    unit = _unit(store, record, platform)
    assert unit.run("c1") is Outcome.SKIPPED
    store.set_migration_status("mig_1", MigrationStatus.CANCELLED, now=50.0)
    assert unit.run("c2") is Outcome.CANCELLED
    assert platform.made == 0
    item = store.migration_item("mig_1", "c2")
    assert item is not None and item.status is ItemStatus.PENDING


class FakeThreads:
    def __init__(self, runs: list[tuple[str, str]], *, ends_when_waited: bool) -> None:
        self.runs = runs
        self.ends = ends_when_waited
        self.cancelled: list[str] = []
        self.labels: dict[str, str] = {}

    def active_runs(self, thread: str) -> list[tuple[str, str]]:
        return list(self.runs)

    def cancel_run(self, thread: str, run_id: str) -> None:
        self.cancelled.append(run_id)
        self.runs = []

    def wait_runs(self, thread: str, *, timeout_seconds: float, poll_seconds: float) -> list[tuple[str, str]]:
        if self.ends:
            self.runs = []
        return list(self.runs)

    def metadata(self, thread: str) -> dict[str, str] | None:
        return dict(self.labels)

    def label(self, thread: str, extra: dict[str, str]) -> bool:
        self.labels.update(extra)
        return True


@pytest.mark.parametrize(
    ("mode", "ends", "outcome"),
    [
        (ActiveRuns.CANCEL, False, Outcome.MOVED),
        (ActiveRuns.WAIT, True, Outcome.MOVED),
        (ActiveRuns.WAIT, False, Outcome.FAILED),
    ],
)
def test_a_thread_moves_in_place_after_its_runs(
    store: StateStore, mode: ActiveRuns, ends: bool, outcome: Outcome
) -> None:
    threads = FakeThreads([("run_1", "requires_action")], ends_when_waited=ends)
    record = _start(store, ["thread_1"], MigrationOptions(flavour="assistants-v2", active_runs=mode))
    unit = Unit(store=store, migration=record, owner="o", moves=threads, wall_clock=lambda: 100.0)
    assert unit.run("thread_1") is outcome
    pin = store.assignment(WS, BOT, "thread_1")
    assert pin is not None
    if outcome is Outcome.MOVED:
        assert pin.version == 2 and threads.labels[labels.VERSION] == "2"
        assert threads.cancelled == (["run_1"] if mode is ActiveRuns.CANCEL else [])
    else:
        assert (
            pin.version == 1 and "run_1 (requires_action)" in store.migration_item("mig_1", "thread_1").error
        )  # type: ignore[union-attr]
