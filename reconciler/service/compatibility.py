"""The compatibility policy, decided once: a plan whose tool-schema changes break an assistant's policy
(and that no `acceptBreaking` covers) is refused, by `reconcile plan` with its findings and by apply before
anything is written. The plan records the findings; this module says what they mean for the user.
"""

from __future__ import annotations

from dataclasses import dataclass

from reconciler.errors import PlanRejected
from reconciler.plan.definition import Plan

__all__ = ["Refusal", "compatibility_refusal", "refuse_violations"]

# Apply's one line names the field to write; plan's closing line is shorter, its findings are listed above.
_APPLY_HINT = 'set acceptBreaking: "<reason>" on the assistant to ship it anyway'


@dataclass(frozen=True)
class Refusal:
    """Why a plan may not ship: its uncovered violations, and why any `acceptBreaking` did not cover them."""

    violations: tuple[str, ...]
    notes: tuple[str, ...]

    def findings(self) -> list[str]:
        """One line per violation, then per acceptance note, each naming the resource."""
        return [f"compatibility: {line}" for line in (*self.violations, *self.notes)]

    def conclusion(self) -> str:
        """The closing line under the findings: what to write to ship the plan."""
        hint = "write an acceptBreaking for this change" if self.notes else "set acceptBreaking"
        return f"the plan breaks a compatibility policy; {hint} to ship it"

    def one_line(self) -> str:
        """All of it in one line, for an error: the first violation and the first way out."""
        more = f" (+{len(self.violations) - 1} more)" if len(self.violations) > 1 else ""
        return f"{self.violations[0]}{more}; {self.notes[0] if self.notes else _APPLY_HINT}"


def compatibility_refusal(plan: Plan) -> Refusal | None:
    """The refusal `plan` earns, or None when it may ship."""
    violations = plan.violations()
    if not violations:
        return None
    return Refusal(tuple(violations), tuple(plan.acceptance_notes()))


def refuse_violations(plan: Plan) -> None:
    """Raise PlanRejected (one line) when the compatibility policy refuses `plan`."""
    refusal = compatibility_refusal(plan)
    if refusal is not None:
        raise PlanRejected(refusal.one_line())
