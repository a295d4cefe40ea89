"""Rules on an Assistant's `spec.rollout` that its spec model cannot say at the exact line: one action
per step, weights that never go down, a weight step in every canary, background analysis starting within
the steps; analysis naming templates that exist, with every arg they need and none they do not; smoke
checks with one claim per expectation, regexes that compile and tools the assistant has.

Checks across documents take what they need as plain names (`functions`, `templates`), so that a tool or
template that failed to load raises no second problem here.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping

from reconciler import words
from reconciler.manifest.problems import Collector
from reconciler.manifest.rollout_specs import (
    STEP_ACTIONS,
    AnalysisRefSpec,
    ExpectationSpec,
    RolloutSpec,
    SmokeCheckSpec,
)
from reconciler.manifest.yaml_loader import YMap, YSeq, dotted
from reconciler.model.rollouts import AnalysisTemplate

Path = list[str | int]
# YAML spellings of an expectation's claims, in the order messages name them.
_CLAIMS = {
    "calls": "calls",
    "answerMatches": "answer_matches",
    "noError": "no_error",
    "costBelowUSD": "cost_below_usd",
}


def rollout(
    c: Collector,
    file: str,
    root: YMap,
    spec: RolloutSpec,
    *,
    functions: Collection[str] | None,
    templates: Mapping[str, AnalysisTemplate | None],
) -> None:
    """`functions`: the function names the assistant's tools define (None: unknown, a tool failed to
    load); `templates`: the project's AnalysisTemplates by name (None: it failed to load)."""
    base: Path = ["spec", "rollout"]
    canary = spec.strategy == "canary"
    if canary and not spec.steps:
        c.at(file, root, base, "rollout.steps", "spec.rollout: a canary needs steps (at least one weight)")
    if not canary:
        for field, value in (("steps", spec.steps), ("analysis", spec.analysis), ("onAbort", spec.on_abort)):
            if value:
                message = f"spec.rollout.{field}: only a canary has {field}"
                code = "rollout.steps" if field == "steps" else "rollout.canary-only"
                c.at(file, root, [*base, field], code, message, key=field != "steps")
    top_weight: tuple[int, int] | None = None
    smoke_names: dict[str, str] = {}
    for index, step in enumerate(spec.steps):
        path: Path = [*base, "steps", index]
        given = [action for action in STEP_ACTIONS if getattr(step, action) is not None]
        if len(given) != 1:
            gives = " and ".join(given) if given else "none of them"
            what = "a step is exactly one of weight, pause, analysis or smoke"
            message = f"{dotted(path)}: {what}; this gives {gives}"
            c.at(file, root, path, "rollout.step", message)
        if step.weight is not None:
            # Against the highest weight so far: in 50, 20, 40 both 20 and 40 take traffic back.
            if top_weight is not None and step.weight < top_weight[0]:
                message = (
                    f"{dotted([*path, 'weight'])}: {step.weight} is below {top_weight[0]} "
                    f"(steps[{top_weight[1]}]); a canary's weight never goes down"
                )
                c.at(file, root, [*path, "weight"], "rollout.weight-down", message)
            else:
                top_weight = (step.weight, index)
        if step.analysis is not None:
            _analysis(c, file, root, [*path, "analysis"], step.analysis, templates, background=False)
        for number, check in enumerate(step.smoke or ()):
            _smoke(c, file, root, [*path, "smoke", number], check, functions, smoke_names)
    if canary and spec.steps and top_weight is None:
        message = "spec.rollout.steps: a canary needs at least one weight step (weight: N)"
        c.at(file, root, [*base, "steps"], "rollout.no-weight", message)
    if spec.analysis is not None:
        path = [*base, "analysis"]
        start = spec.analysis.starting_step
        if spec.steps and start >= len(spec.steps):
            message = (
                f"spec.rollout.analysis.startingStep: {start} is past the last step "
                f"(steps[{len(spec.steps) - 1}]; steps count from 0)"
            )
            c.at(file, root, [*path, "startingStep"], "rollout.starting-step", message)
        _analysis(c, file, root, path, spec.analysis, templates, background=True)


def _analysis(
    c: Collector,
    file: str,
    root: YMap,
    base: Path,
    ref: AnalysisRefSpec,
    templates: Mapping[str, AnalysisTemplate | None],
    *,
    background: bool,
) -> None:
    """The templates exist (count 0 only in the background); the args given are exactly those declared
    by some template, every arg without a default among them."""
    where = dotted(base)
    chosen: list[AnalysisTemplate] = []
    complete = True  # every template named is known: only then is an arg nobody declares an error
    seen: set[str] = set()
    for index, item in enumerate(ref.templates):
        path: Path = [*base, "templates", index, "templateName"]
        name = item.template_name
        if name in seen:
            c.at(file, root, path, "ref.duplicate", f"{dotted(path)}: {name!r} is listed twice")
            continue
        seen.add(name)
        if name not in templates:
            _no_template(c, file, root, path, name, templates)
            complete = False
            continue
        template = templates[name]
        if template is None:
            complete = False
            continue
        chosen.append(template)
        endless = [m.name for m in template.metrics if m.count == 0]
        if endless and not background:
            message = (
                f"{dotted(path)}: {name!r} measures {', '.join(map(repr, endless))} with count 0 (until the "
                "rollout ends), which only background analysis (spec.rollout.analysis) runs"
            )
            c.at(file, root, path, "analysis.count-zero", message)
    declared = {arg.name for template in chosen for arg in template.args}
    given: set[str] = set()
    for index, arg in enumerate(ref.args):
        path = [*base, "args", index, "name"]
        if arg.name in given:
            message = f"{dotted(path)}: arg {arg.name!r} is given twice"
            c.at(file, root, path, "analysis.duplicate-arg", message)
            continue  # what else is wrong with the name was said of its first use
        given.add(arg.name)
        if complete and arg.name not in declared:
            known = ", ".join(sorted(declared)) or "none"
            message = f"{dotted(path)}: no template here declares arg {arg.name!r} (declared: {known})"
            c.at(file, root, path, "analysis.unknown-arg", message)
    for template in chosen:
        for needed in template.args:
            if needed.value is None and needed.name not in given:
                message = f"{where}: template {template.name!r} needs arg {needed.name!r} (it has no default)"
                c.at(file, root, base, "analysis.missing-arg", message)


