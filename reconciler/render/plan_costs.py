"""A plan's cost section (`render.costs` draws `reconcile costs`) in each of the plan's forms: text lines,
a JSON object (and its schema) and Markdown for the PR comment, in the manner of Infracost's diff: each
changed resource's monthly cost before -> after with the delta, the total, the budgets and the spend
controls the estimate passes.

Amounts in JSON are strings with two decimals (as Infracost writes them), exact where a float is not;
an unknown amount is null and its line says why.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from reconciler.model.costs import cents_text, round_cents, usd
from reconciler.model.estimates import BudgetStatus, CostEstimate, CostLine
from reconciler.render.escape import sanitize

__all__ = ["cost_json", "cost_markdown", "cost_schema", "cost_text", "money"]

UNKNOWN = "unknown"
HEADING = "Cost estimate (monthly, USD)"
_BUDGET_SYMBOL = {
    BudgetStatus.WITHIN: "ok",
    BudgetStatus.ACCEPTED: "accepted",
    BudgetStatus.ALREADY_OVER: "warning",
    BudgetStatus.OVER: "refused",
    BudgetStatus.UNKNOWN: "refused",
}


def money(amount: Decimal | None) -> str:
    """`$1,234.50`; `unknown` for None."""
    return UNKNOWN if amount is None else usd(amount)


def delta(amount: Decimal | None) -> str:
    """`+$12.00`, `-$3.00`, `$0.00`, `unknown`."""
    if amount is None:
        return UNKNOWN
    rounded = round_cents(amount)
    return f"+{money(rounded)}" if rounded > 0 else money(rounded)


def change(before: Decimal | None, after: Decimal | None) -> Decimal | None:
    """The difference of the amounts as shown (each rounded to the cent), so that the figures add up."""
    return None if before is None or after is None else round_cents(after) - round_cents(before)


def _total(estimate: CostEstimate, arrow: str = "->") -> str:
    more = f" (+ {estimate.unknown} unknown)" if estimate.unknown else ""
    moved = delta(change(estimate.before, estimate.after))
    return f"{money(estimate.before)} {arrow} {money(estimate.after)} ({moved}){more}"


def cost_text(estimate: CostEstimate) -> list[str]:
    """The section, ending in an empty line: changed resources only, the unchanged counted."""
    out = [f"{HEADING}; {estimate.prices_checked}:"]
    width = max((len(str(line.address)) for line in estimate.lines), default=0)
    for line in estimate.lines:
        out.append(f"  {line.address!s:<{width}}  {_amounts(line)}  {sanitize(line.basis)}".rstrip())
        if line.unknown:
            out.append(f"  {'':<{width}}  {sanitize(line.unknown)}")
    if estimate.unchanged:
        out.append(f"  ({_unchanged(estimate)})")
    out.append(f"  Total: {_total(estimate)}")
    for check in estimate.budgets:
        out.append(f"  Budget ({check.scope}): {_BUDGET_SYMBOL[check.status]}: {sanitize(check.message)}")
    out.append("")
    for warning in estimate.warnings:
        out += [f"Warning: {sanitize(warning)}", ""]
    return out


def _unchanged(estimate: CostEstimate) -> str:
    n = estimate.unchanged
    return (
        f"{n} unchanged resource{'' if n == 1 else 's'} not shown: {money(estimate.unchanged_cost)} a month"
    )


def _amounts(line: CostLine) -> str:
    return f"{money(line.before)} -> {money(line.after)} ({delta(change(line.before, line.after))})"


def cost_markdown(estimate: CostEstimate, escape: Any) -> list[str]:
    """The section for the PR comment; `escape` is the comment's Markdown escaper."""
    # Amounts are digits, `$`, `,`, `.`, `+`, `-`: nothing Markdown reads, so they are not escaped.
    out = [
        f"### {HEADING}",
        "",
        f"**Total: {_total(estimate, '→')}** · {escape(estimate.prices_checked)}",
        "",
    ]
    changed = estimate.lines
    if changed:
        out += ["| Resource | Before | After | Change | Basis |", "|---|---:|---:|---:|---|"]
        for line in changed:
            basis = escape(line.basis + (f" ({line.unknown})" if line.unknown else ""))
            moved = delta(change(line.before, line.after))
            cells = (f"`{line.address}`", money(line.before), money(line.after), moved, basis)
            out.append("| " + " | ".join(cells) + " |")
        out.append("")
    if estimate.unchanged:
        out += [f"_{_unchanged(estimate)}._", ""]
    for check in estimate.budgets:
        out += [
            f"- Budget ({escape(check.scope)}): **{_BUDGET_SYMBOL[check.status]}**: {escape(check.message)}"
        ]
    if estimate.budgets:
        out.append("")
    for warning in estimate.warnings:
        out += [f"> **Warning:** {escape(warning)}", ""]
    return out


