"""Router.assign: sticky pins, the canary's share of new conversations, the control snapshot (rollout
changes drop cached pins), the stop check, deleted versions. Against the in-memory fake of the store's
issue-16 methods (tests/unit/runtime/fakes.py)."""

from __future__ import annotations

import pytest

from reconciler.model.rollouts import Assignment, RolloutStatus
from reconciler.model.stored import VersionRecord
from reconciler.rollout.pointers import AssistantNotDeployed, UnknownAssistant
from reconciler.runtime import Router, Stopped, VersionGone
from reconciler.runtime.assignment import BUCKETS, Pins, bucket, canary_choice
from reconciler.store import open_store
from tests.unit.runtime.fakes import NAME, WS, FakeCanaryStore, rollout


def _conversations(n: int) -> list[str]:
    return [f"conv_{i:04d}" for i in range(n)]


def test_the_bucket_is_a_stable_hash_the_same_in_every_process() -> None:
    # Pinned values: a change of the hash would move which conversations a running canary gets.
    assert bucket("ro_1", "conv_0001") == bucket("ro_1", "conv_0001")
    assert [bucket("ro_1", c) for c in ("a", "b")] == [8839, 9720]
    assert all(0 <= bucket("ro_1", c) < BUCKETS for c in _conversations(200))
    assert [bucket("ro_1", c) for c in _conversations(20)] != [bucket("ro_2", c) for c in _conversations(20)]


def test_the_canary_takes_about_its_weight_and_a_higher_weight_only_adds() -> None:
    conversations = _conversations(4000)
    at_10 = {c for c in conversations if canary_choice(rollout(10), c) == 2}
    at_50 = {c for c in conversations if canary_choice(rollout(50), c) == 2}
    assert 0.08 < len(at_10) / 4000 < 0.12
    assert 0.46 < len(at_50) / 4000 < 0.54
    assert at_10 <= at_50
    assert all(canary_choice(rollout(100), c) == 2 for c in conversations[:100])
    assert all(canary_choice(rollout(0), c) is None for c in conversations[:100])
    assert canary_choice(rollout(100, status=RolloutStatus.ABORTED), "a") is None
    assert canary_choice(None, "a") is None


def test_without_a_rollout_a_new_conversation_is_pinned_to_stable(store: FakeCanaryStore) -> None:
    with Router(store, WS) as router:
        release = router.assign(NAME, "conv_a")
        assert (release.name, release.version) == (NAME, 1)
        assert store.pins[(NAME, "conv_a")].version == 1


def test_a_seen_conversation_is_answered_from_memory_with_one_watch_check(store: FakeCanaryStore) -> None:
    with Router(store, WS) as router:
        first = router.assign(NAME, "conv_a")
        reads = dict(store.calls)
        checks = store.watches[0].calls
        for _ in range(5):
            assert router.assign(NAME, "conv_a") is first
        assert dict(store.calls) == reads  # no store read
        assert store.watches[0].calls == checks + 5  # one watch check per call
        assert router.assign_reads == 1


def test_a_pin_made_elsewhere_wins(store: FakeCanaryStore) -> None:
    store.pins[(NAME, "conv_a")] = Assignment(
        conversation="conv_a", assistant=NAME, version=2, assigned_at=1.0, last_seen=1.0
    )
    with Router(store, WS) as router:
        assert router.assign(NAME, "conv_a").version == 2
        assert store.calls["assign_conversation"] == 0


def test_a_race_lost_in_the_store_serves_the_winners_pin(store: FakeCanaryStore) -> None:
    class Racing(FakeCanaryStore):
        def assignment(self, workspace: str, assistant: str, conversation: str) -> Assignment | None:
            # Another process pins it to v2 between our read and our write.
            self.pins.setdefault(
                (assistant, conversation),
                Assignment(
                    conversation=conversation, assistant=assistant, version=2, assigned_at=0, last_seen=0
                ),
            )
            return None

    racing = Racing(store._inner)
    with Router(racing, WS) as router:
        assert router.assign(NAME, "conv_a").version == 2


def test_weight_changes_never_move_a_pinned_conversation(store: FakeCanaryStore) -> None:
    conversations = _conversations(400)
    store.save(rollout(10, revision=1))
    with Router(store, WS) as router:
        before = {c: router.assign(NAME, c).version for c in conversations}
        assert 0 < sum(v == 2 for v in before.values()) < 100
        store.save(rollout(90, revision=2))
        after = {c: router.assign(NAME, c).version for c in conversations}
        assert after == before
        newcomers = [router.assign(NAME, c).version for c in _conversations(800)[400:]]
        assert sum(v == 2 for v in newcomers) > 300  # new conversations follow the new weight
    with Router(store, WS) as restarted:  # and a restarted router reads the same pins
        assert {c: restarted.assign(NAME, c).version for c in conversations} == before


