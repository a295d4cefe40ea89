"""The YAML shapes of canary rollouts: `spec.rollout` of an Assistant (steps, background analysis,
`onAbort`) and the `AnalysisTemplate` kind, as frozen pydantic models (camelCase in YAML).

These check shape only (types, ranges, unknown fields, durations). Rules across fields or documents
(exactly one action per step, weights that never go down, templates and args that exist, conditions that
parse, tools the assistant has) live in `rollout_checks.py` and `analysis_checks.py`, where they point at
the exact line. `rollout_build.py` turns these into `model.rollouts`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Annotated, Literal

from pydantic import AfterValidator, Field

from reconciler.manifest.spec_base import FUNCTION_NAME_PATTERN, NAME_PATTERN, PAUSE_PATTERN, Spec
from reconciler.model.rollouts import BuiltinMetric

ARG_PATTERN = r"^[A-Za-z][A-Za-z0-9_-]{0,63}$"
DURATION_PATTERN = r"^[1-9][0-9]*[smhd]$"
UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def seconds(text: str) -> int:
    """`30s`, `5m`, `1h`, `2d` in seconds (the text already matched DURATION_PATTERN)."""
    return int(text[:-1]) * UNITS[text[-1]]


def _duration(most: int, shown: str) -> Callable[[str], str]:
    def check(text: str) -> str:
        if re.fullmatch(DURATION_PATTERN, text) is None:
            raise ValueError(f"{text!r} is not a duration: a whole number and s, m, h or d (30s, 5m, 1h)")
        if seconds(text) > most:
            raise ValueError(f"{text!r} is longer than {shown}")
        return text

    return check


# The pattern is in the JSON Schema for editors; the validator says what a duration is in words.
Interval = Annotated[
    str, AfterValidator(_duration(86400, "1d")), Field(json_schema_extra={"pattern": DURATION_PATTERN})
]
# A webhook is called while the controller waits: bounded, as every network call is.
Timeout = Annotated[
    str, AfterValidator(_duration(60, "60s")), Field(json_schema_extra={"pattern": DURATION_PATTERN})
]


# --- analysis on a step or in the background (Argo Rollouts' shape) ----------------------------------


class TemplateRefSpec(Spec):
    template_name: str = Field(pattern=NAME_PATTERN)


class ArgValueSpec(Spec):
    """`{name: tool, value: create_meeting}`: fills the arg `name` the templates declare."""

    name: str = Field(pattern=ARG_PATTERN)
    value: str


class AnalysisRefSpec(Spec):
    """`analysis: {templates: [{templateName: tool-health}], args: [{name: tool, value: x}]}`."""

    templates: list[TemplateRefSpec] = Field(min_length=1)
    args: list[ArgValueSpec] = Field(default_factory=list)


class BackgroundAnalysisSpec(AnalysisRefSpec):
    """`rollout.analysis`: runs beside the steps from `startingStep` (0-based) until the rollout ends."""

    starting_step: int = Field(default=0, ge=0)


# --- smoke checks -----------------------------------------------------------------------------------


class ExpectationSpec(Spec):
    """One expectation, exactly one of: `{calls: TOOL}` (optionally `validArguments: false`: any
    arguments will do), `{answerMatches: REGEX}`, `{noError: true}`, `{costBelowUSD: 0.05}`."""

    calls: str | None = Field(default=None, pattern=FUNCTION_NAME_PATTERN)
    valid_arguments: bool | None = None
    answer_matches: str | None = Field(default=None, min_length=1)
    no_error: bool | None = None
    cost_below_usd: float | None = Field(default=None, alias="costBelowUSD", gt=0, le=1000)


class SmokeCheckSpec(Spec):
    """A conversation run on the candidate before it gets traffic: user `turns` in order, tool calls
    answered from `toolOutputs` (by function name; `{}` otherwise), then every expectation judged."""

    name: str = Field(pattern=NAME_PATTERN)
    turns: list[Annotated[str, Field(min_length=1)]] = Field(min_length=1)
    expect: list[ExpectationSpec] = Field(min_length=1)
    tool_outputs: dict[str, str] = Field(default_factory=dict)


# --- the rollout ------------------------------------------------------------------------------------


class CanaryStepSpec(Spec):
    """One canary step, exactly one of: `weight: 10` (percent of new conversations), `pause: 30m` /
    `pause: indefinite`, `analysis: {...}`, `smoke: [...]`."""

    weight: int | None = Field(default=None, ge=0, le=100)
    pause: str | None = Field(default=None, pattern=PAUSE_PATTERN)
    analysis: AnalysisRefSpec | None = None
    smoke: list[SmokeCheckSpec] | None = Field(default=None, min_length=1)


STEP_ACTIONS = ("weight", "pause", "analysis", "smoke")


class RolloutSpec(Spec):
    strategy: Literal["immediate", "canary"] = "immediate"
    steps: list[CanaryStepSpec] = Field(default_factory=list)
    analysis: BackgroundAnalysisSpec | None = None
    # Unset: `stable` when the change is forward-compatible, else `keep` (model.rollouts.Rollout).
    on_abort: Literal["keep", "stable"] | None = None


# --- kind: AnalysisTemplate -------------------------------------------------------------------------


class BuiltinProviderSpec(Spec):
    """Telemetry the runtime records: `result.canary`, `result.stable` (the metric for each version over
    one window), `result.canary_samples`, `result.stable_samples`."""

    metric: BuiltinMetric


class WebhookProviderSpec(Spec):
    """GET `url` (HTTPS; `{{args.NAME}}` filled in); `result` is the JSON number at `jsonPath` (dotted
    keys; the whole body without it)."""

    url: str = Field(min_length=1)
    json_path: str | None = Field(default=None, pattern=r"^[^.\s]+(\.[^.\s]+)*$")
    timeout: Timeout = "10s"


class ProviderSpec(Spec):
    """Exactly one of `builtin` and `webhook`."""

    builtin: BuiltinProviderSpec | None = None
    webhook: WebhookProviderSpec | None = None


class MetricSpec(Spec):
    """Measured `count` times, every `interval` (count 0: until the rollout ends, background analysis
    only). A measurement fails when `failureCondition` holds or `successCondition` does not; more than
    `failureLimit` failures fail the analysis; fewer than `minSamples` samples make it inconclusive. A
    measurement the provider could not take (webhook unreachable, an error status) is an error, not a
    failure: it is taken again at the next interval, and more than `consecutiveErrorLimit` (default 4)
    errors in a row fail the analysis."""

    name: str = Field(pattern=NAME_PATTERN)
    provider: ProviderSpec
    interval: Interval = "60s"
    count: int = Field(default=1, ge=0, le=10_000)
    success_condition: str | None = Field(default=None, min_length=1)
    failure_condition: str | None = Field(default=None, min_length=1)
    failure_limit: int = Field(default=0, ge=0)
    consecutive_error_limit: int = Field(default=4, ge=0)
    min_samples: int = Field(default=0, ge=0)


class TemplateArgSpec(Spec):
    """An arg the template's webhook URLs use as `{{args.NAME}}`; without `value` a rollout must give it."""

    name: str = Field(pattern=ARG_PATTERN)
    value: str | None = None


class AnalysisTemplateSpec(Spec):
    """`kind: AnalysisTemplate`: metrics a rollout's analysis runs. Not a platform object: nothing is
    planned or applied for it."""

    args: list[TemplateArgSpec] = Field(default_factory=list)
    metrics: list[MetricSpec] = Field(min_length=1)
