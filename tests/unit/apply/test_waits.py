"""What the pacer and the retrier say before they sleep, and the pacer's shared budget (a fake one here;
the store's is in tests/contract/store/test_pace_budget.py)."""

from __future__ import annotations

import random

import pytest

from reconciler.calls.retry import Pacer, Retrier
from reconciler.config import RetrySettings, TargetConfig
from reconciler.errors import RateLimited, StateError, TemporaryPlatformError
from reconciler.model.waits import Wait, WaitReason
from reconciler.service.pacing import StoreSlots, admin_budget_name
from reconciler.store.sqlite import SqliteStore
from tests.unit.calls.test_retry import Clock, Flaky


def _retrier(clock: Clock, heard: list[Wait]) -> Retrier:
    settings = RetrySettings.model_validate({"max_attempts": 4, "base_delay_seconds": 1.0})
    return Retrier(settings, clock=clock, sleep=clock.sleep, rng=random.Random(7), observe=heard.append)


def test_each_backoff_is_announced_with_its_reason_and_length_before_it_is_slept() -> None:
    clock, heard = Clock(), []
    retrier = _retrier(clock, heard)
    retrier.run(Flaky(1, TemporaryPlatformError("boom", status=503)))
    retrier.run(Flaky(1, RateLimited("slow down", status=429, retry_after=28.0)))
    retrier.run(Flaky(1, RateLimited("admin says no", status=429)), admin=True)
    retrier.run(Flaky(1, TemporaryPlatformError("reset")))
    assert [w.reason for w in heard] == [
        WaitReason.TEMPORARY_ERROR,
        WaitReason.RATE_LIMITED,
        WaitReason.ADMIN_PACE,  # an Admin API 429 is its rate limit, whatever the retrier calls it
        WaitReason.TEMPORARY_ERROR,
    ]
    assert [w.seconds for w in heard] == clock.sleeps  # what was said is what was slept
    assert heard[1].seconds == pytest.approx(28.0, abs=0.1)
    assert [w.detail for w in heard] == [
        "HTTP 503; attempt 2 of 4",
        "HTTP 429, Retry-After 28 s; attempt 2 of 4",
        "HTTP 429; attempt 2 of 4",
        "no response; attempt 2 of 4",
    ]


def test_the_pacer_announces_a_wait_for_its_turn_and_not_a_call_sent_at_once() -> None:
    clock, heard = Clock(), []
    pacer = Pacer(10, clock=clock, sleep=clock.sleep, observe=heard.append)
    for _ in range(9):
        assert pacer.wait() is False
    assert heard == []
    assert pacer.wait() is True
    assert [(w.reason, w.seconds, w.detail) for w in heard] == [
        (WaitReason.ADMIN_PACE, pytest.approx(62.0), "9 requests a minute")
    ]
    assert clock.sleeps == [pytest.approx(62.0)]


class _Slots:
    """A shared budget standing in for the store's: records what it was asked, answers `delays`."""

    def __init__(self, *delays: float, fail: bool = False) -> None:
        self.delays = list(delays)
        self.asked: list[tuple[int, float]] = []
        self.fail = fail

    def take(self, limit: int, window_seconds: float) -> float:
        self.asked.append((limit, window_seconds))
        if self.fail:
            raise StateError("database is locked")
        return self.delays.pop(0)


def test_a_shared_budget_decides_the_turn_instead_of_this_process_window() -> None:
    clock, heard = Clock(), []
    shared = _Slots(0.0, 40.0)
    pacer = Pacer(10, clock=clock, sleep=clock.sleep, shared=shared, observe=heard.append)
    assert pacer.wait() is False
    assert pacer.wait() is True  # another process took the window: this one waits its turn
    assert shared.asked == [(9, 62.0), (9, 62.0)]
    assert clock.sleeps == [40.0]
    assert heard[0].detail == "9 requests a minute, shared with other runs on this state store"


def test_a_store_refusing_the_shared_budget_leaves_the_run_pacing_alone(
    caplog: pytest.LogCaptureFixture,
) -> None:
    clock = Clock()
    shared = _Slots(fail=True)
    pacer = Pacer(10, clock=clock, sleep=clock.sleep, shared=shared)
    for _ in range(10):
        pacer.wait()
    assert len(shared.asked) == 1  # asked once, then this process's own window
    assert clock.sleeps == [pytest.approx(62.0)]
    assert "pacing this run alone" in caplog.text


def test_store_slots_turn_the_store_slot_into_seconds_to_wait() -> None:
    with SqliteStore(":memory:") as store:
        now = [1_000.0]
        slots = StoreSlots(store, "admin local", clock=lambda: now[0])
        assert [slots.take(2, 62.0) for _ in range(3)] == [0.0, 0.0, 62.0]
        now[0] += 30.0
        assert slots.take(2, 62.0) == pytest.approx(32.0)  # the third's slot is at 1062; this one too


@pytest.mark.parametrize(
    ("base_url", "budget"),
    [
        (None, "admin local"),
        ("https://api.openai.com/v1", "admin https://api.openai.com/v1"),
        ("https://api.openai.com/v1/", "admin https://api.openai.com/v1"),
        ("http://user:secret@127.0.0.1:8000/v1", "admin http://127.0.0.1:8000/v1"),
    ],
)
def test_the_admin_budget_is_named_by_the_endpoint_without_credentials(
    base_url: str | None, budget: str
) -> None:
    assert admin_budget_name(TargetConfig.model_validate({"baseURL": base_url})) == budget
