"""The policies a plan must pass, decided once: a plan whose tool-schema changes break an assistant's
compatibility policy (and that no `acceptBreaking` covers), or whose cost estimate passes a budget (that
no `acceptOver` covers), is refused, by `reconcile plan` with its findings and by apply before anything is
written. The plan records the findings; this module says what they mean for the user.
"""

from __future__ import annotations

from dataclasses import dataclass

from reconciler.errors import PlanRejected
from reconciler.plan.definition import Plan

__all__ = ["Refusal", "compatibility_refusal", "refuse_violations"]

# Apply's one line names the field to write; plan's closing line is shorter, its findings are listed above.
_APPLY_HINT = 'set acceptBreaking: "<reason>" on the assistant to ship it anyway'
# Each budget finding names its own way out (lower it or accept it; or give the missing usage or prices).
_BUDGET_HINT = "each budget line above says what would let it pass"


@dataclass(frozen=True)
class Refusal:
    """Why a plan may not ship: its uncovered compatibility violations, why any `acceptBreaking` did not
    cover them, and the budgets its estimate passes."""

    violations: tuple[str, ...]
    notes: tuple[str, ...]
    budgets: tuple[str, ...] = ()

    def findings(self) -> list[str]:
        """One line per violation, then per acceptance note, then per budget, each naming its scope."""
        return [f"compatibility: {line}" for line in (*self.violations, *self.notes)] + [
            f"budget: {line}" for line in self.budgets
        ]

    def conclusion(self) -> str:
        """The closing line under the findings: what to write to ship the plan."""
        hint = "write an acceptBreaking for this change" if self.notes else "set acceptBreaking"
        if not self.violations:
            return f"the plan's cost estimate does not pass its budget; {_BUDGET_HINT}"
        also = f"; its cost estimate does not pass its budget either ({_BUDGET_HINT})" if self.budgets else ""
        return f"the plan breaks a compatibility policy; {hint} to ship it{also}"

    def one_line(self) -> str:
        """All of it in one line, for an error: the first violation and the first way out."""
        if not self.violations:
            more = f" (+{len(self.budgets) - 1} more)" if len(self.budgets) > 1 else ""
            return f"{self.budgets[0]}{more}"
        more = f" (+{len(self.violations) - 1} more)" if len(self.violations) > 1 else ""
        return f"{self.violations[0]}{more}; {self.notes[0] if self.notes else _APPLY_HINT}"


def compatibility_refusal(plan: Plan) -> Refusal | None:
    """The refusal `plan` earns (compatibility and budgets), or None when it may ship."""
    violations = plan.violations()
    budgets = plan.budget_violations()
    if not violations and not budgets:
        return None
    return Refusal(tuple(violations), tuple(plan.acceptance_notes()), tuple(budgets))


def refuse_violations(plan: Plan) -> None:
    """Raise PlanRejected (one line) when the compatibility policy refuses `plan`."""
    refusal = compatibility_refusal(plan)
    if refusal is not None:
        raise PlanRejected(refusal.one_line())
