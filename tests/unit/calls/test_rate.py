"""The request gate of conversation migrations (`calls.rate.RateGate`): the arithmetic that keeps any 60 s
window under the limit, waits slept as the shared budget says, and what the platform's answers do (a
Retry-After holds everyone until then; a spent remaining count holds them until the reset)."""

from __future__ import annotations

import math

import pytest

from reconciler.calls.rate import WINDOW_SECONDS, RateGate


class Slots:
    """The store's GCRA in memory, with a settable clock."""

    def __init__(self) -> None:
        self.now = 1_000.0
        self.tat = 0.0
        self.delayed: list[float] = []

    def take(self, interval: float, burst: float) -> float:
        self.tat = max(self.tat, self.now) + interval
        return max(0.0, self.tat - interval - burst - self.now)

    def delay(self, until: float) -> None:
        self.delayed.append(until)
        self.tat = max(self.tat, until)


@pytest.mark.parametrize("per_minute", [1, 2, 20, 60, 500, 3_000, 12_000, 100_000])
def test_no_window_of_a_minute_admits_more_than_the_limit(per_minute: int) -> None:
    gate = RateGate.for_limit(Slots(), per_minute)
    # In any window of 60 s: at most 60/interval + burst/interval + 1 starts.
    worst = WINDOW_SECONDS / gate.interval + gate.burst / gate.interval + 1
    assert worst <= per_minute + 1e-9 or per_minute < 3  # one or two a minute: one at a time, spaced
    if per_minute >= 100:
        assert WINDOW_SECONDS / gate.interval >= 0.9 * per_minute  # the sustained rate keeps the goal


def test_requests_wait_their_slot_and_the_waits_are_counted() -> None:
    slots, slept = Slots(), []
    gate = RateGate.for_limit(slots, 600, sleep=slept.append, wall_clock=lambda: slots.now)
    burst = math.floor(600 * 0.04)
    for _ in range(burst + 3):
        gate()
    # The burst and the slot at its edge went at once; then one every interval.
    assert slept == pytest.approx([gate.interval, 2 * gate.interval])
    assert gate.requests == burst + 3 and gate.waited_seconds == pytest.approx(3 * gate.interval)


def test_a_retry_after_holds_every_request_until_then() -> None:
    slots, slept = Slots(), []
    gate = RateGate.for_limit(slots, 600, sleep=slept.append, wall_clock=lambda: slots.now)
    gate.observe(retry_after_seconds=7.0)
    assert slots.delayed == [1_007.0] and gate.delays == 1
    gate()
    assert slept and slept[0] == pytest.approx(7.0 - gate.burst)


def test_a_spent_window_holds_until_its_reset_and_a_healthy_one_changes_nothing() -> None:
    slots = Slots()
    gate = RateGate.for_limit(slots, 600, wall_clock=lambda: slots.now)
    gate.observe(remaining_requests=250, reset_seconds=20.0)
    assert slots.delayed == []
    gate.observe(remaining_requests=0, reset_seconds=20.0)
    gate.observe(retry_after_seconds=3.0, remaining_requests=1, reset_seconds=12.0)
    assert slots.delayed == [1_020.0, 1_012.0] and gate.delays == 2


def test_a_limit_below_one_is_refused() -> None:
    with pytest.raises(ValueError, match="at least one"):
        RateGate.for_limit(Slots(), 0)