def test_a_rollout_change_drops_the_cached_pins_of_that_assistant_only(store: FakeCanaryStore) -> None:
    store.save(rollout(100, revision=1, on_abort="stable"))
    with Router(store, WS) as router:
        assert router.assign(NAME, "conv_a").version == 2
        assert router.assign(NAME, "conv_a").version == 2
        assert router.assign_reads == 1
        # An abort with onAbort: stable rewrites the pins and saves the rollout: the watch says changed.
        store.save(rollout(100, revision=2, status=RolloutStatus.ABORTED, on_abort="stable"))
        assert router.assign(NAME, "conv_a").version == 1
        assert router.assign_reads == 2
        router.assign(NAME, "conv_a")
        assert router.assign_reads == 2  # cached again until the next change


def test_pins_read_from_the_store_are_dropped_on_a_rollout_change_too(store: FakeCanaryStore) -> None:
    # A restarted router that only ever reads existing pins must still hear of the abort that moves them.
    store.save(rollout(50, revision=1, on_abort="stable"))
    store.pins[(NAME, "conv_a")] = Assignment(
        conversation="conv_a", assistant=NAME, version=2, assigned_at=1.0, last_seen=1.0
    )
    with Router(store, WS) as router:
        assert router.assign(NAME, "conv_a").version == 2
        assert store.calls["assign_conversation"] == 0
        store.save(rollout(50, revision=2, status=RolloutStatus.ABORTED, on_abort="stable"))
        assert router.assign(NAME, "conv_a").version == 1


def test_a_watch_change_without_a_rollout_change_keeps_the_pins(store: FakeCanaryStore) -> None:
    store.save(rollout(50, revision=1))
    with Router(store, WS) as router:
        router.assign(NAME, "conv_a")
        store.set_stopped(WS, "Other", True, user="u", host="h", reason="", now=1.0)
        router.assign(NAME, "conv_a")
        assert router.assign_reads == 1
        assert router.stop_reads == 2


def test_a_stopped_assistant_refuses_even_a_pinned_conversation(store: FakeCanaryStore) -> None:
    with Router(store, WS) as router:
        router.assign(NAME, "conv_a")
        store.set_stopped(WS, NAME, True, user="ana", host="ops", reason="leak", now=1.0)
        with pytest.raises(Stopped, match="leak"):
            router.assign(NAME, "conv_a")
        with pytest.raises(Stopped):
            router.assign(NAME, "conv_new")
        store.set_stopped(WS, NAME, False, user="ana", host="ops", reason="", now=2.0)
        assert router.assign(NAME, "conv_a").version == 1


def test_a_conversation_pinned_to_a_deleted_version_is_an_error_not_a_move(store: FakeCanaryStore) -> None:
    store.pins[(NAME, "conv_old")] = Assignment(
        conversation="conv_old", assistant=NAME, version=2, assigned_at=1.0, last_seen=1.0
    )
    store.mark_version_deleted(WS, NAME, 2)
    with Router(store, WS) as router, pytest.raises(VersionGone, match="version 2, which was deleted"):
        router.assign(NAME, "conv_old")
    assert store.pins[(NAME, "conv_old")].version == 2


def test_releases_are_cached_per_version(store: FakeCanaryStore) -> None:
    with Router(store, WS) as router:
        a = router.assign(NAME, "conv_a")
        b = router.assign(NAME, "conv_b")
        assert a is b
        assert store.calls["versions"] == 1
        assert a.responses_kwargs()["instructions"] == "version 1"


def test_an_undeployed_or_unknown_assistant_is_the_pointer_error(store: FakeCanaryStore) -> None:
    store.add_version(WS, VersionRecord(assistant="Fresh", number=1, platform_id="b", fingerprint="f"))
    with Router(store, WS) as router:
        with pytest.raises(AssistantNotDeployed):
            router.assign("Fresh", "conv_a")
        with pytest.raises(UnknownAssistant):
            router.assign("Nobody", "conv_a")


def test_a_read_only_store_cannot_assign() -> None:
    class ReadOnly:
        def __init__(self, inner: object) -> None:
            self._inner = inner

        def stop_watch(self) -> object:
            return self._inner.stop_watch()  # type: ignore[attr-defined]

        def stops(self, workspace: str) -> dict[str, object]:
            return {}

        def close(self) -> None:
            pass

    with open_store("sqlite:///:memory:") as inner:
        router = Router(ReadOnly(inner), WS)  # type: ignore[arg-type]
        with pytest.raises(TypeError, match="writable"):
            router.assign(NAME, "conv_a")
        router.close()


def test_the_pin_cache_forgets_its_oldest_entries_past_its_limit() -> None:
    pins = Pins(limit=2)
    releases = [object(), object(), object()]
    for i, release in enumerate(releases):
        pins.put(NAME, f"c{i}", release, pins.generation(NAME))  # type: ignore[arg-type]
    assert pins.get(NAME, "c0") is None
    assert pins.get(NAME, "c2") is releases[2]
    generation = pins.generation(NAME)
    pins.drop(NAME)
    pins.put(NAME, "late", releases[0], generation)  # read before the drop: not put back
    assert pins.get(NAME, "late") is None
    assert len(pins) == 0
