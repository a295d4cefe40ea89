"""rollout.providers, builtin: canary against stable over one window of the store's telemetry."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import cast

import pytest

from reconciler.model.rollouts import BuiltinMetric, BuiltinProvider, TelemetryCounts
from reconciler.rollout.providers import MeasureContext, ProviderError, builtin_result, measure, window
from reconciler.store.base import StateReader

T0 = 1_700_000_000.0
CANARY = TelemetryCounts(
    responses=10,
    failed=2,
    tool_calls=4,
    invalid_tool_calls=1,
    tool_errors=3,
    latency_ms_sum=5_000.0,
    latency_ms_max=900.0,
    input_tokens=700,
    output_tokens=300,
    cost_usd=0.5,
)
STABLE = TelemetryCounts(responses=40, failed=1, latency_ms_sum=8_000.0, latency_ms_max=400.0)


@dataclass
class FakeReader:
    """Just `telemetry`: answers per version and records every window it was asked for."""

    counts: dict[int, TelemetryCounts]
    asked: list[tuple[str, str, int, float, float]] = field(default_factory=list)

    def telemetry(
        self, workspace: str, assistant: str, version: int, *, since: float, until: float
    ) -> TelemetryCounts:
        self.asked.append((workspace, assistant, version, since, until))
        return self.counts.get(version, TelemetryCounts())


def ctx(
    reader: FakeReader | None, *, at: float, started_at: float = T0, interval: float = 60
) -> MeasureContext:
    return MeasureContext(
        reader=cast(StateReader, reader),
        workspace="local",
        assistant="CorporateAssist",
        canary_version=2,
        stable_version=1,
        started_at=started_at,
        at=at,
        interval_seconds=interval,
    )


@pytest.mark.parametrize(
    ("metric", "canary", "stable", "samples"),
    [
        ("responses", 10.0, 40.0, (10.0, 40.0)),
        ("error_rate", 0.2, 0.025, (10.0, 40.0)),
        ("tool_calls", 4.0, 0.0, (4.0, 0.0)),
        ("invalid_tool_call_rate", 0.25, None, (4.0, 0.0)),
        ("tool_error_rate", 0.75, None, (4.0, 0.0)),
        ("latency_mean_ms", 500.0, 200.0, (10.0, 40.0)),
        ("latency_max_ms", 900.0, 400.0, (10.0, 40.0)),
        ("tokens_per_response", 100.0, 0.0, (10.0, 40.0)),
        ("cost_per_response", 0.05, 0.0, (10.0, 40.0)),
    ],
)
def test_each_metric_from_the_counts(
    metric: BuiltinMetric, canary: float, stable: float | None, samples: tuple[float, float]
) -> None:
    result = builtin_result(BuiltinProvider(metric=metric), CANARY, STABLE)
    assert result["canary"] == pytest.approx(canary)
    assert result["stable"] == (pytest.approx(stable) if stable is not None else None)
    assert (result["canary_samples"], result["stable_samples"]) == samples


@pytest.mark.parametrize(
    "metric", ["error_rate", "latency_mean_ms", "latency_max_ms", "tokens_per_response", "cost_per_response"]
)
def test_a_rate_with_no_responses_is_none_not_zero(metric: BuiltinMetric) -> None:
    result = builtin_result(BuiltinProvider(metric=metric), TelemetryCounts(), STABLE)
    assert result["canary"] is None
    assert result["canary_samples"] == 0.0


def test_the_window_is_the_interval_before_the_measurement_floored_to_a_second() -> None:
    reader = FakeReader({2: CANARY, 1: STABLE})
    result = measure(BuiltinProvider(metric="error_rate"), ctx(reader, at=T0 + 180.7))
    assert reader.asked == [
        ("local", "CorporateAssist", 2, T0 + 120, T0 + 180),
        ("local", "CorporateAssist", 1, T0 + 120, T0 + 180),
    ]
    assert result == builtin_result(BuiltinProvider(metric="error_rate"), CANARY, STABLE)


def test_the_window_never_reaches_before_the_runs_start() -> None:
    assert window(ctx(None, at=T0 + 30.5, started_at=T0 - 0.5, interval=60)) == (T0, T0 + 30)
    assert window(ctx(None, at=T0 + 600, started_at=T0 + 0.2, interval=60)) == (T0 + 540, T0 + 600)


def test_an_empty_window_reads_nothing_and_has_no_samples() -> None:
    reader = FakeReader({2: CANARY, 1: STABLE})
    result = measure(BuiltinProvider(metric="error_rate"), ctx(reader, at=T0 + 0.5))
    assert reader.asked == []
    assert result == {"canary": None, "stable": None, "canary_samples": 0.0, "stable_samples": 0.0}


def test_without_a_store_the_builtin_provider_is_an_error() -> None:
    with pytest.raises(ProviderError, match="state store"):
        measure(BuiltinProvider(metric="responses"), ctx(None, at=T0 + 60))
