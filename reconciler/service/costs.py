"""`reconcile costs`: the platform's actual spend, read from the Admin API's costs endpoint, beside the spend
alerts and limits of the target's project (as declared and as last applied) and, where the runtime has
recorded telemetry, what each assistant version cost per response and per conversation.

The costs are read in daily buckets from `since` (a UTC day; the first of the current month by default)
to today, every page paced on the shared Admin API budget in the state store (`planning.admin_pacer`, as
plans and applies pace theirs) and retried as reads are. Only the target's project is asked for, except
with `--by project`, which asks for every project of the organization. The spend controls and the
telemetry come from the manifests and the state store: no platform call beyond the costs.
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from reconciler.calls.retry import Reads, Retrier
from reconciler.errors import UserError
from reconciler.model.costs import usd
from reconciler.model.desired import DesiredState, Kind
from reconciler.model.live import LiveState
from reconciler.model.spend import (
    CostBucket,
    CostGrouping,
    CostQuery,
    CostReport,
    SpendControl,
    VersionCost,
    day_totals,
    grand_total,
    group_totals,
    only_currency,
    spend_from,
    utc_day,
)
from reconciler.model.stored import InventoryRecord, StoredState
from reconciler.model.waits import WaitObserver
from reconciler.plan.costs import estimate_costs
from reconciler.service.planning import admin_pacer
from reconciler.service.workspace import Workspace
from reconciler.targets.admin_costs import BUCKETS_PER_PAGE

__all__ = ["MAX_DAYS", "check_since", "costs_report", "parse_since", "spend_controls", "version_costs"]

MAX_DAYS = 731  # two years of days at most: five pages of the endpoint's 180
ORGANIZATION = "organization"
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def parse_since(text: str | None, *, today: date) -> date:
    """`--since YYYY-MM-DD` as a UTC day (default: the first of `today`'s month); refused in one line when
    it is not such a date, lies after `today` or more than MAX_DAYS before it."""
    if text is None:
        return today.replace(day=1)
    day: date | None = None
    if _DATE.fullmatch(text.strip()):
        try:
            day = date.fromisoformat(text.strip())
        except ValueError:
            day = None
    if day is None:
        raise UserError(
            f"--since {text!r} is not a date: write a UTC day as YYYY-MM-DD, e.g. {today.isoformat()}"
        )
    check_since(day, today=today)
    return day


def check_since(since: date, *, today: date) -> None:
    if since > today:
        raise UserError(f"--since {since.isoformat()} is in the future (today is {today.isoformat()} UTC)")
    if (today - since).days + 1 > MAX_DAYS:
        raise UserError(
            f"--since {since.isoformat()} is more than {MAX_DAYS} days ago: "
            "costs are read two years back at most"
        )


def costs_report(
    ws: Workspace,
    *,
    since: date | None = None,
    by: CostGrouping | None = None,
    clock: Callable[[], float] = time.time,
    sleep: Callable[[float], None] = time.sleep,
    on_wait: WaitObserver | None = None,
) -> CostReport:
    """Read the costs from `since` (default: this month, UTC) to today and build the report. `clock` counts
    epoch seconds (it decides today, and times the shared pace's slots); `on_wait` hears of every wait."""
    reader = ws.target.costs
    if reader is None:
        raise UserError(f"target {ws.name!r} has no Admin API costs to read")
    reader.check()  # a missing admin key: one line, before a turn of the shared pace is taken
    now = clock()
    today = utc_day(now)
    since = since or today.replace(day=1)
    check_since(since, today=today)
    project_id = ws.target_config.project_id
    scope = ORGANIZATION if by is CostGrouping.PROJECT else "project"
    days = (today - since).days + 1
    query = CostQuery(
        start_time=_midnight(since),
        by=by,
        project_ids=() if scope == ORGANIZATION else (project_id,),
        # one page more than the days need: the platform's day may turn while the pages are read
        max_pages=math.ceil(days / BUCKETS_PER_PAGE) + 1,
    )
    retrier = Retrier(ws.project.config.retry, clock=clock, sleep=sleep, observe=on_wait)
    reads = Reads(retrier, admin_pacer(ws, sleep=sleep, clock=clock, on_wait=on_wait))
    buckets = reader.read(query, reads)
    spent = month_spend(buckets, since=since, today=today, project_id=project_id, scope=scope)
    return CostReport(
        workspace=ws.name,
        project_id=project_id,
        scope=scope,
        since=since,
        until=max((utc_day(b.end - 1) for b in buckets), default=today),
        by=by,
        currency=only_currency(buckets),
        days=day_totals(buckets),
        groups=group_totals(buckets) if by is not None else (),
        total=grand_total(buckets),
        controls=spend_controls(ws.project.desired, ws.store.inventory(ws.name), project_id, spent),
        versions=version_costs(ws, since=_midnight(since), until=now + 1),
        overruns=ws.store.overruns(ws.name),
        **monthly_estimate(ws),
    )


def monthly_estimate(ws: Workspace) -> dict[str, Any]:
    """The manifests' monthly estimate (the `after` of a plan's cost section, which needs no platform
    read), as the report's `estimate_monthly_usd` and `estimate_note`; nothing when none is declared."""
    estimate = estimate_costs(ws.project.desired, LiveState(), StoredState(workspace=ws.name))
    if estimate is None:
        return {}
    note = f"the manifests' usage assumptions at {estimate.prices_checked}"
    if estimate.unknown:
        plural = "s" if estimate.unknown != 1 else ""
        note += f"; {estimate.unknown} resource{plural} of unknown cost not counted"
    budget = ws.project.desired.costs.budget
    if budget is not None:
        note += f"; the project's budget is {usd(budget.monthly)}"
    return {"estimate_monthly_usd": estimate.after, "estimate_note": note}


def month_spend(
    buckets: Sequence[CostBucket], *, since: date, today: date, project_id: str, scope: str
) -> dict[str, Decimal]:
    """The month-to-date spend of each scope the buckets cover whole (the target's project, and with
    `scope` organization the organization too); nothing when the window starts after the 1st."""
    month = today.replace(day=1)
    if since > month:
        return {}
    spent = {project_id: spend_from(buckets, month, project_id)}
    if scope == ORGANIZATION:
        spent[ORGANIZATION] = spend_from(buckets, month)
    return spent


def spend_controls(
    desired: DesiredState,
    inventory: Sequence[InventoryRecord],
    project_id: str,
    spent: Mapping[str, Decimal],
) -> tuple[SpendControl, ...]:
    """The spend alerts and limits of the target's project and of the organization: each as the manifests
    declare it and as the inventory says the last apply left it (a control removed from the manifests but
    still recorded shows as applied only). Alerts first, then limits, each by name."""
    found: list[SpendControl] = []
    for kind, amount_key in ((Kind.SPEND_ALERT, "threshold_cents"), (Kind.SPEND_LIMIT, "amount_cents")):
        declared = desired.spend_alerts if kind is Kind.SPEND_ALERT else desired.spend_limits
        recorded = {r.key.name: r.applied_spec or {} for r in inventory if r.key.kind is kind}
        for name in sorted(set(declared) | set(recorded)):
            wanted, applied = declared.get(name), recorded.get(name, {})
            scope = wanted.scope if wanted is not None else str(applied.get("scope", ""))
            if scope not in (project_id, ORGANIZATION):
                continue
            applied_amount = applied.get(amount_key)
            found.append(
                SpendControl(
                    kind=kind.value,
                    name=name,
                    scope=scope,
                    interval=wanted.interval if wanted is not None else str(applied.get("interval", "month")),
                    declared_cents=getattr(wanted, amount_key) if wanted is not None else None,
                    applied_cents=applied_amount if isinstance(applied_amount, int) else None,
                    spent=spent.get(scope),
                )
            )
    return tuple(found)


def version_costs(ws: Workspace, *, since: float, until: float) -> tuple[VersionCost, ...]:
    """Per version of each declared assistant with telemetry in `[since, until)`: its recorded cost, its
    responses and the conversations pinned to it that were seen in the window. One store query per
    version, and one per assistant for the conversations."""
    found: list[VersionCost] = []
    for name in sorted(ws.project.desired.assistants):
        versions = ws.store.versions(ws.name, name)
        if not versions:
            continue
        pinned = ws.store.conversation_counts(ws.name, name, seen_since=since)
        for version in versions:
            counts = ws.store.telemetry(ws.name, name, version.number, since=since, until=until)
            if counts.responses == 0 and counts.cost_usd == 0:
                continue
            found.append(
                VersionCost(
                    assistant=name,
                    version=version.number,
                    responses=counts.responses,
                    conversations=pinned.get(version.number, 0),
                    cost_usd=Decimal(str(counts.cost_usd)),
                )
            )
    return tuple(found)


def _midnight(day: date) -> int:
    return int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp())