def _amount(value: Decimal | None) -> str | None:
    return None if value is None else cents_text(value)


def cost_json(estimate: CostEstimate | None) -> dict[str, Any] | None:
    if estimate is None:
        return None
    return {
        "currency": "USD",
        "period": "month",
        "prices": estimate.prices_checked,
        "before": _amount(estimate.before),
        "after": _amount(estimate.after),
        "delta": _amount(change(estimate.before, estimate.after)),
        "unknown": estimate.unknown,
        "unchanged": {"count": estimate.unchanged, "monthly": _amount(estimate.unchanged_cost)},
        "resources": [
            {
                "address": str(line.address),
                "before": _amount(line.before),
                "after": _amount(line.after),
                "delta": _amount(change(line.before, line.after)),
                "basis": line.basis,
                "unknown": line.unknown,
            }
            for line in estimate.lines
        ],
        "budgets": [
            {
                "scope": check.scope,
                "monthly": _amount(check.monthly),
                "estimate": _amount(check.estimate),
                "status": check.status.value,
                "message": check.message,
                "accepted": (
                    {"reason": check.reason, "up_to": _amount(check.up_to)}
                    if check.up_to is not None
                    else None
                ),
            }
            for check in estimate.budgets
        ],
        "warnings": list(estimate.warnings),
    }


def cost_schema() -> dict[str, Any]:
    """JSON Schema of `cost_json`'s object (null when the project declares no usage, budget or prices)."""
    amount = {"type": "string", "pattern": r"^-?[0-9]+\.[0-9]{2}$", "description": "US dollars a month."}
    maybe = {"type": ["string", "null"], "pattern": r"^-?[0-9]+\.[0-9]{2}$", "description": "null: unknown."}

    def obj(properties: dict[str, Any], description: str) -> dict[str, Any]:
        return {
            "type": "object",
            "description": description,
            "required": list(properties),
            "properties": properties,
            "additionalProperties": False,
        }

    resource = obj(
        {
            "address": {"type": "string"},
            "before": maybe,
            "after": maybe,
            "delta": maybe,
            "basis": {"type": "string", "description": "How the amount was reached."},
            "unknown": {"type": "string", "description": "Why an amount is unknown; empty when none is."},
        },
        "One resource's monthly cost as served now (before) and after the plan.",
    )
    budget = obj(
        {
            "scope": {"type": "string", "description": "`project` or an assistant's address."},
            "monthly": amount,
            "estimate": maybe,
            "status": {"enum": [s.value for s in BudgetStatus]},
            "message": {"type": "string"},
            "accepted": {
                "anyOf": [
                    obj(
                        {"reason": {"type": "string"}, "up_to": amount},
                        "The acceptOver that lets this overrun through (status `accepted`).",
                    ),
                    {"type": "null"},
                ]
            },
        },
        "A budget checked against the estimate; `over` and `unknown` refuse the plan.",
    )
    section = obj(
        {
            "currency": {"const": "USD"},
            "period": {"const": "month"},
            "prices": {"type": "string", "description": "Which prices were used."},
            "before": amount,
            "after": amount,
            "delta": amount,
            "unknown": {"type": "integer", "minimum": 0, "description": "Resources whose cost is unknown."},
            "unchanged": obj(
                {"count": {"type": "integer", "minimum": 0}, "monthly": amount},
                "Resources whose cost the plan leaves as it is (not listed), and what they cost together.",
            ),
            "resources": {
                "type": "array",
                "items": resource,
                "description": "Resources whose cost changes or is unknown.",
            },
            "budgets": {"type": "array", "items": budget},
            "warnings": {"type": "array", "items": {"type": "string"}},
        },
        "The monthly cost estimate; totals add the known amounts.",
    )
    return {"anyOf": [section, {"type": "null"}]}
