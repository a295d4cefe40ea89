"""`reconcile costs` as text and JSON: the platform's spend per day and in all, per line item or project
with `--by`, the spend controls beside it (declared, applied, month to date), cost per version from the
runtime's telemetry, and the plan-side monthly estimate once one is filled in.

Text shows money to the cent (per response and per conversation to the millionth of a dollar); JSON gives
every amount exactly as summed, as a decimal string, with the total also in whole cents.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from reconciler.model.costs import cents_text
from reconciler.model.estimates import AcceptedOverrun
from reconciler.model.spend import CENT, CostGrouping, CostReport, GroupTotal, SpendControl, VersionCost
from reconciler.redact import redact
from reconciler.render.escape import sanitize
from reconciler.words import count

__all__ = ["FORMAT_VERSION", "costs_json", "costs_text"]

FORMAT_VERSION = "1.0"
_UNIT = Decimal("0.000001")  # what a response or a conversation cost, shown to a millionth of a dollar


def _money(amount: Decimal, currency: str, *, places: Decimal = CENT) -> str:
    shown = amount.quantize(places, rounding=ROUND_HALF_UP)
    return f"${shown:,}" if currency == "usd" else f"{shown:,} {currency.upper()}"


def _cell(amount: Decimal, currency: str) -> str:
    """A table's amount: to the cent, and a spend under a cent not shown as nothing."""
    if Decimal(0) < amount < CENT / 2:
        return "<" + _money(CENT, currency)
    return _money(amount, currency)


def _plain(amount: Decimal) -> str:
    """An exact amount without an exponent (`0.0000075`, never `7.5E-6`)."""
    return format(amount, "f")


def _table(rows: Sequence[Sequence[str]], right: set[int]) -> list[str]:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return [
        "    "
        + "  ".join(
            cell.rjust(w) if i in right else cell.ljust(w)
            for i, (cell, w) in enumerate(zip(row, widths, strict=True))
        ).rstrip()
        for row in rows
    ]


def _quantity(group: GroupTotal) -> str:
    if group.quantity is None:
        return "-"
    unit = f" {group.quantity_unit}" if group.quantity_unit else ""
    return f"{group.quantity.normalize():,f}{unit}"


def _state(control: SpendControl, currency: str) -> str:
    declared, applied = control.declared_cents, control.applied_cents
    if declared is None:
        return "applied, no longer declared"
    if applied is None:
        return "declared, not applied yet"
    if applied != declared:
        return f"declared; {_money(Decimal(applied) / 100, currency)} on the platform until the next apply"
    return "declared and applied"


def _used(control: SpendControl, currency: str) -> str:
    if control.spent is None:
        return "-"
    spent = _money(control.spent, currency)
    if not control.cents:
        return spent
    share = control.spent / (Decimal(control.cents) / 100) * 100
    return f"{spent} ({share.quantize(Decimal('0.1'), rounding=ROUND_HALF_UP)} %)"


def _version_line(v: VersionCost, currency: str) -> str:
    parts = []
    if v.per_response is not None:
        responses = count(v.responses, "response")
        parts.append(f"{_money(v.per_response, currency, places=_UNIT)} per response ({responses})")
    if v.per_conversation is not None:
        conversations = count(v.conversations, "conversation")
        parts.append(
            f"{_money(v.per_conversation, currency, places=_UNIT)} per conversation ({conversations})"
        )
    else:
        parts.append("no conversation pinned")
    return f"    {v.assistant} v{v.version}: {_cell(v.cost_usd, currency)} in all; " + ", ".join(parts)


