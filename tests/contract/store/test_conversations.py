"""Sticky assignment and telemetry in the store on every backend (issue 16): a conversation keeps the first
version it was pinned to (also when two handles race on it), counts per version with a last-seen cut-off,
last-seen moving only forward, reassignment on an abort, and telemetry summed per bucket (max for the
latency maximum) over a window that includes its start and excludes its end."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from reconciler.errors import StateError
from reconciler.model.rollouts import Assignment, TelemetryCounts, TelemetryRow
from reconciler.store.sqlstore import SqlStore
from tests.contract.store.conftest import Backend

WS = "prod"
BOT = "Bot"


def test_a_conversation_keeps_the_first_version_it_was_pinned_to(store: SqlStore) -> None:
    assert store.assignment(WS, BOT, "c1") is None
    first = store.assign_conversation(WS, BOT, "c1", 2, now=10.0)
    assert first == Assignment(conversation="c1", assistant=BOT, version=2, assigned_at=10.0, last_seen=10.0)
    assert store.assign_conversation(WS, BOT, "c1", 1, now=20.0) == first  # the pin in force
    assert store.assignment(WS, BOT, "c1") == first
    # Pins are per workspace and assistant: the same conversation id elsewhere is another pin.
    assert store.assign_conversation(WS, "Other", "c1", 1, now=30.0).version == 1
    assert store.assign_conversation("staging", BOT, "c1", 1, now=30.0).version == 1
    assert store.assignment(WS, BOT, "c1") == first
    with pytest.raises(StateError, match="API key"):
        store.assign_conversation(WS, BOT, "sk-" + "a" * 40, 1, now=1.0)
    with pytest.raises(StateError, match="needs an assistant and a conversation"):
        store.assign_conversation(WS, BOT, "", 1, now=1.0)


def test_handles_racing_on_new_conversations_all_get_the_first_pin(backend: Backend) -> None:
    conversations = [f"conv_{n}" for n in range(40)]
    handles = [backend.connect() for _ in range(3)]
    barrier = threading.Barrier(len(handles), timeout=60)
    answers: list[dict[str, int]] = [{} for _ in handles]
    errors: list[BaseException] = []

    def runtime(index: int) -> None:
        try:
            for conversation in conversations:
                barrier.wait()  # every handle assigns this conversation at once, each its own version
                pin = handles[index].assign_conversation(WS, BOT, conversation, index + 1, now=float(index))
                answers[index][conversation] = pin.version
        except BaseException as exc:  # surfaced below
            errors.append(exc)
            barrier.abort()

    threads = [threading.Thread(target=runtime, args=(i,)) for i in range(len(handles))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors
    for conversation in conversations:
        stored = backend.store.assignment(WS, BOT, conversation)
        assert stored is not None
        assert {answer[conversation] for answer in answers} == {stored.version}
        assert stored.assigned_at == stored.version - 1  # the winner's row, whole
    assert sum(backend.store.conversation_counts(WS, BOT).values()) == len(conversations)


def test_counts_per_version_with_a_last_seen_cut_off(store: SqlStore) -> None:
    assert store.conversation_counts(WS, BOT) == {}
    for n, version in enumerate((1, 1, 1, 2, 2)):
        store.assign_conversation(WS, BOT, f"c{n}", version, now=100.0 + n)
    store.assign_conversation(WS, "Other", "c9", 7, now=100.0)
    assert store.conversation_counts(WS, BOT) == {1: 3, 2: 2}
    assert store.conversation_counts(WS, BOT, seen_since=102.0) == {1: 1, 2: 2}  # at the cut-off counts
    assert store.conversation_counts(WS, BOT, seen_since=104.5) == {}
    store.touch_conversations(WS, [(BOT, "c0"), (BOT, "c3"), (BOT, "c0")], now=200.0)
    assert store.conversation_counts(WS, BOT, seen_since=150.0) == {1: 1, 2: 1}
    assert store.conversation_counts("staging", BOT) == {}


def test_last_seen_only_moves_forward_and_touching_pins_nothing(store: SqlStore) -> None:
    store.assign_conversation(WS, BOT, "c1", 2, now=100.0)
    store.touch_conversations(WS, [(BOT, "c1")], now=300.0)
    store.touch_conversations(WS, [(BOT, "c1"), (BOT, "unknown"), ("Other", "c1")], now=200.0)  # late batch
    store.touch_conversations(WS, [], now=400.0)
    pin = store.assignment(WS, BOT, "c1")
    assert pin is not None and (pin.assigned_at, pin.last_seen, pin.version) == (100.0, 300.0, 2)
    assert store.assignment(WS, BOT, "unknown") is None
    assert store.assignment(WS, "Other", "c1") is None


def test_reassigning_moves_only_the_pins_of_one_version(store: SqlStore) -> None:
    for n, version in enumerate((1, 2, 2, 3)):
        store.assign_conversation(WS, BOT, f"c{n}", version, now=100.0)
    store.assign_conversation(WS, "Other", "c1", 2, now=100.0)
    assert store.reassign_conversations(WS, BOT, 2, 1, now=500.0) == 2
    assert store.conversation_counts(WS, BOT) == {1: 3, 3: 1}
    moved = store.assignment(WS, BOT, "c1")
    assert moved is not None and (moved.version, moved.assigned_at, moved.last_seen) == (1, 500.0, 100.0)
    assert store.conversation_counts(WS, "Other") == {2: 1}
    assert store.reassign_conversations(WS, BOT, 2, 1, now=600.0) == 0
    assert store.reassign_conversations(WS, BOT, 1, 1, now=600.0) == 0
    assert store.assignment(WS, BOT, "c1") == moved  # a move to where it is changes nothing


def test_an_unreadable_pin_is_a_state_error(store: SqlStore) -> None:
    store.assign_conversation(WS, BOT, "c1", 2, now=100.0)
    store._exec("UPDATE conversations SET last_seen = -5 WHERE conversation = 'c1'")
    with pytest.raises(StateError, match=r"conversations table holds an unreadable row .*last_seen"):
        store.assignment(WS, BOT, "c1")
    with pytest.raises(StateError, match=r"conversations table holds an unreadable row .*last_seen"):
        store.assign_conversation(WS, BOT, "c1", 1, now=200.0)


def _counts(n: int, latency_max: float = 0.0, **extra: float) -> TelemetryCounts:
    return TelemetryCounts.model_validate(
        {
            "responses": n,
            "failed": n // 4,
            "tool_calls": 2 * n,
            "invalid_tool_calls": 1,
            "tool_errors": 1,
            "latency_ms_sum": 100.5 * n,
            "latency_ms_max": latency_max,
            "input_tokens": 1000 * n,
            "output_tokens": 50 * n,
            "cost_usd": 0.25 * n,
            **extra,
        }
    )


def _row(bucket: int, counts: TelemetryCounts, version: int = 2, assistant: str = BOT) -> TelemetryRow:
    return TelemetryRow(assistant=assistant, version=version, bucket=bucket, counts=counts)


def test_telemetry_is_summed_per_bucket_with_the_largest_maximum(store: SqlStore) -> None:
    store.add_telemetry(
        WS, [_row(100, _counts(4, 300.0)), _row(100, _counts(2, 900.0)), _row(101, _counts(1, 50.0))]
    )
    store.add_telemetry(WS, [_row(100, _counts(4, 500.0)), _row(100, _counts(1), version=1)])
    store.add_telemetry(WS, [])
    assert store.telemetry(WS, BOT, 2, since=100, until=101) == _counts(
        10, 900.0, invalid_tool_calls=3, tool_errors=3
    )
    assert store.telemetry(WS, BOT, 2, since=0, until=1e10) == _counts(
        11, 900.0, failed=2, invalid_tool_calls=4, tool_errors=4
    )
    assert store.telemetry(WS, BOT, 1, since=0, until=1e10) == _counts(1)
    assert store.telemetry(WS, "Other", 2, since=0, until=1e10) == TelemetryCounts()
    assert store.telemetry("staging", BOT, 2, since=0, until=1e10) == TelemetryCounts()


def test_a_telemetry_window_includes_its_start_and_excludes_its_end(store: SqlStore) -> None:
    store.add_telemetry(WS, [_row(bucket, _counts(1, float(bucket))) for bucket in (99, 100, 101, 102)])

    def responses(since: float, until: float) -> tuple[int, float]:
        window = store.telemetry(WS, BOT, 2, since=since, until=until)
        return window.responses, window.latency_ms_max

    assert responses(100, 102) == (2, 101.0)
    assert responses(100.5, 102) == (1, 101.0)  # bucket 100 began before the window
    assert responses(99, 102.5) == (4, 102.0)
    assert responses(101, 101) == (0, 0.0)


def test_telemetry_a_batch_cannot_spoil_is_refused_whole(store: SqlStore) -> None:
    for bad in (_counts(1, cost_usd=float("nan")), _counts(1, latency_ms_sum=float("inf")), _counts(-1)):
        with pytest.raises(StateError, match="must be a finite number, zero or more"):
            store.add_telemetry(WS, [_row(100, _counts(1)), _row(101, bad)])
    assert store.telemetry(WS, BOT, 2, since=0, until=1e10) == TelemetryCounts()


def test_handles_adding_telemetry_at_once_lose_no_count(backend: Backend) -> None:
    handles = [backend.connect() for _ in range(3)]
    barrier = threading.Barrier(len(handles), timeout=60)
    errors: list[BaseException] = []

    def runtime(index: int) -> None:
        try:
            barrier.wait()
            for batch in range(20):
                handles[index].add_telemetry(
                    WS, [_row(100 + batch % 3, _counts(1, float(10 * index + batch))), _row(200, _counts(2))]
                )
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=runtime, args=(i,)) for i in range(len(handles))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors
    total = backend.store.telemetry(WS, BOT, 2, since=0, until=1e10)
    assert (total.responses, total.tool_calls, total.latency_ms_max) == (3 * 20 * 3, 3 * 20 * 6, 39.0)
    assert total.cost_usd == pytest.approx(0.25 * 180)


def _pin(conversation: str, version: int, *, assistant: str = BOT, seen: float = 50.0) -> Assignment:
    return Assignment(
        conversation=conversation, assistant=assistant, version=version, assigned_at=90.0, last_seen=seen
    )


def test_migrated_conversations_are_not_live(store: SqlStore) -> None:
    """A conversation migrated to a copy (`moved_to`, migration 0012) no longer needs its old version:
    the live counts behind gc and the plan's verdicts skip it; the plain counts still show the pin."""
    for n, version in enumerate((1, 1, 2)):
        store.assign_conversation(WS, BOT, f"c{n}", version, now=100.0)
    store.assign_conversation(WS, "Other", "c9", 4, now=100.0)
    store.assign_conversation(WS, "Other", "old", 3, now=10.0)
    store._exec("UPDATE conversations SET moved_to = 'c0-copy' WHERE conversation = 'c0'")
    assert store.conversation_counts(WS, BOT) == {1: 2, 2: 1}
    assert store.conversation_counts(WS, BOT, live_only=True) == {1: 1, 2: 1}
    assert store.conversation_counts(WS, BOT, seen_since=50.0, live_only=True) == {1: 1, 2: 1}
    assert store.live_conversations(WS, seen_since=50.0) == {BOT: {1: 1, 2: 1}, "Other": {4: 1}}
    assert store.live_conversations(WS, seen_since=5.0)["Other"] == {3: 1, 4: 1}
    assert store.live_conversations("staging", seen_since=0.0) == {}