def _smoke(
    c: Collector,
    file: str,
    root: YMap,
    base: Path,
    check: SmokeCheckSpec,
    functions: Collection[str] | None,
    names: dict[str, str],
) -> None:
    first = names.setdefault(check.name, dotted(base))
    if first != dotted(base):
        message = f"{dotted([*base, 'name'])}: smoke check {check.name!r} is named twice (first at {first})"
        c.at(file, root, [*base, "name"], "rollout.smoke-duplicate", message)
    for index, expectation in enumerate(check.expect):
        _expectation(c, file, root, [*base, "expect", index], expectation, functions)
    for tool in check.tool_outputs:
        _tool(c, file, root, [*base, "toolOutputs", tool], tool, functions, key=True)


def _expectation(
    c: Collector,
    file: str,
    root: YMap,
    path: Path,
    expectation: ExpectationSpec,
    functions: Collection[str] | None,
) -> None:
    claims = [alias for alias, field in _CLAIMS.items() if getattr(expectation, field) is not None]
    alone = not claims and expectation.valid_arguments is not None  # said once, below
    if len(claims) != 1 and not alone:
        gives = " and ".join(claims) if claims else "none of them"
        what = "an expectation is exactly one of calls, answerMatches, noError or costBelowUSD"
        message = f"{dotted(path)}: {what}; this gives {gives}"
        c.at(file, root, path, "rollout.expectation", message)
    if expectation.valid_arguments is not None and expectation.calls is None:
        message = f"{dotted([*path, 'validArguments'])}: goes with calls (whose arguments it judges)"
        c.at(file, root, [*path, "validArguments"], "rollout.expectation", message, key=True)
    if expectation.no_error is False:
        message = f"{dotted([*path, 'noError'])}: false expects nothing; write noError: true or remove it"
        c.at(file, root, [*path, "noError"], "rollout.expectation", message)
    if expectation.answer_matches is not None:
        try:
            re.compile(expectation.answer_matches)
        except re.error as error:
            message = f"{dotted([*path, 'answerMatches'])}: not a regular expression: {error}"
            c.at(file, root, [*path, "answerMatches"], "rollout.regex", message)
    if expectation.calls is not None:
        _tool(c, file, root, [*path, "calls"], expectation.calls, functions, key=False)


def _tool(
    c: Collector,
    file: str,
    root: YMap,
    path: Path,
    name: str,
    functions: Collection[str] | None,
    *,
    key: bool,
) -> None:
    if functions is None or name in functions:
        return
    known = ", ".join(sorted(functions)) or "none"
    message = f"{dotted(path)}: the assistant has no function tool {name!r} (its functions: {known})"
    c.at(file, root, path, "rollout.smoke-tool", message, key=key)


def template_references(
    c: Collector, file: str, root: YMap, rollout: object, templates: Collection[str]
) -> None:
    """The AnalysisTemplates named by the rollout of an Assistant that failed to load, as far as its text
    can be read: each must exist (its other rules wait until it loads, as its tools' do)."""
    if not isinstance(rollout, YMap):
        return
    refs: list[tuple[Path, object]] = []
    steps = rollout.get("steps")
    if isinstance(steps, YSeq):
        for index, step in enumerate(steps):
            if isinstance(step, YMap):
                refs.append((["spec", "rollout", "steps", index, "analysis"], step.get("analysis")))
    refs.append((["spec", "rollout", "analysis"], rollout.get("analysis")))
    for base, ref in refs:
        listed = ref.get("templates") if isinstance(ref, YMap) else None
        if not isinstance(listed, YSeq):
            continue
        for index, item in enumerate(listed):
            name = item.get("templateName") if isinstance(item, YMap) else None
            if isinstance(name, str) and name not in templates:
                _no_template(c, file, root, [*base, "templates", index, "templateName"], name, templates)


def _no_template(
    c: Collector, file: str, root: YMap, path: Path, name: str, templates: Collection[str]
) -> None:
    message = f"{dotted(path)}: no AnalysisTemplate named {name!r}{words.did_you_mean(name, templates)}"
    c.at(file, root, path, "ref.dangling", message)