def costs_text(report: CostReport) -> str:
    r, cur = report, report.currency
    whose = f"project {r.project_id}" if r.scope == "project" else "every project of the organization"
    lines = [
        f"Spend of {whose} (target {r.workspace}) from {r.since.isoformat()} to {r.until.isoformat()}, UTC,",
        "as the Admin API's costs endpoint reports it:",
        f"  total: {_money(r.total, cur)} ({_plain(r.total)} {cur})",
    ]
    spent_days = [d for d in r.days if d.amount]
    if spent_days:
        daily = [("day", "spend")] + [(d.day.isoformat(), _cell(d.amount, cur)) for d in spent_days]
        lines += ["", *_table(daily, {1})]
        quiet = len(r.days) - len(spent_days)
        if quiet:
            lines.append(f"    ({count(quiet, 'day')} without spend)")
    else:
        lines.append(f"  nothing spent in {count(len(r.days), 'day')}")
    if r.groups and r.by is CostGrouping.PROJECT:
        by_project = [("project", "spend")] + [(g.label, _cell(g.amount, cur)) for g in r.groups]
        lines += ["", *_table(by_project, {1})]
    elif r.groups:
        by_line = [("line item", "quantity", "spend")]
        by_line += [(g.label, _quantity(g), _cell(g.amount, cur)) for g in r.groups]
        lines += ["", *_table(by_line, {1, 2})]
    if r.controls:
        controls = [("spend control", "scope", "amount", "month to date", "state")]
        controls += [
            (
                f"{c.kind}/{c.name}",
                c.scope,
                f"{_money(Decimal(c.cents) / 100, cur)}/{c.interval}",
                _used(c, cur),
                _state(c, cur),
            )
            for c in r.controls
        ]
        lines += ["", *_table(controls, {2, 3})]
    if r.versions:
        lines += ["", f"  cost per version (the runtime's telemetry since {r.since.isoformat()}):"]
        lines += [_version_line(v, cur) for v in r.versions]
    if r.estimate_monthly_usd is not None:
        note = f" ({r.estimate_note})" if r.estimate_note else ""
        lines += ["", f"  estimate: {_money(r.estimate_monthly_usd, 'usd')} a month{note}"]
    if r.overruns:
        lines += ["", "  budget overruns accepted (acceptOver), newest first:"]
        lines += [_overrun_line(o) for o in r.overruns]
    return redact(sanitize("\n".join(lines)))


def _overrun_line(o: AcceptedOverrun) -> str:
    when = datetime.fromtimestamp(o.at, UTC).strftime("%Y-%m-%d %H:%MZ")
    return (
        f"    {when} {o.scope}: {_money(o.estimate, 'usd')} a month over {_money(o.monthly, 'usd')}, "
        f"accepted up to {_money(o.up_to, 'usd')} by {o.user}@{o.host} (plan {o.plan_id}): {o.reason}"
    )


def _per_unit(amount: Decimal | None) -> str | None:
    return (
        _plain(amount.quantize(Decimal("1e-12"), rounding=ROUND_HALF_UP).normalize())
        if amount is not None
        else None
    )


def costs_document(report: CostReport) -> dict[str, Any]:
    """The JSON document as data (format_version 1.0; amounts are exact decimal strings)."""
    r = report
    return {
        "format_version": FORMAT_VERSION,
        "workspace": r.workspace,
        "project_id": r.project_id,
        "scope": r.scope,
        "since": r.since.isoformat(),
        "until": r.until.isoformat(),
        "by": r.by.value if r.by is not None else None,
        "currency": r.currency,
        "total": _plain(r.total),
        "total_cents": r.total_cents,
        "days": [{"date": d.day.isoformat(), "amount": _plain(d.amount)} for d in r.days],
        "groups": [
            {
                "line_item": g.line_item,
                "project_id": g.project_id,
                "amount": _plain(g.amount),
                "quantity": _plain(g.quantity) if g.quantity is not None else None,
                "quantity_unit": g.quantity_unit,
            }
            for g in r.groups
        ],
        "controls": [
            {
                "kind": c.kind,
                "name": c.name,
                "scope": c.scope,
                "interval": c.interval,
                "declared_cents": c.declared_cents,
                "applied_cents": c.applied_cents,
                "month_to_date": _plain(c.spent) if c.spent is not None else None,
            }
            for c in r.controls
        ],
        "versions": [
            {
                "assistant": v.assistant,
                "version": v.version,
                "responses": v.responses,
                "conversations": v.conversations,
                "cost_usd": _plain(v.cost_usd),
                "per_response": _per_unit(v.per_response),
                "per_conversation": _per_unit(v.per_conversation),
            }
            for v in r.versions
        ],
        "estimate": (
            {"monthly_usd": cents_text(r.estimate_monthly_usd), "note": r.estimate_note}
            if r.estimate_monthly_usd is not None
            else None
        ),
        "overruns": [
            {
                "at": o.at,
                "scope": o.scope,
                "plan_id": o.plan_id,
                "apply_id": o.apply_id,
                "monthly_usd": cents_text(o.monthly),
                "estimate_usd": cents_text(o.estimate),
                "up_to_usd": cents_text(o.up_to),
                "reason": o.reason,
                "user": o.user,
                "host": o.host,
            }
            for o in r.overruns
        ],
    }


def costs_json(report: CostReport) -> str:
    return redact(json.dumps(costs_document(report), indent=2, sort_keys=True))
