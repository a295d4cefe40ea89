"""The lines the CLI writes for waits: what for and how long, nothing for short waits, a line now and then
for a long run of them, plain in a CI log."""

from __future__ import annotations

import io

from reconciler.cli.waits import WaitLines, wait_line
from reconciler.model.waits import Wait, WaitReason

SHARED = "9 requests a minute, shared with other runs on this state store"
PACE = Wait(WaitReason.ADMIN_PACE, 27.6, SHARED)
PACE_LINE = f"waiting 28 s: Admin API rate limit ({SHARED})"


class _Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _lines(*, terminal: bool = False) -> tuple[WaitLines, io.StringIO, _Clock]:
    out, clock = io.StringIO(), _Clock()
    return WaitLines(out, terminal=terminal, clock=clock), out, clock


def test_a_wait_says_what_for_and_how_long() -> None:
    assert wait_line(PACE) == PACE_LINE
    retry = Wait(WaitReason.RATE_LIMITED, 3.2, "HTTP 429, Retry-After 3 s; attempt 2 of 8")
    assert wait_line(retry) == (
        "waiting 4 s: rate limited by the platform (HTTP 429, Retry-After 3 s; attempt 2 of 8)"
    )
    lock = Wait(WaitReason.STATE_LOCK, 5.0, "held by ana@ci-1, lock abc", waited=0.0, at_most=600.0)
    assert wait_line(lock) == "waiting up to 600 s: state lock (held by ana@ci-1, lock abc)"
    later = Wait(WaitReason.STATE_LOCK, 1.0, "held by ana@ci-1, lock abc", waited=31.0, at_most=569.0)
    assert (
        wait_line(later) == "waiting up to 569 s more (31 s so far): state lock (held by ana@ci-1, lock abc)"
    )


def test_short_waits_print_nothing() -> None:
    lines, out, _ = _lines()
    lines(Wait(WaitReason.TEMPORARY_ERROR, 0.4, "HTTP 503; attempt 2 of 8"))
    lines(Wait(WaitReason.STATE_LOCK, 1.0, "held by ana@ci-1", waited=0.0, at_most=30.0))
    lines(Wait(WaitReason.INGESTION, 0.2, "docs/a.md", waited=1.2, at_most=298.8))
    assert out.getvalue() == ""
    lines(Wait(WaitReason.INGESTION, 0.2, "docs/a.md", waited=1.8, at_most=298.2))  # 2 s in all
    assert out.getvalue() == "waiting up to 299 s more (2 s so far): file ingestion (docs/a.md)\n"


def test_a_ci_log_gets_plain_lines_now_and_then_not_one_per_wait() -> None:
    lines, out, clock = _lines()
    for _ in range(8):  # eight workers wait for the same turn at once
        lines(PACE)
    clock.now += 5.0
    lines(Wait(WaitReason.STATE_LOCK, 1.0, "held by ana@ci-1", waited=2.0, at_most=40.0))  # another reason
    for _ in range(20):  # a lock polled every second: a line every 30 s
        clock.now += 1.0
        left = 145.0 - clock.now
        lines(Wait(WaitReason.STATE_LOCK, 1.0, "held by ana@ci-1", waited=clock.now - 103.0, at_most=left))
    clock.now += 40.0
    lines(PACE)  # the next turn, a minute on
    text = out.getvalue()
    assert "\r" not in text and "\x1b" not in text
    assert text.splitlines() == [
        PACE_LINE,
        "waiting up to 40 s more (2 s so far): state lock (held by ana@ci-1)",
        PACE_LINE,
    ]


def test_a_wait_reaching_well_past_the_last_line_is_said_at_once() -> None:
    lines, out, clock = _lines()
    lines(Wait(WaitReason.ADMIN_PACE, 5.0))
    clock.now += 1.0
    lines(Wait(WaitReason.ADMIN_PACE, 60.0))
    assert out.getvalue().splitlines() == [
        "waiting 5 s: Admin API rate limit",
        "waiting 60 s: Admin API rate limit",
    ]


def test_on_a_terminal_a_line_first_clears_what_the_progress_bar_drew() -> None:
    lines, out, _ = _lines(terminal=True)
    lines(PACE)
    assert out.getvalue().startswith("\r\x1b[Kwaiting 28 s: Admin API rate limit")
    assert out.getvalue().endswith("\n")


def test_control_characters_in_a_detail_are_escaped() -> None:
    lines, out, _ = _lines()
    lines(Wait(WaitReason.STATE_LOCK, 1.0, "held by ana\x1b[2J@ci-1", waited=5.0, at_most=20.0))
    assert "\x1b" not in out.getvalue()
