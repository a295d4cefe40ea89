"""Retrier and Pacer on a fake clock: nothing here really sleeps."""

from __future__ import annotations

import random
import threading

import pytest

from reconciler.calls.retry import Pacer, Reads, Retrier
from reconciler.config import RetrySettings
from reconciler.errors import NotFound, RateLimited, TemporaryPlatformError


class Clock:
    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def _settings(**overrides: float) -> RetrySettings:
    values: dict[str, float] = {
        "max_attempts": 8,
        "base_delay_seconds": 1.0,
        "max_delay_seconds": 30.0,
        "deadline_seconds": 600.0,
    }
    values.update(overrides)
    return RetrySettings.model_validate(values)


def _retrier(clock: Clock, **overrides: float) -> Retrier:
    return Retrier(_settings(**overrides), clock=clock, sleep=clock.sleep, rng=random.Random(7))


class Flaky:
    """Fails `failures` times with `error`, then returns "ok"."""

    def __init__(self, failures: int, error: Exception | None = None) -> None:
        self.failures = failures
        self.calls = 0
        self.error = error or TemporaryPlatformError("503", status=503)

    def __call__(self) -> str:
        self.calls += 1
        if self.calls <= self.failures:
            raise self.error
        return "ok"


def test_success_needs_no_sleep() -> None:
    clock = Clock()
    retrier = _retrier(clock)
    assert retrier.run(Flaky(0)) == "ok"
    assert clock.sleeps == [] and retrier.retries == 0


def test_temporary_errors_are_retried_with_growing_jittered_backoff() -> None:
    clock = Clock()
    retrier = _retrier(clock)
    fn = Flaky(4)
    assert retrier.run(fn) == "ok"
    assert fn.calls == 5 and retrier.retries == 4
    for attempt, slept in enumerate(clock.sleeps):
        full = 1.0 * 2**attempt
        assert full / 2 <= slept <= full  # jitter keeps half to all of the exponential step


def test_backoff_is_bounded_by_max_delay() -> None:
    clock = Clock()
    retrier = _retrier(clock, max_attempts=20, max_delay_seconds=5.0, deadline_seconds=10_000)
    assert retrier.run(Flaky(15)) == "ok"
    assert max(clock.sleeps) <= 5.0
    assert clock.sleeps[-1] >= 2.5


def test_retry_after_is_honoured() -> None:
    clock = Clock()
    retrier = _retrier(clock)
    fn = Flaky(1, RateLimited("429", status=429, retry_after=12.0))
    assert retrier.run(fn) == "ok"
    (slept,) = clock.sleeps
    assert 12.0 <= slept <= 12.05


def test_retry_after_is_capped_by_max_delay() -> None:
    clock = Clock()
    retrier = _retrier(clock, max_delay_seconds=3.0)
    assert retrier.run(Flaky(1, RateLimited("429", status=429, retry_after=120.0))) == "ok"
    assert clock.sleeps[0] <= 3.05


def test_an_admin_read_429_without_a_hint_waits_one_request_interval_of_the_admin_rate() -> None:
    clock = Clock()
    retrier = _retrier(clock, admin_requests_per_minute=10)
    assert retrier.read(Flaky(2, RateLimited("429", status=429)), admin=True) == "ok"
    assert clock.sleeps and all(slept >= 6.0 for slept in clock.sleeps)  # 60 s / 10 per minute


def test_a_non_admin_read_429_without_a_hint_backs_off_normally() -> None:
    clock = Clock()
    retrier = _retrier(clock, admin_requests_per_minute=10)
    assert retrier.read(Flaky(1, RateLimited("429", status=429))) == "ok"
    assert clock.sleeps[0] <= 1.0


def test_a_503_on_an_admin_read_is_not_floored() -> None:
    clock = Clock()
    retrier = _retrier(clock, admin_requests_per_minute=10)
    assert retrier.read(Flaky(1), admin=True) == "ok"
    assert clock.sleeps[0] <= 1.0


def test_gives_up_after_max_attempts() -> None:
    clock = Clock()
    retrier = _retrier(clock, max_attempts=3)
    fn = Flaky(10)
    with pytest.raises(TemporaryPlatformError):
        retrier.run(fn)
    assert fn.calls == 3
    assert len(clock.sleeps) == 2


def test_gives_up_rather_than_sleep_past_the_deadline() -> None:
    clock = Clock()
    retrier = _retrier(clock, max_attempts=50, deadline_seconds=20.0)
    fn = Flaky(100)
    with pytest.raises(TemporaryPlatformError):
        retrier.run(fn)
    assert clock.now <= 20.0
    assert sum(clock.sleeps) <= 20.0
    assert fn.calls < 50


def test_retry_after_beyond_the_deadline_fails_at_once() -> None:
    clock = Clock()
    retrier = _retrier(clock, deadline_seconds=10.0)
    fn = Flaky(1, RateLimited("429", status=429, retry_after=25.0))
    with pytest.raises(RateLimited):
        retrier.run(fn)
    assert fn.calls == 1 and clock.sleeps == []


