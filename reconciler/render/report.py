"""An apply's result as terminal text: one line per step, each failure with its error, and a closing count.

The data type belongs to the executor (`reconciler.apply.report`); this module only reads it.
"""

from __future__ import annotations

from reconciler.apply.report import ApplyReport, Outcome, StepResult
from reconciler.plan.definition import SYMBOLS, Action
from reconciler.render import values as v
from reconciler.render.text import BOLD, GREEN, RED, paint

_PAST = {
    Action.CREATE: "created",
    Action.UPDATE: "updated",
    Action.REPLACE: "replaced",
    Action.DELETE: "destroyed",
    Action.NOOP: "adopted",
}
_PLANNED = {
    Action.CREATE: "would create",
    Action.UPDATE: "would update",
    Action.REPLACE: "would replace",
    Action.DELETE: "would destroy",
    Action.NOOP: "would adopt",
}
_COUNT_WORDS = (
    (Action.CREATE, "added"),
    (Action.UPDATE, "changed"),
    (Action.REPLACE, "replaced"),
    (Action.DELETE, "destroyed"),
)


def _action(step: StepResult) -> Action | None:
    try:
        return Action(step.action)
    except ValueError:
        return None  # an executor step the plan has no symbol for (e.g. a lock); shown by its name


def step_line(step: StepResult, color: bool = False) -> str:
    action = _action(step)
    symbol = SYMBOLS[action] if action is not None and action is not Action.NOOP else "*"
    if step.outcome is Outcome.FAILED:
        status = paint("failed", RED, color)
    elif step.outcome is Outcome.SKIPPED:
        status = "already done"
    elif step.outcome is Outcome.PLANNED:
        status = _PLANNED.get(action, step.action) if action else v.sanitize(step.action)
    else:
        status = _PAST.get(action, step.action) if action else v.sanitize(step.action)
    line = f"{symbol:>3} {v.sanitize(step.address)}: {status}"
    if step.platform_id:
        line += f" ({v.sanitize(step.platform_id)})"
    if step.note:
        line += f"  # {v.sanitize(step.note)}"
    if step.error:
        # Errors are one line: a multi-line platform message must not break the report's layout.
        line += ": " + " ".join(v.sanitize(step.error).split())
    return line


def render_apply_report(report: ApplyReport, *, color: bool = False) -> str:
    """The report as text ending in a newline; the last line says whether the apply completed."""
    out = [step_line(step, color) for step in report.steps]
    if out:
        out.append("")
    counts = report.counts()
    resources = ", ".join(f"{counts.get(action.value, 0)} {word}" for action, word in _COUNT_WORDS)
    adopted = counts.get(Action.NOOP.value, 0)  # the only no-ops a plan hands the executor: adoptions
    if adopted:
        resources += f", {adopted} adopted"  # named only when there are some, as in the plan's line
    if report.retries:
        out.append(f"{report.retries} temporary error{'s' if report.retries != 1 else ''} retried.")
    failed = len(report.failed)
    if report.dry_run:
        out.append(f"Dry run: nothing applied. Resources: {resources}.")
    elif failed:
        noun = "step" if failed == 1 else "steps"
        out.append(paint(f"Apply failed: {failed} {noun} failed.", RED, color) + f" Resources: {resources}.")
    else:
        out.append(paint("Apply complete!", GREEN, color) + f" Resources: {resources}.")
    if report.apply_id:
        out.append(
            paint(f"apply {v.sanitize(report.apply_id)}", BOLD, color)
            + f" of plan {v.sanitize(report.plan_id)}"
        )
    return "\n".join(out) + "\n"
