"""runtime.Router on the real store (SQLite in memory and in a file, PostgreSQL): sticky pins under weight
changes and a router restart, an abort with onAbort: stable seen through the watch, a deleted version,
two processes racing on one new conversation, and telemetry written and summed."""

from __future__ import annotations

import multiprocessing
import time
from multiprocessing.synchronize import Barrier

import pytest

from reconciler.model.rollouts import CanaryStep, RolloutEvent, RolloutRecord, RolloutStatus
from reconciler.model.stored import VersionRecord
from reconciler.runtime import Router, VersionGone
from reconciler.store import StateStore, open_store
from tests.contract.store.conftest import Backend

WS = "local"
NAME = "CorporateAssist"
CONVERSATIONS = [f"conv_{i:03d}" for i in range(300)]


def _bundle(version: int) -> dict[str, object]:
    schema = {"type": "object", "properties": {"n": {"type": "integer"}}, "required": ["n"]}
    return {
        "id": f"bndl_v{version}",
        "name": NAME,
        "model": "gpt-4.1-2025-04-14",
        "instructions": f"version {version}",
        "tools": [{"type": "function", "name": "ping", "parameters": schema, "strict": False}],
        "metadata": {"reconciler/name": NAME, "reconciler/version": str(version)},
    }


def _seed(store: StateStore) -> None:
    for n in (1, 2):
        record = VersionRecord(
            assistant=NAME, number=n, platform_id=f"bndl_v{n}", fingerprint=f"f{n}", bundle=_bundle(n)
        )
        store.add_version(WS, record)
    store.move_pointer(WS, NAME, "stable", 1, user="ci", host="h", reason="", now=1.0)


def _save(
    store: StateStore, weight: int, *, previous: RolloutRecord | None = None, **changes: object
) -> RolloutRecord:
    base = previous or RolloutRecord(
        id="ro_1", assistant=NAME, stable_version=1, canary_version=2, steps=(CanaryStep(weight=weight),)
    )
    record = base.model_copy(update={"weight": weight, **changes})
    event = RolloutEvent(rollout_id="ro_1", assistant=NAME, action="weight", at=2.0, user="ci", host="h")
    return store.save_rollout(
        WS, record, event, expect_revision=None if previous is None else previous.revision
    )


def _heard(router: Router, before: int) -> None:
    """Wait until the router's watch has said changed since `before` re-reads: at once on SQLite, when
    the notice lands on PostgreSQL (LISTEN/NOTIFY is asynchronous)."""
    deadline = time.monotonic() + 5.0
    while time.monotonic() < deadline:
        router.refuse_if_stopped(NAME)
        if router.stop_reads > before:
            return
        time.sleep(0.001)
    pytest.fail("the rollout save never reached the router's watch")


def test_pins_hold_under_weight_changes_and_a_router_restart(backend: Backend) -> None:
    store = backend.store
    _seed(store)
    rollout = _save(store, 10)
    with Router(backend.connect(), WS) as router:
        before = {c: router.assign(NAME, c).version for c in CONVERSATIONS}
        assert 5 < sum(v == 2 for v in before.values()) < 70
        reads = router.stop_reads
        rollout = _save(store, 90, previous=rollout)
        _heard(router, reads)
        assert {c: router.assign(NAME, c).version for c in CONVERSATIONS} == before
        newcomers = [router.assign(NAME, f"new_{i}").version for i in range(200)]
        assert sum(v == 2 for v in newcomers) > 150  # new conversations follow the new weight
    with Router(backend.connect(), WS) as restarted:
        assert {c: restarted.assign(NAME, c).version for c in CONVERSATIONS} == before
        assert restarted.assign_reads == len(CONVERSATIONS)  # read from the store, none chosen again
    assert store.conversation_counts(WS, NAME) == {
        1: sum(v == 1 for v in before.values()) + sum(v == 1 for v in newcomers),
        2: sum(v == 2 for v in before.values()) + sum(v == 2 for v in newcomers),
    }


