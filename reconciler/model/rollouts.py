"""Canary rollouts as data: the steps a manifest declares (weights, pauses, analysis, smoke checks), the
`AnalysisTemplate` kind, and what the store keeps of a rollout in flight (its record, its history, its
analysis runs), of each conversation's assignment and of the runtime's telemetry.

Pure data shared by manifest (which builds the desired half), store (which persists the recorded half),
rollout (the controller and analysis, which read both) and runtime (which assigns and records).
"""

from __future__ import annotations

import hashlib
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from reconciler import words


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


# -- desired: what a manifest declares ---------------------------------------------------------------


class AnalysisRef(_Frozen):
    """`analysis: {templates: [{templateName: X}], args: [{name, value}]}` on a step (or in the background).
    `args` fill the templates' declared args (a value given here wins over the template's default)."""

    templates: tuple[str, ...]
    args: dict[str, str] = Field(default_factory=dict)


class BackgroundAnalysis(AnalysisRef):
    """`rollout.analysis`: analysis that runs beside the steps from `starting_step` (0-based) until the
    rollout ends; a failure aborts, as a step's would."""

    starting_step: int = 0


class CallsTool(_Frozen):
    """The candidate calls `tool` in the conversation, with arguments valid under the tool's schema (when
    `valid_arguments`)."""

    type: Literal["calls"] = "calls"
    tool: str
    valid_arguments: bool = True


class AnswerMatches(_Frozen):
    """The last answer matches `pattern` (Python `re.search`)."""

    type: Literal["answer_matches"] = "answer_matches"
    pattern: str


class NoError(_Frozen):
    """No response failed or ended incomplete."""

    type: Literal["no_error"] = "no_error"


class CostBelow(_Frozen):
    """The conversation cost less than `usd` (tokens priced by the emulator's/platform's usage)."""

    type: Literal["cost_below"] = "cost_below"
    usd: float


Expectation = Annotated[CallsTool | AnswerMatches | NoError | CostBelow, Field(discriminator="type")]


class SmokeCheck(_Frozen):
    """One smoke conversation run on the candidate version before it gets traffic: the user `turns` in
    order (tool calls are answered with `tool_outputs[tool]`, or `{}`), then every expectation."""

    name: str
    turns: tuple[str, ...]
    expect: tuple[Expectation, ...] = ()
    tool_outputs: dict[str, str] = Field(default_factory=dict)


class CanaryStep(_Frozen):
    """One step of a canary; exactly one of: a traffic `weight` (0-100), a pause (`pause_seconds`, or
    `pause_indefinitely` until promoted), an `analysis` run, or `smoke` checks."""

    weight: int | None = None
    pause_seconds: int | None = None
    pause_indefinitely: bool = False
    analysis: AnalysisRef | None = None
    smoke: tuple[SmokeCheck, ...] = ()

    @property
    def kind(self) -> Literal["weight", "pause", "analysis", "smoke"]:
        if self.weight is not None:
            return "weight"
        if self.analysis is not None:
            return "analysis"
        if self.smoke:
            return "smoke"
        return "pause"

    def describe(self) -> str:
        """The step in a few words: `weight 10 %`, `pause 1h`, `pause until promoted`, `analysis
        tool-health`, `smoke (2 checks)`."""
        if self.weight is not None:
            return f"weight {self.weight} %"
        if self.analysis is not None:
            return f"analysis {', '.join(self.analysis.templates)}"
        if self.smoke:
            return f"smoke ({len(self.smoke)} check{'s' if len(self.smoke) != 1 else ''})"
        if self.pause_indefinitely:
            return "pause until promoted"
        return f"pause {words.duration(self.pause_seconds or 0)}"


def describe_steps(steps: tuple[CanaryStep, ...]) -> str:
    return " → ".join(step.describe() for step in steps)


OnAbort = Literal["keep", "stable"]


class Rollout(_Frozen):
    """`spec.rollout`. `on_abort` None: `stable` when the change is forward-compatible, else `keep`."""

    strategy: Literal["immediate", "canary"] = "immediate"
    steps: tuple[CanaryStep, ...] = ()
    analysis: BackgroundAnalysis | None = None
    on_abort: OnAbort | None = None

    def template_names(self) -> tuple[str, ...]:
        """Every analysis template the steps and the background analysis name, once each, in order."""
        refs = [s.analysis for s in self.steps if s.analysis is not None]
        if self.analysis is not None:
            refs.append(self.analysis)
        return tuple(dict.fromkeys(name for ref in refs for name in ref.templates))