def test_permanent_errors_are_not_retried() -> None:
    clock = Clock()
    fn = Flaky(1, NotFound("gone", status=404))
    with pytest.raises(NotFound):
        _retrier(clock).run(fn)
    assert fn.calls == 1 and clock.sleeps == []


def test_before_retry_recovery_returns_what_it_found_and_stops() -> None:
    clock = Clock()
    fn = Flaky(5)
    seen: list[TemporaryPlatformError] = []

    def recover(error: TemporaryPlatformError) -> str | None:
        seen.append(error)
        return "found-it" if len(seen) == 2 else None

    assert _retrier(clock).run(fn, before_retry=recover) == "found-it"
    assert fn.calls == 2  # the second failure's recovery found the object: no third call
    assert len(seen) == 2 and len(clock.sleeps) == 2


def test_before_retry_runs_after_the_backoff() -> None:
    clock = Clock()
    times: list[float] = []

    def recover(error: TemporaryPlatformError) -> None:
        times.append(clock.now)

    _retrier(clock).run(Flaky(1), before_retry=recover)
    assert times == [clock.sleeps[0]]


def _starts(pacer: Pacer, clock: Clock, calls: int) -> list[float]:
    starts = []
    for _ in range(calls):
        pacer.wait()
        starts.append(clock.now)
    return starts


def _most_in_any_minute(starts: list[float]) -> int:
    return max(sum(1 for s in starts if t - 60.0 < s <= t) for t in starts)


@pytest.mark.parametrize("per_minute", [1, 10, 60, 120])
def test_the_pacer_never_exceeds_90_percent_of_the_limit_in_any_minute(per_minute: int) -> None:
    clock = Clock()
    starts = _starts(Pacer(per_minute, clock=clock, sleep=clock.sleep), clock, 3 * per_minute + 5)
    budget = max(1, int(per_minute * 0.9))
    assert _most_in_any_minute(starts) == budget
    assert starts == sorted(starts)
    # ...and keeps that pace: each window's budget goes at once, one window (plus the transit margin,
    # TRANSIT_MARGIN_SECONDS) after the previous one
    assert starts[-1] == pytest.approx(62.0 * ((len(starts) - 1) // budget))


def test_a_small_apply_sends_its_few_admin_calls_at_once() -> None:
    clock = Clock()
    starts = _starts(Pacer(10, clock=clock, sleep=clock.sleep), clock, 9)
    assert starts == [0.0] * 9 and clock.sleeps == []
    starts = _starts(Pacer(10, clock=clock, sleep=clock.sleep), clock, 1)  # a fresh pacer: fresh budget
    assert clock.sleeps == []


def test_the_tenth_call_at_10_per_minute_waits_for_the_first_to_leave_the_window() -> None:
    clock = Clock()
    pacer = Pacer(10, clock=clock, sleep=clock.sleep)
    for _ in range(9):
        pacer.wait()
        clock.now += 1.0
    pacer.wait()
    (slept,) = clock.sleeps
    assert clock.now == pytest.approx(62.0) and slept == pytest.approx(53.0)  # 60 s + 2 s transit margin


def test_concurrent_workers_share_one_budget() -> None:
    clock = threading.Lock()
    starts: list[float] = []
    fake = Clock()

    def sleep(seconds: float) -> None:
        with clock:
            starts.append(seconds)  # the sleep each caller got, from a frozen clock at 0

    pacer = Pacer(20, clock=fake, sleep=sleep)
    threads = [threading.Thread(target=pacer.wait) for _ in range(40)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # 18 per minute: 18 go at once, the next 18 a window later, the last 4 two windows later
    assert sorted(starts) == [62.0] * 18 + [124.0] * 4


def test_admin_reads_take_their_turn_on_the_pacer_and_other_reads_do_not() -> None:
    """A plan's admin reads wait for the window like writes (several plans at once must take turns);
    a plan alone sends its few at once."""
    clock = Clock()
    pacer = Pacer(10, clock=clock, sleep=clock.sleep)
    reads = Reads(_retrier(clock), pacer)
    assert reads(Flaky(0)) == "ok"
    pacer.wait()
    assert clock.sleeps == []  # a non-admin read left the admin budget alone
    for _ in range(8):
        assert reads(Flaky(0), admin=True) == "ok"
    assert clock.sleeps == []  # 1 write + 8 admin reads: the 9 a minute that 10/min allows, at once
    assert reads(Flaky(0), admin=True) == "ok"
    assert clock.sleeps == [pytest.approx(62.0)]  # the tenth waited for the window, and was sent


def test_a_read_that_waited_for_its_turn_checks_the_guard_before_it_is_sent() -> None:
    clock = Clock()
    pacer = Pacer(1, clock=clock, sleep=clock.sleep)
    guarded: list[float] = []
    retrier = _retrier(clock)
    retrier.guard = lambda: guarded.append(clock.now)
    reads = Reads(retrier, pacer)
    reads(Flaky(0), admin=True)
    reads(Flaky(0), admin=True)
    assert guarded == [0.0, 0.0, 62.0]  # before each attempt, and again after the 62 s turn
