"""Telemetry off the request path: `observe` and `tool_error` append a small tuple to a queue; one daemon
thread per router drains it every `flush_seconds`, summarises each response, validates its tool calls,
adds them up per (assistant, version, second) and writes the sums and the conversations seen to the
store. A failed write is logged and retried on the next flush with its counts kept; nothing here raises
into the application."""

from __future__ import annotations

import logging
import math
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Any

from reconciler.model.rollouts import TelemetryCounts, TelemetryRow
from reconciler.runtime.observations import ToolValidators, summarize
from reconciler.runtime.release import Release
from reconciler.store.base import StateStore

__all__ = ["DEFAULT_FLUSH_SECONDS", "DEFAULT_MAX_PENDING", "Recorder"]

DEFAULT_FLUSH_SECONDS = 1.0
DEFAULT_MAX_PENDING = 100_000  # queued observations, and again unwritten rows or conversations

_log = logging.getLogger("reconciler.runtime")

# Work on the queue in slices of this long, with a pause between, so the thread never holds the GIL for long.
_SLICE_S = 0.0001
_YIELD_S = 0.00005

_RESPONSE = 0
_TOOL_ERROR = 1

Key = tuple[str, int, int]  # assistant, version, bucket (epoch second)


class _Sums:
    """One bucket's counts while they are added up (TelemetryCounts is frozen)."""

    __slots__ = (
        "cost_usd",
        "failed",
        "input_tokens",
        "invalid_tool_calls",
        "latency_ms_max",
        "latency_ms_sum",
        "output_tokens",
        "responses",
        "tool_calls",
        "tool_errors",
    )

    def __init__(self) -> None:
        self.responses = self.failed = self.tool_calls = self.invalid_tool_calls = self.tool_errors = 0
        self.input_tokens = self.output_tokens = 0
        self.latency_ms_sum = self.latency_ms_max = self.cost_usd = 0.0

    def counts(self) -> TelemetryCounts:
        return TelemetryCounts(**{name: getattr(self, name) for name in self.__slots__})


