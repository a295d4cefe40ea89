"""Actual spend as data: what the platform's costs endpoint reports (`CostBucket`s of `SpentLine`s, amounts
as `Decimal`), the sums `reconcile costs` makes of them (per day, per group, in all, rounded to cents), and
the report it prints (`CostReport`: the spend beside the spend controls and the runtime's cost per version).

Pure data and pure functions, shared by the target that reads the costs (`targets.admin_costs`), the service
that builds the report (`service.costs`) and the renderers (`render.costs`). Amounts are never floats: the
platform's numbers become `Decimal(str(value))` at the boundary and are summed as decimals, so a total is
the sum of what the platform said, to the last digit it gave.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

from reconciler.errors import PermanentPlatformError
from reconciler.model.estimates import AcceptedOverrun

__all__ = [
    "CENT",
    "CostBucket",
    "CostGrouping",
    "CostQuery",
    "CostReport",
    "DayTotal",
    "GroupTotal",
    "SpendControl",
    "SpentLine",
    "VersionCost",
    "cents",
    "day_totals",
    "grand_total",
    "group_totals",
    "only_currency",
    "spend_from",
    "utc_day",
]

CENT = Decimal("0.01")
DAY_SECONDS = 86_400


class CostGrouping(StrEnum):
    """`--by`: how the costs are broken down beside the daily totals."""

    LINE_ITEM = "line-item"
    PROJECT = "project"


@dataclass(frozen=True)
class SpentLine:
    """One result of one day: the amount of a line item and/or project (None when not grouped by it)."""

    amount: Decimal
    currency: str = "usd"
    line_item: str | None = None
    project_id: str | None = None
    quantity: Decimal | None = None  # the platform's, when grouped by line item
    quantity_unit: str | None = None


@dataclass(frozen=True)
class CostBucket:
    """One UTC day of costs: `[start, end)` in epoch seconds, and its results (none on a quiet day)."""

    start: int
    end: int
    lines: tuple[SpentLine, ...] = ()

    @property
    def day(self) -> date:
        return utc_day(self.start)


@dataclass(frozen=True)
class CostQuery:
    """What to ask the costs endpoint: daily buckets from `start_time` (epoch seconds, inclusive) to now,
    grouped by `by`, only for `project_ids` (empty: every project of the organization); at most
    `max_pages` pages, so a platform that keeps saying `has_more` cannot keep a run going."""

    start_time: int
    by: CostGrouping | None = None
    project_ids: tuple[str, ...] = ()
    max_pages: int = 1


@dataclass(frozen=True)
class DayTotal:
    day: date
    amount: Decimal


@dataclass(frozen=True)
class GroupTotal:
    """The amount of one line item or project over the whole window (and the quantity, when reported)."""

    line_item: str | None
    project_id: str | None
    amount: Decimal
    quantity: Decimal | None = None
    quantity_unit: str | None = None

    @property
    def label(self) -> str:
        return ", ".join(p for p in (self.project_id, self.line_item) if p is not None) or "(all)"


@dataclass(frozen=True)
class SpendControl:
    """A spend alert or limit of the target's project or the organization, as the manifests declare it
    (`declared_cents`) and as the last apply left it on the platform (`applied_cents`, from the state
    store's inventory; None: not applied, or no longer declared). `spent` is the month-to-date spend of
    its scope when the report covers the whole month and that scope, else None."""

    kind: str  # the manifest kind: SpendAlert or SpendLimit
    name: str
    scope: str  # a project id or "organization"
    interval: str
    declared_cents: int | None
    applied_cents: int | None
    spent: Decimal | None = None

    @property
    def cents(self) -> int:
        """The threshold in force as far as we know: the declared one, else the applied one."""
        found = self.declared_cents if self.declared_cents is not None else self.applied_cents
        return found or 0


@dataclass(frozen=True)
class VersionCost:
    """What the runtime's telemetry says one version cost over the report's window: the sum of `cost_usd`
    it recorded (priced by `model.prices`; models the table lacks count nothing), the responses it
    recorded, and the conversations pinned to the version that were seen in the window."""

    assistant: str
    version: int
    responses: int
    conversations: int
    cost_usd: Decimal

    @property
    def per_response(self) -> Decimal | None:
        return self.cost_usd / self.responses if self.responses else None

    @property
    def per_conversation(self) -> Decimal | None:
        return self.cost_usd / self.conversations if self.conversations else None


@dataclass(frozen=True)
class CostReport:
    """`reconcile costs`: the platform's actual spend from `since` (a UTC day) to today, its daily and
    group totals, the spend controls beside it and, where telemetry exists, cost per version.

    `scope` is `project` (only the target's project was asked for) or `organization` (`--by project`:
    every project). `estimate_monthly_usd` and `estimate_note` are filled by the plan-side cost estimate
    when it is available; renderers show them only when set."""

    workspace: str
    project_id: str
    scope: str
    since: date
    until: date  # the last day covered
    by: CostGrouping | None
    currency: str
    days: tuple[DayTotal, ...]
    groups: tuple[GroupTotal, ...]
    total: Decimal
    controls: tuple[SpendControl, ...] = ()
    versions: tuple[VersionCost, ...] = ()
    estimate_monthly_usd: Decimal | None = None
    estimate_note: str = ""
    overruns: tuple[AcceptedOverrun, ...] = ()  # budget overruns applied under acceptOver, newest first

    @property
    def total_cents(self) -> int:
        return cents(self.total)


def utc_day(epoch: float) -> date:
    return datetime.fromtimestamp(epoch, UTC).date()


def cents(amount: Decimal) -> int:
    """Whole cents, half a cent rounded up (as an invoice rounds)."""
    return int((amount / CENT).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _lines(buckets: Iterable[CostBucket]) -> Iterable[SpentLine]:
    return (line for bucket in buckets for line in bucket.lines)


def only_currency(buckets: Sequence[CostBucket], default: str = "usd") -> str:
    """The one currency the amounts are in; amounts in several are not added up (refused in one line)."""
    found = sorted({line.currency for line in _lines(buckets)})
    if len(found) > 1:
        raise PermanentPlatformError(
            f"the costs come in {len(found)} currencies ({', '.join(found)}): not summed"
        )
    return found[0] if found else default


def day_totals(buckets: Iterable[CostBucket]) -> tuple[DayTotal, ...]:
    """Every day's total, in day order."""
    totals: dict[date, Decimal] = {}
    for bucket in buckets:
        spent = sum((line.amount for line in bucket.lines), Decimal(0))
        totals[bucket.day] = totals.get(bucket.day, Decimal(0)) + spent
    return tuple(DayTotal(day, amount) for day, amount in sorted(totals.items()))


def group_totals(buckets: Iterable[CostBucket]) -> tuple[GroupTotal, ...]:
    """Per (project, line item), the amount and quantity over every day, largest amount first (then by
    name). A quantity is summed only when every line of the group reports one, all in the same unit."""
    grouped: dict[tuple[str | None, str | None], list[SpentLine]] = {}
    for line in _lines(buckets):
        grouped.setdefault((line.project_id, line.line_item), []).append(line)
    groups = []
    for (project_id, line_item), lines in grouped.items():
        units = {line.quantity_unit for line in lines}
        counted = len(units) == 1 and all(line.quantity is not None for line in lines)
        groups.append(
            GroupTotal(
                line_item=line_item,
                project_id=project_id,
                amount=sum((line.amount for line in lines), Decimal(0)),
                quantity=sum((line.quantity or Decimal(0) for line in lines), Decimal(0))
                if counted
                else None,
                quantity_unit=units.pop() if counted else None,
            )
        )
    return tuple(sorted(groups, key=lambda g: (-g.amount, g.project_id or "", g.line_item or "")))


def grand_total(buckets: Iterable[CostBucket]) -> Decimal:
    return sum((line.amount for line in _lines(buckets)), Decimal(0))


def spend_from(buckets: Iterable[CostBucket], first_day: date, project_id: str | None = None) -> Decimal:
    """The spend of the days from `first_day` on; with `project_id`, only that project's lines (lines that
    name no project count: the query asked for that project alone)."""
    return sum(
        (
            line.amount
            for bucket in buckets
            if bucket.day >= first_day
            for line in bucket.lines
            if project_id is None or line.project_id in (None, project_id)
        ),
        Decimal(0),
    )
