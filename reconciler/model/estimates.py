"""The monthly cost estimate a plan carries: each resource's cost before the plan (what is served now)
and after it, the budgets checked against the total, and the spend alerts and limits it passes.

A cost that cannot be known (a model without a price, an assistant without usage) is `None`, never zero,
and says why; totals add the known lines and count the others.
"""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum

from reconciler.model.desired import ResourceKey
from reconciler.model.frozen import Frozen

__all__ = ["AcceptedOverrun", "BudgetCheck", "BudgetStatus", "CostEstimate", "CostLine"]


class CostLine(Frozen):
    """One resource's monthly cost, before the plan (what is served now) and after it. None: unknown,
    `unknown` says why; a resource that does not exist on that side costs 0."""

    address: ResourceKey
    before: Decimal | None
    after: Decimal | None
    basis: str = ""  # how `after` (else `before`) was reached: model, turns, calls, bytes
    unknown: str = ""

    @property
    def delta(self) -> Decimal | None:
        return None if self.before is None or self.after is None else self.after - self.before


class BudgetStatus(StrEnum):
    WITHIN = "within"
    OVER = "over"  # refused: the estimate is over the budget and no acceptance covers it
    ACCEPTED = "accepted"  # over, and an acceptance covers it
    ALREADY_OVER = "already-over"  # over, in a plan that changes nothing: a warning (nothing ships)
    UNKNOWN = "unknown"  # refused: part of the estimate is unknown, so the budget cannot be checked


class BudgetCheck(Frozen):
    scope: str  # "project" or an address (`Assistant/NAME`)
    monthly: Decimal
    estimate: Decimal | None
    status: BudgetStatus
    message: str
    # An `acceptOver` that covers the estimate (status ACCEPTED): recorded when the plan is applied.
    reason: str = ""
    up_to: Decimal | None = None

    @property
    def blocking(self) -> bool:
        return self.status in (BudgetStatus.OVER, BudgetStatus.UNKNOWN)


class CostEstimate(Frozen):
    """The plan's cost section: a line per resource whose cost changes or is unknown, and the unchanged
    ones as a count and what they cost together (a plan of a thousand assistants that changes one carries
    one line, as Terraform shows the changed resources). Totals add the known amounts; `unknown` counts
    the lines that are not."""

    lines: tuple[CostLine, ...] = ()
    unchanged: int = 0
    unchanged_cost: Decimal = Decimal(0)  # a month, before and after alike
    budgets: tuple[BudgetCheck, ...] = ()
    warnings: tuple[str, ...] = ()  # spend alerts and limits the estimate passes
    prices_checked: str = ""  # the list prices' date, or that negotiated prices are in use

    @property
    def before(self) -> Decimal:
        known = (line.before for line in self.lines if line.before is not None)
        return sum(known, self.unchanged_cost)

    @property
    def after(self) -> Decimal:
        known = (line.after for line in self.lines if line.after is not None)
        return sum(known, self.unchanged_cost)

    @property
    def unknown(self) -> int:
        return sum(1 for line in self.lines if line.before is None or line.after is None)

    def violations(self) -> list[str]:
        return [f"{b.scope}: {b.message}" for b in self.budgets if b.blocking]

    def accepted(self) -> tuple[BudgetCheck, ...]:
        return tuple(b for b in self.budgets if b.status is BudgetStatus.ACCEPTED)


class AcceptedOverrun(Frozen):
    """A budget overrun an apply shipped under `acceptOver`, as the store records it (like an
    `acceptBreaking` in the release history): the plan, the figures, the reason, who and when."""

    workspace: str
    apply_id: str
    plan_id: str
    scope: str
    monthly: Decimal
    estimate: Decimal
    up_to: Decimal
    reason: str
    at: float
    user: str
    host: str
