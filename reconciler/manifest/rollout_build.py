"""A checked `spec.rollout` (`rollout_specs.RolloutSpec`) to `model.rollouts.Rollout`: durations in
seconds, analysis args as a mapping, each expectation as its own type.

Pure shape conversion: the rules are `rollout_checks`' job, and the rollout built is used only when they
found nothing, so a step or expectation that broke one is built as best it can be, never refused here.
"""

from __future__ import annotations

from reconciler.manifest.rollout_specs import (
    AnalysisRefSpec,
    CanaryStepSpec,
    ExpectationSpec,
    RolloutSpec,
    SmokeCheckSpec,
    seconds,
)
from reconciler.model.rollouts import (
    AnalysisRef,
    AnswerMatches,
    BackgroundAnalysis,
    CallsTool,
    CanaryStep,
    CostBelow,
    Expectation,
    NoError,
    Rollout,
    SmokeCheck,
)


def build_rollout(spec: RolloutSpec | None) -> Rollout:
    if spec is None:
        return Rollout()
    background = None
    if spec.analysis is not None:
        ref = _analysis(spec.analysis)
        background = BackgroundAnalysis(
            templates=ref.templates, args=ref.args, starting_step=spec.analysis.starting_step
        )
    return Rollout(
        strategy=spec.strategy,
        steps=tuple(_step(step) for step in spec.steps),
        analysis=background,
        on_abort=spec.on_abort,
    )


def _step(step: CanaryStepSpec) -> CanaryStep:
    if step.weight is not None:
        return CanaryStep(weight=step.weight)
    if step.analysis is not None:
        return CanaryStep(analysis=_analysis(step.analysis))
    if step.smoke:
        return CanaryStep(smoke=tuple(_smoke(check) for check in step.smoke))
    if step.pause == "indefinite" or step.pause is None:
        return CanaryStep(pause_indefinitely=True)
    return CanaryStep(pause_seconds=seconds(step.pause))


def _analysis(ref: AnalysisRefSpec) -> AnalysisRef:
    return AnalysisRef(
        templates=tuple(t.template_name for t in ref.templates),
        args={arg.name: arg.value for arg in ref.args},
    )


def _smoke(check: SmokeCheckSpec) -> SmokeCheck:
    return SmokeCheck(
        name=check.name,
        turns=tuple(check.turns),
        expect=tuple(_expectation(e) for e in check.expect),
        tool_outputs=dict(check.tool_outputs),
    )


def _expectation(spec: ExpectationSpec) -> Expectation:
    if spec.calls is not None:
        return CallsTool(tool=spec.calls, valid_arguments=spec.valid_arguments is not False)
    if spec.answer_matches is not None:
        return AnswerMatches(pattern=spec.answer_matches)
    if spec.cost_below_usd is not None:
        return CostBelow(usd=spec.cost_below_usd)
    return NoError()