BuiltinMetric = Literal[
    "responses",  # count of responses
    "error_rate",  # failed or incomplete responses / responses
    "tool_calls",  # count of tool calls
    "invalid_tool_call_rate",  # tool calls whose arguments fail the tool's schema / tool calls
    "tool_error_rate",  # tool handler errors the app reported / tool calls
    "latency_mean_ms",  # mean latency of a response
    "latency_max_ms",
    "tokens_per_response",  # input + output tokens / responses
    "cost_per_response",  # USD / responses
]


class BuiltinProvider(_Frozen):
    """Telemetry in the store: `result.canary` and `result.stable` over the same window, plus
    `result.canary_samples` and `result.stable_samples` (responses, or tool calls for tool metrics)."""

    type: Literal["builtin"] = "builtin"
    metric: BuiltinMetric


class WebhookProvider(_Frozen):
    """GET `url` (HTTPS; `{{args.NAME}}` filled in), expecting a JSON number or an object with the number
    at `json_path` (dotted keys). `result` is that number."""

    type: Literal["webhook"] = "webhook"
    url: str
    json_path: str | None = None
    timeout_seconds: float = 10.0


Provider = Annotated[BuiltinProvider | WebhookProvider, Field(discriminator="type")]


class Metric(_Frozen):
    """One metric of an analysis template, measured `count` times every `interval_seconds` (count 0: until
    the rollout ends, for background analysis). A measurement fails when `failure_condition` holds or
    `success_condition` does not; more than `failure_limit` failures fail the run; a measurement with
    fewer than `min_samples` samples is inconclusive, which pauses the rollout. A measurement the provider
    could not take (an ERROR) is not a failure: more than `consecutive_error_limit` of them in a row fail
    the run."""

    name: str
    provider: Provider
    interval_seconds: float = 60.0
    count: int = 1
    success_condition: str | None = None
    failure_condition: str | None = None
    failure_limit: int = 0
    consecutive_error_limit: int = 4  # Argo Rollouts' default
    min_samples: int = 0


class TemplateArg(_Frozen):
    name: str
    value: str | None = None  # a default; None: the rollout must give it


class AnalysisTemplate(_Frozen):
    """`kind: AnalysisTemplate`: named metrics a rollout's analysis runs."""

    name: str
    args: tuple[TemplateArg, ...] = ()
    metrics: tuple[Metric, ...]


# -- recorded: what the store keeps ------------------------------------------------------------------


class RolloutStatus(StrEnum):
    PROGRESSING = "progressing"
    PAUSED = "paused"  # by a pause step, an operator, or inconclusive analysis
    SUCCEEDED = "succeeded"  # stable moved to the canary
    ABORTED = "aborted"  # by failed analysis, a failed smoke check, or an operator
    SUPERSEDED = "superseded"  # a newer version started its own rollout

    @property
    def active(self) -> bool:
        return self in (RolloutStatus.PROGRESSING, RolloutStatus.PAUSED)


class RolloutRecord(_Frozen):
    """One rollout of `canary_version` over `stable_version`. `steps`, `analysis` and `on_abort` are the
    manifest's at the start, frozen for the rollout's life. `step_index` is the step being run
    (len(steps) once all are done); `weight` the canary's current share of new conversations (percent).
    `revision` grows with every save: a save names the revision it read, so two controllers never both
    advance one rollout (compare and swap)."""

    id: str
    assistant: str
    stable_version: int
    canary_version: int
    steps: tuple[CanaryStep, ...]
    analysis: BackgroundAnalysis | None = None
    # The analysis templates its steps name, as they were at the start (edits apply to the next rollout).
    templates: dict[str, AnalysisTemplate] = Field(default_factory=dict)
    on_abort: OnAbort = "keep"
    status: RolloutStatus = RolloutStatus.PROGRESSING
    step_index: int = 0
    step_started_at: float = 0.0
    weight: int = 0
    message: str = ""  # why it paused or aborted
    created_at: float = 0.0
    updated_at: float = 0.0
    revision: int = 0


class RolloutEvent(_Frozen):
    """One move of a rollout, with who made it (the controller, or an operator), where and why."""

    rollout_id: str
    assistant: str
    action: str  # started | step | weight | paused | resumed | promoted | aborted | retried | superseded ...
    at: float
    user: str
    host: str
    reason: str = ""
    step_index: int = 0
    weight: int = 0