def test_importing_pins_inserts_the_absent_and_never_overwrites(store: SqlStore) -> None:
    store.assign_conversation(WS, BOT, "held-same", 2, now=100.0)
    store.assign_conversation(WS, BOT, "held-other", 1, now=100.0)
    # more pins than one chunk: the lookup of held pins and the inserts go chunk by chunk
    many = [_pin(f"t{n}", 1 + n % 2) for n in range(1_203)]
    done = store.import_conversations(
        WS, iter([_pin("held-same", 2), _pin("held-other", 2), *many, _pin("x", 3, assistant="Other")])
    )
    assert (done.new, done.already) == (1_204, 2)
    assert [(c.conversation, c.held, c.imported) for c in done.conflicts] == [("held-other", 1, 2)]
    assert store.conversation_counts(WS, BOT) == {1: 603, 2: 602}
    assert store.conversation_counts(WS, "Other") == {3: 1}
    pin = store.assignment(WS, BOT, "t0")
    assert pin == _pin("t0", 1)  # assigned now, last seen as the file said
    held = store.assignment(WS, BOT, "held-other")
    assert held is not None and (held.version, held.last_seen) == (1, 100.0)  # untouched
    trial = store.import_conversations(WS, [_pin("new", 1), _pin("t1", 1)], dry_run=True)
    assert (trial.new, trial.already, len(trial.conflicts)) == (1, 1, 1)
    assert store.assignment(WS, BOT, "new") is None  # a dry run writes nothing
    again = store.import_conversations(WS, [_pin("t0", 2), _pin("t0", 2)])
    assert (again.new, again.already, len(again.conflicts)) == (0, 2, 2)
    assert store.import_conversations(WS, []).new == 0


def test_an_import_that_fails_writes_nothing(store: SqlStore) -> None:
    def pins() -> Iterator[Assignment]:
        yield from (_pin(f"ok{n}", 1) for n in range(600))  # a whole chunk is written before the failure
        yield _pin("sk-" + "a" * 40, 1)

    with pytest.raises(StateError, match="API key"):
        store.import_conversations(WS, pins())
    assert store.conversation_counts(WS, BOT) == {}