class Recorder:
    """The queue, the flushing thread and what is not written yet, for one router.

    `open_writer` gives the store to write to (called again after a failed write when `owns_writer`, so a
    lost connection is replaced); `wall_clock` gives the epoch seconds that name buckets."""

    def __init__(
        self,
        workspace: str,
        open_writer: Callable[[], StateStore],
        *,
        owns_writer: bool,
        flush_seconds: float = DEFAULT_FLUSH_SECONDS,
        wall_clock: Callable[[], float],
        max_pending: int = DEFAULT_MAX_PENDING,
    ) -> None:
        if flush_seconds <= 0:
            raise ValueError("flush_seconds must be more than zero")
        self._workspace = workspace
        self._open_writer = open_writer
        self._owns_writer = owns_writer
        self._writer: StateStore | None = None
        self.flush_seconds = flush_seconds
        self._wall_clock = wall_clock
        self._max_pending = max_pending
        self._queue: deque[tuple[Any, ...]] = deque()
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()
        self._flush_lock = threading.Lock()
        self._stopping = threading.Event()
        self._closed = False
        self._sums: dict[Key, _Sums] = {}
        self._seen: set[tuple[str, str]] = set()
        self._validators = ToolValidators()
        self.dropped = 0  # observations or rows thrown away because too many were pending
        self.failures = 0  # flushes whose write failed
        self.written = 0  # rows written

    # -- the request path: append, nothing else ----------------------------------------------------
    def observe(
        self,
        release: Release,
        response: Any,
        latency_s: float,
        conversation: str | None,
        cost_usd: float | None,
    ) -> None:
        queue = self._queue
        if len(queue) >= self._max_pending:
            self.dropped += 1
            return
        queue.append((_RESPONSE, release, response, latency_s, conversation, cost_usd, self._wall_clock()))
        if self._thread is None:
            self._start()

    def tool_error(self, release: Release, tool: str) -> None:
        queue = self._queue
        if len(queue) >= self._max_pending:
            self.dropped += 1
            return
        queue.append((_TOOL_ERROR, release, tool, self._wall_clock()))
        if self._thread is None:
            self._start()

    def _start(self) -> None:
        with self._start_lock:
            if self._thread is None and not self._closed:
                thread = threading.Thread(target=self._run, name="reconciler-telemetry", daemon=True)
                thread.start()
                self._thread = thread

    # -- the flushing thread -----------------------------------------------------------------------
    def _run(self) -> None:
        while not self._stopping.wait(self.flush_seconds):
            self.flush()

    def flush(self) -> None:
        """Drain the queue into the pending sums and write them; never raises (a failure is logged and the
        sums are kept for the next flush)."""
        with self._flush_lock:
            try:
                self._drain()
                self._write()
            except Exception:  # a bug here must not kill the thread or reach the app
                _log.exception("telemetry flush failed unexpectedly; the counts are kept")

    def _drain(self) -> None:
        queue = self._queue
        clock = time.perf_counter
        slice_ends = clock() + _SLICE_S
        for _ in range(len(queue)):  # popleft is atomic: appends made meanwhile wait for the next flush
            if clock() > slice_ends:
                # Hand the GIL over: a request thread waking from its model call would otherwise wait
                # for the interpreter's switch interval (5 ms) behind this loop. A real sleep, since
                # sleep(0) may take the GIL straight back before the waiting thread runs.
                time.sleep(_YIELD_S)
                slice_ends = clock() + _SLICE_S
            item = queue.popleft()
            try:
                if item[0] == _RESPONSE:
                    self._add_response(*item[1:])
                else:
                    self._add_tool_error(*item[1:])
            except Exception:  # one malformed response must not lose the rest of the batch
                _log.warning("telemetry: skipped an observation that could not be read", exc_info=True)

    def _bucket(self, release: Release, at: float) -> _Sums | None:
        key = (release.name, release.version, math.floor(at))
        sums = self._sums.get(key)
        if sums is None:
            if len(self._sums) >= self._max_pending:
                self.dropped += 1
                return None
            sums = self._sums[key] = _Sums()
        return sums

    def _add_response(
        self,
        release: Release,
        response: Any,
        latency_s: float,
        conversation: str | None,
        cost_usd: float | None,
        at: float,
    ) -> None:
        summary = summarize(response)
        sums = self._bucket(release, at)
        if sums is None:
            return
        sums.responses += 1
        sums.failed += summary.failed
        # A latency or cost that is not a finite, non-negative number is the application's slip: count the
        # response without it rather than poison the batch (the store refuses non-finite sums whole).
        latency_ms = latency_s * 1000.0 if _measure(latency_s) else 0.0
        sums.latency_ms_sum += latency_ms
        sums.latency_ms_max = max(sums.latency_ms_max, latency_ms)
        sums.input_tokens += summary.input_tokens
        sums.output_tokens += summary.output_tokens
        if cost_usd is None:  # the application did not say: price the tokens by the dated table
            cost_usd = summary.cost_usd()
        if cost_usd is not None and _measure(cost_usd):
            sums.cost_usd += cost_usd
        for tool, arguments in summary.tool_calls:
            sums.tool_calls += 1
            if self._validators.valid(release, tool, arguments) is False:
                sums.invalid_tool_calls += 1
        if conversation is not None:
            if len(self._seen) < self._max_pending:
                self._seen.add((release.name, conversation))
            else:
                self.dropped += 1

    def _add_tool_error(self, release: Release, tool: str, at: float) -> None:
        sums = self._bucket(release, at)
        if sums is not None:
            sums.tool_errors += 1

    def _write(self) -> None:
        if not self._sums and not self._seen:
            return
        try:
            writer = self._writer or self._open_writer()
            self._writer = writer
            if self._sums:
                rows = [
                    TelemetryRow(assistant=name, version=version, bucket=bucket, counts=sums.counts())
                    for (name, version, bucket), sums in self._sums.items()
                ]
                writer.add_telemetry(self._workspace, rows)
                self._sums = {}
                self.written += len(rows)
            if self._seen:
                seen = sorted(self._seen)  # one order in every process: fewer lock waits between writers
                writer.touch_conversations(self._workspace, seen, now=self._wall_clock())
                self._seen = set()
        except Exception as error:
            self.failures += 1
            _log.warning(
                "telemetry write failed (%s); %d rows and %d conversations kept for the next flush",
                error,
                len(self._sums),
                len(self._seen),
            )
            self._drop_writer()

    def _drop_writer(self) -> None:
        if self._owns_writer and self._writer is not None:
            writer, self._writer = self._writer, None
            try:
                writer.close()
            except Exception:  # closing a broken connection may fail too; it is dropped either way
                _log.debug("telemetry: closing the failed writer failed", exc_info=True)

    def close(self) -> None:
        """Stop the thread, flush what is left, close the writer if ours. Idempotent."""
        with self._start_lock:
            self._closed = True
            thread = self._thread
        self._stopping.set()
        if thread is not None:
            thread.join()
        self.flush()
        with self._flush_lock:
            if self._owns_writer and self._writer is not None:
                self._writer.close()
                self._writer = None

    @property
    def pending(self) -> int:
        """Observations queued plus rows not written yet."""
        return len(self._queue) + len(self._sums)


def _measure(value: object) -> bool:
    """A finite, non-negative number (a latency, a cost)."""
    return (
        isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value) and value >= 0
    )