class MeasurementPhase(StrEnum):
    SUCCESSFUL = "successful"
    FAILED = "failed"
    INCONCLUSIVE = "inconclusive"
    ERROR = (
        "error"  # the provider could not measure (webhook down); not a failure, see consecutive_error_limit
    )


class Measurement(_Frozen):
    metric: str
    at: float
    phase: MeasurementPhase
    value: dict[str, float | None] | float | None = None
    message: str = ""


class AnalysisPhase(StrEnum):
    RUNNING = "running"
    SUCCESSFUL = "successful"
    FAILED = "failed"
    INCONCLUSIVE = "inconclusive"


class AnalysisRun(_Frozen):
    """The analysis of one step (`step_index`; -1 for background analysis) of one rollout, with every
    measurement taken so far, so a restarted controller continues where the last one stopped."""

    rollout_id: str
    step_index: int
    templates: tuple[str, ...]
    args: dict[str, str] = Field(default_factory=dict)
    phase: AnalysisPhase = AnalysisPhase.RUNNING
    started_at: float = 0.0
    finished_at: float | None = None
    measurements: tuple[Measurement, ...] = ()
    message: str = ""


class Assignment(_Frozen):
    """A conversation (or thread) pinned to one version of an assistant."""

    conversation: str
    assistant: str
    version: int
    assigned_at: float
    last_seen: float


class PinConflict(_Frozen):
    """An imported pin that disagrees with the pin the store already holds (which is kept)."""

    conversation: str
    assistant: str
    held: int  # the version the store's pin names, kept
    imported: int  # the version the imported row named, ignored


class PinImport(_Frozen):
    """What importing an application's conversations table did: pins made, conversations that were
    pinned already (never overwritten), and those of them whose pin names another version."""

    new: int = 0
    already: int = 0
    conflicts: tuple[PinConflict, ...] = ()


class TelemetryCounts(_Frozen):
    """Sums over a window of what the runtime recorded for one version."""

    responses: int = 0
    failed: int = 0  # failed or incomplete
    tool_calls: int = 0
    invalid_tool_calls: int = 0
    tool_errors: int = 0
    latency_ms_sum: float = 0.0
    latency_ms_max: float = 0.0
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float = 0.0

    def __add__(self, other: TelemetryCounts) -> TelemetryCounts:
        return TelemetryCounts(
            responses=self.responses + other.responses,
            failed=self.failed + other.failed,
            tool_calls=self.tool_calls + other.tool_calls,
            invalid_tool_calls=self.invalid_tool_calls + other.invalid_tool_calls,
            tool_errors=self.tool_errors + other.tool_errors,
            latency_ms_sum=self.latency_ms_sum + other.latency_ms_sum,
            latency_ms_max=max(self.latency_ms_max, other.latency_ms_max),
            input_tokens=self.input_tokens + other.input_tokens,
            output_tokens=self.output_tokens + other.output_tokens,
            cost_usd=self.cost_usd + other.cost_usd,
        )


class TelemetryRow(_Frozen):
    """One batch's counts for one version in one second (`bucket`: epoch seconds, floored)."""

    assistant: str
    version: int
    bucket: int
    counts: TelemetryCounts


# -- the canary's share of conversations ---------------------------------------------------------

BUCKETS = 10_000  # a weight of w percent takes buckets below w * 100: steps of 0.01 %


def bucket(rollout_id: str, conversation: str) -> int:
    """Where `conversation` falls in [0, BUCKETS) for this rollout: the same in every process and every
    run (sha256, not `hash()`, which is salted per process), and independent between rollouts, so the
    conversations of one canary are not the first ones of the next."""
    digest = hashlib.sha256(f"{rollout_id}\x00{conversation}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % BUCKETS


def canary_choice(rollout: RolloutRecord | None, conversation: str) -> int | None:
    """The canary version when the active `rollout` sends this new conversation to it, else None (the
    stable pointer's version). Raising the weight only adds buckets, so a conversation that fell to the
    canary at a lower weight would fall to it again; pins make that moot for conversations already seen."""
    if rollout is None or not rollout.status.active or rollout.weight <= 0:
        return None
    return rollout.canary_version if bucket(rollout.id, conversation) < rollout.weight * 100 else None
