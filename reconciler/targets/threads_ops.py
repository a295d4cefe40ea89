"""Assistants v2 half of conversation migrations (issue 17): a thread moves to a new assistant version in
place, so the platform operations are its runs (find the active ones, cancel them or wait for them) and
its metadata (read it, label it). Requests go through `targets.gated.GatedCalls` like `ConversationOps`.

Bounds: `active_runs` reads one page of RUNS_PAGE runs, newest first (the platform allows one active run
per thread, and it is the newest); `wait_runs` polls at most `timeout_seconds / poll_seconds + 1` times
and never past its deadline (clock and sleep injected, so tests do not wait).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping
from typing import Any

import openai

from reconciler.calls.retry import Retrier
from reconciler.errors import NotFound, PermanentPlatformError
from reconciler.model import labels as label_rules
from reconciler.targets.gated import Gate, GatedCalls, LimitsSink, ignore_limits, no_gate

RUNS_PAGE = 100
# Runs the platform is still working on, or waiting on us for: a thread moved now would change under them.
ACTIVE = ("queued", "in_progress", "requires_action", "cancelling")
_CANCELLABLE = ("queued", "in_progress", "requires_action")


class ThreadOps:
    """Assistants v2: a thread's active runs, their cancellation, its metadata and labels."""

    def __init__(
        self,
        client: openai.OpenAI,
        *,
        gate: Gate = no_gate,
        on_limits: LimitsSink = ignore_limits,
        retrier: Retrier | None = None,
    ) -> None:
        self.client = client
        self.calls = GatedCalls(gate=gate, on_limits=on_limits, retrier=retrier)

    def active_runs(self, thread: str) -> list[tuple[str, str]]:
        """(run id, status) of the thread's runs that are queued, in progress, waiting for tool outputs or
        being cancelled, newest first."""
        runs = self.client.beta.threads.runs.with_raw_response
        raw = self.calls.send(
            f"list runs of thread {thread}", lambda: runs.list(thread, limit=RUNS_PAGE, order="desc")
        )
        data: list[dict[str, Any]] = raw.http_response.json().get("data") or []
        return [(str(r["id"]), str(r["status"])) for r in data if r.get("status") in ACTIVE]

    def cancel_run(self, thread: str, run_id: str) -> None:
        """Ask the platform to cancel a run (it goes `cancelling`, then `cancelled`). A run that already
        finished or is being cancelled (a repeated call, or a race with the run) is left as it is."""
        runs = self.client.beta.threads.runs.with_raw_response
        try:
            self.calls.send(
                f"cancel run {run_id} of thread {thread}", lambda: runs.cancel(run_id, thread_id=thread)
            )
        except NotFound:
            raise
        except PermanentPlatformError as error:
            if error.status != 400 or self._status(thread, run_id) in _CANCELLABLE:
                raise

    def wait_runs(
        self,
        thread: str,
        *,
        timeout_seconds: float,
        poll_seconds: float,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> list[tuple[str, str]]:
        """Poll until the thread has no active run or `timeout_seconds` pass; the runs still active then
        (empty when the thread is free)."""
        if poll_seconds <= 0 or timeout_seconds < 0:
            raise ValueError("wait_runs needs poll_seconds > 0 and timeout_seconds >= 0")
        deadline = clock() + timeout_seconds
        polls = math.floor(timeout_seconds / poll_seconds) + 1
        active = self.active_runs(thread)
        for _ in range(polls):
            left = deadline - clock()
            if not active or left <= 0:
                break
            sleep(min(poll_seconds, left))
            active = self.active_runs(thread)
        return active

    def metadata(self, thread: str) -> dict[str, str] | None:
        """The thread's metadata; None when it is gone."""
        threads = self.client.beta.threads.with_raw_response
        try:
            raw = self.calls.send(f"get thread {thread}", lambda: threads.retrieve(thread))
        except NotFound:
            return None
        return dict(raw.http_response.json().get("metadata") or {})

    def label(self, thread: str, labels: Mapping[str, str]) -> bool:
        """Merge `labels` into the thread's metadata; False, and nothing sent, when they do not fit beside
        the user's own pairs (16 pairs, keys <= 64, values <= 512). Raises `NotFound` when it is gone."""
        existing = self.metadata(thread)
        if existing is None:
            raise NotFound(f"label thread {thread}: it no longer exists", status=404)
        merged = label_rules.merged_within_limits(existing, labels)
        if merged is None:
            return False
        if merged != existing:
            threads = self.client.beta.threads.with_raw_response
            self.calls.send(f"label thread {thread}", lambda: threads.update(thread, metadata=merged))
        return True

    def _status(self, thread: str, run_id: str) -> str:
        runs = self.client.beta.threads.runs.with_raw_response
        raw = self.calls.send(
            f"get run {run_id} of thread {thread}", lambda: runs.retrieve(run_id, thread_id=thread)
        )
        return str(raw.http_response.json().get("status"))