def test_an_abort_to_stable_moves_the_pins_a_router_elsewhere_has_cached(backend: Backend) -> None:
    store = backend.store
    _seed(store)
    rollout = _save(store, 100, on_abort="stable")
    with Router(backend.connect(), WS) as router:
        assert router.assign(NAME, "conv_a").version == 2
        reads = router.stop_reads
        with store.transaction():  # what the controller does on abort: pins and rollout together
            store.reassign_conversations(WS, NAME, 2, 1, now=3.0)
            _save(store, 100, previous=rollout, status=RolloutStatus.ABORTED)
        _heard(router, reads)
        assert router.assign(NAME, "conv_a").version == 1
        assert router.assign(NAME, "conv_new").version == 1  # no active rollout: stable


def test_a_conversation_pinned_to_a_deleted_version_is_refused(backend: Backend) -> None:
    store = backend.store
    _seed(store)
    rollout = _save(store, 100)
    with Router(backend.connect(), WS) as router:
        assert router.assign(NAME, "conv_a").version == 2
    _save(store, 100, previous=rollout, status=RolloutStatus.ABORTED)  # onAbort keep: the pin stays
    store.mark_version_deleted(WS, NAME, 2)
    with (
        Router(backend.connect(), WS) as router,
        pytest.raises(VersionGone, match="version 2, which was deleted"),
    ):
        router.assign(NAME, "conv_a")


def test_telemetry_reaches_the_store_summed_per_second(backend: Backend) -> None:
    store = backend.store
    _seed(store)
    now = [1_765_000_000.5]
    with Router(backend.connect(), WS, wall_clock=lambda: now[0]) as router:
        release = router.assign(NAME, "conv_a")
        call = {"type": "function_call", "name": "ping", "arguments": '{"n": "x"}'}
        response = {
            "object": "response",
            "status": "completed",
            "output": [call],
            "usage": {"input_tokens": 3},
        }
        router.observe(release, response, latency_s=0.1, conversation="conv_a")
        router.flush()
        router.observe(release, response, latency_s=0.3, conversation="conv_a")
        router.tool_error(release, "ping")
        router.flush()  # the same second again: added to the stored bucket
    counts = store.telemetry(WS, NAME, 1, since=1_765_000_000, until=1_765_000_001)
    assert (counts.responses, counts.tool_calls, counts.invalid_tool_calls, counts.tool_errors) == (
        2,
        2,
        2,
        1,
    )
    assert (counts.latency_ms_max, counts.input_tokens) == (300.0, 6)
    assert store.conversation_counts(WS, NAME, seen_since=now[0]) == {1: 1}


# -- two processes ---------------------------------------------------------------------------------


def _racer(dsn: str, prefer: int, barrier: Barrier, results: multiprocessing.Queue[dict[str, int]]) -> None:
    """A process whose router would pin every new conversation to `prefer`; what it gets is the pin in
    force, whichever process wrote it first."""
    import reconciler.runtime.router as router_module

    router_module.canary_choice = lambda rollout, conversation: prefer  # type: ignore[assignment]
    with Router(dsn, WS) as router:
        router.assign(NAME, "warm-up")
        barrier.wait(timeout=60)
        results.put({c: router.assign(NAME, c).version for c in CONVERSATIONS[:100]})


def test_two_processes_assigning_the_same_new_conversations_get_one_answer(backend: Backend) -> None:
    if backend.shared_only:
        pytest.skip("an in-memory database cannot be opened by another process")
    _seed(backend.store)
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(2)
    results: multiprocessing.Queue[dict[str, int]] = context.Queue()
    racers = [context.Process(target=_racer, args=(backend.dsn, v, barrier, results)) for v in (1, 2)]
    for racer in racers:
        racer.start()
    try:
        first, second = results.get(timeout=120), results.get(timeout=120)
    finally:
        for racer in racers:
            racer.join(timeout=60)
    assert [r.exitcode for r in racers] == [0, 0]
    assert first == second
    with open_store(backend.dsn) as store:
        assert {c: store.assignment(WS, NAME, c).version for c in CONVERSATIONS[:100]} == first  # type: ignore[union-attr]
