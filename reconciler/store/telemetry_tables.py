"""The runtime's telemetry: per assistant, version and second (`bucket`), the sums of what it recorded
(responses, failures, tool calls, latency, tokens, cost; `model.rollouts.TelemetryCounts`), added to by
every batch and summed over a window by analysis.

A batch is one transaction of upserts that add to the row in place (`x = x + excluded.x`, and the larger
of the two maxima), so processes recording at once never lose each other's counts.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from reconciler.errors import StateError
from reconciler.model.rollouts import TelemetryCounts, TelemetryRow
from reconciler.store import rows as columns
from reconciler.store.sqlcore import SqlCore

__all__ = ["TelemetryTable"]

_SUMMED = (
    "responses",
    "failed",
    "tool_calls",
    "invalid_tool_calls",
    "tool_errors",
    "latency_ms_sum",
    "input_tokens",
    "output_tokens",
    "cost_usd",
)
_INTEGERS = frozenset(
    (
        "responses",
        "failed",
        "tool_calls",
        "invalid_tool_calls",
        "tool_errors",
        "input_tokens",
        "output_tokens",
    )
)
_COUNTERS = (*_SUMMED, "latency_ms_max")
# Integer sums are cast back from PostgreSQL's numeric (the sum of a bigint), which psycopg reads as Decimal.
_SUMS = ", ".join(
    f"CAST(coalesce(sum({name}), 0) AS BIGINT)" if name in _INTEGERS else f"coalesce(sum({name}), 0)"
    for name in _SUMMED
)


def _checked(row: TelemetryRow) -> tuple[object, ...]:
    """The row's counters in `_COUNTERS` order; a negative or non-finite one would spoil every sum it
    joins, so it is refused here rather than found in an analysis later."""
    values = tuple(getattr(row.counts, name) for name in _COUNTERS)
    for name, value in zip(_COUNTERS, values, strict=True):
        if not (math.isfinite(value) and value >= 0):
            raise StateError(
                f"telemetry of {row.assistant} v{row.version} at {row.bucket}: {name} must be a finite "
                "number, zero or more"
            )
    if not row.assistant or row.bucket < 0:
        raise StateError(f"telemetry needs an assistant and a bucket of epoch seconds, got {row.bucket}")
    return values


class TelemetryTable(SqlCore):
    def telemetry(
        self, workspace: str, assistant: str, version: int, *, since: float, until: float
    ) -> TelemetryCounts:
        found = self._query(
            f"SELECT {_SUMS}, coalesce(max(latency_ms_max), 0) FROM telemetry "  # noqa: S608 (only ? marks)
            "WHERE workspace = ? AND assistant = ? AND version = ? AND bucket >= ? AND bucket < ?",
            (self._workspace(workspace), assistant, version, since, until),
        )
        (values,) = found
        return columns.decode(
            "telemetry",
            lambda: columns.row_key(assistant=assistant, version=version, since=since, until=until),
            lambda: TelemetryCounts(
                **{
                    name: columns.integer(value, name) if name in _INTEGERS else columns.number(value, name)
                    for name, value in zip(_COUNTERS, values, strict=True)
                }
            ),
        )

    def add_telemetry(self, workspace: str, rows: Sequence[TelemetryRow]) -> None:
        workspace = self._workspace(workspace)
        # Rows of one key are added up first: one upsert per key and second, however the batch came.
        merged: dict[tuple[str, int, int], TelemetryCounts] = {}
        for row in rows:
            _checked(row)
            key = (row.assistant, row.version, row.bucket)
            merged[key] = merged[key] + row.counts if key in merged else row.counts
        if not merged:
            return
        names = ", ".join(_COUNTERS)
        marks = ", ".join("?" for _ in _COUNTERS)
        add = ", ".join(f"{name} = telemetry.{name} + excluded.{name}" for name in _SUMMED)
        upsert = (
            f"INSERT INTO telemetry (workspace, assistant, version, bucket, {names}) "  # noqa: S608
            f"VALUES (?, ?, ?, ?, {marks}) ON CONFLICT (workspace, assistant, version, bucket) DO UPDATE SET "
            f"{add}, latency_ms_max = "
            f"{self.dialect.greatest}(telemetry.latency_ms_max, excluded.latency_ms_max)"
        )
        params = [
            (workspace, assistant, version, bucket, *(getattr(counts, name) for name in _COUNTERS))
            for (assistant, version, bucket), counts in merged.items()
        ]
        with self.transaction():
            self._exec_many(upsert, params)
