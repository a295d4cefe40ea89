"""The budgets and spend controls a plan's cost estimate is held against (issue 19): each budget's
verdict (within, over, accepted up to an amount, unknown, or over in a plan that changes nothing) and
the managed spend alerts and limits the estimate passes. Pure."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from functools import partial
from typing import NamedTuple

from reconciler.model.costs import Budget, CostSettings, usd
from reconciler.model.desired import DesiredState, Kind
from reconciler.model.estimates import BudgetCheck, BudgetStatus, CostEstimate

__all__ = ["Amounts", "budget_checks", "passed_controls"]

ORGANIZATION = "organization"
PROJECT_SCOPE = "project"  # a manifest's own word for the target's project, before the workspace resolves it


class Amounts(NamedTuple):
    """An assistant's monthly cost before and after the plan (None: unknown, `unknown` says why)."""

    before: Decimal | None
    after: Decimal | None
    unknown: str


def budget_checks(
    settings: CostSettings, estimate: CostEstimate, assistants: Mapping[str, Amounts], *, changes: bool
) -> tuple[BudgetCheck, ...]:
    """The project's budget against the total, each assistant's against its own line. A budget refuses
    only a plan with `changes` (one without ships nothing, and is warned)."""
    checks: list[BudgetCheck] = []
    if settings.budget is not None:
        unknown = estimate.unknown
        before = None if any(line.before is None for line in estimate.lines) else estimate.before
        after = None if any(line.after is None for line in estimate.lines) else estimate.after
        whose = "resource's" if unknown == 1 else "resources'"
        why = f"{unknown} {whose} cost unknown"
        checks.append(_check("project", settings.budget, before, after, why, changes=changes))
    for name, budget in sorted(settings.budgets.items()):
        amounts = assistants.get(name)
        if amounts is not None:
            scope = f"{Kind.ASSISTANT.value}/{name}"
            before, after, why = amounts
            checks.append(_check(scope, budget, before, after, why, changes=changes))
    return tuple(checks)


def _check(
    scope: str, budget: Budget, before: Decimal | None, after: Decimal | None, why: str, *, changes: bool
) -> BudgetCheck:
    limit = budget.monthly
    check = partial(BudgetCheck, scope=scope, monthly=limit, estimate=after)
    if after is None:
        message = (
            f"the estimate is unknown ({why}), so the budget {usd(limit)} a month cannot be checked; "
            "give the missing usage or prices"
        )
        return check(status=BudgetStatus.UNKNOWN, message=message)
    if after <= limit:
        return check(
            status=BudgetStatus.WITHIN,
            message=f"estimate {usd(after)} a month, within the budget {usd(limit)}",
        )
    over = f"estimate {usd(after)} a month is over the budget {usd(limit)}"
    accept = budget.accept
    if not changes:
        return check(status=BudgetStatus.ALREADY_OVER, message=f"{over}; this plan changes nothing")
    if accept is not None and after <= accept.up_to:
        message = f"{over}; accepted up to {usd(accept.up_to)}: {accept.reason}"
        return check(status=BudgetStatus.ACCEPTED, message=message, reason=accept.reason, up_to=accept.up_to)
    if accept is not None:
        return check(
            status=BudgetStatus.OVER, message=f"{over} and past acceptOver.upToUSD {usd(accept.up_to)}"
        )
    raised = "" if before is None or after <= before else f" (this plan adds {usd(after - before)})"
    message = f"{over}{raised}; lower it, or set budget.acceptOver {{reason, upToUSD}} to ship it"
    return check(status=BudgetStatus.OVER, message=message)


def passed_controls(desired: DesiredState, estimate: CostEstimate, project_id: str | None) -> tuple[str, ...]:
    """The spend alerts whose threshold, and the spend limits whose amount, the project's estimate passes
    (an organization's also counts other projects' spend, so this project alone passing it is certain)."""
    after = estimate.after
    out: list[str] = []
    ours = {ORGANIZATION, PROJECT_SCOPE} | ({project_id} if project_id else set())
    for name, alert in sorted(desired.spend_alerts.items()):
        if alert.scope not in ours:
            continue  # another project's: this project's estimate says nothing of it
        threshold = Decimal(alert.threshold_cents) / 100
        if after > threshold:
            out.append(
                f"SpendAlert/{name}: the estimate {usd(after)} a month passes its threshold {usd(threshold)}"
                f"{_of_scope(alert.scope)}: it will alert every month"
            )
    for name, limit in sorted(desired.spend_limits.items()):
        if limit.scope not in ours:
            continue
        amount = Decimal(limit.amount_cents) / 100
        if after > amount:
            out.append(
                f"SpendLimit/{name}: the estimate {usd(after)} a month passes the limit {usd(amount)}"
                f"{_of_scope(limit.scope)}: requests will be refused before the month ends"
            )
    return tuple(out)


def _of_scope(scope: str) -> str:
    return " (for the organization)" if scope == ORGANIZATION else ""
