"""service.costs without a platform: `--since` read as a UTC day (and refused in one line), the spend
controls beside the costs (declared, applied, of this project or the organization), and the month-to-date
spend they are compared with."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from reconciler.errors import UserError
from reconciler.model.desired import DesiredState, Kind, ResourceKey, SpendAlert, SpendLimit
from reconciler.model.spend import CostBucket, SpentLine
from reconciler.model.stored import InventoryRecord
from reconciler.service.costs import MAX_DAYS, month_spend, parse_since, spend_controls

TODAY = date(2026, 12, 7)
DEC_1 = 1_796_083_200  # 2026-12-01 00:00 UTC
DAY = 86_400


def test_since_defaults_to_the_first_of_the_month() -> None:
    assert parse_since(None, today=TODAY) == date(2026, 12, 1)
    assert parse_since(None, today=date(2027, 1, 1)) == date(2027, 1, 1)


def test_since_is_a_day() -> None:
    assert parse_since("2026-11-15", today=TODAY) == date(2026, 11, 15)
    assert parse_since(" 2026-12-07 ", today=TODAY) == TODAY  # today itself is allowed


@pytest.mark.parametrize("text", ["yesterday", "2026-12", "2026-02-30", "20261201", "2026-12-01T00:00", ""])
def test_a_since_that_is_not_a_day_is_one_line(text: str) -> None:
    with pytest.raises(UserError, match=r"is not a date: write a UTC day as YYYY-MM-DD") as caught:
        parse_since(text, today=TODAY)
    assert "\n" not in str(caught.value)


def test_a_since_in_the_future_is_refused() -> None:
    with pytest.raises(UserError, match=r"--since 2026-12-08 is in the future \(today is 2026-12-07 UTC\)"):
        parse_since("2026-12-08", today=TODAY)


def test_a_since_older_than_two_years_is_refused() -> None:
    oldest = date.fromordinal(TODAY.toordinal() - MAX_DAYS + 1)
    assert parse_since(oldest.isoformat(), today=TODAY) == oldest
    with pytest.raises(UserError, match="more than 731 days ago"):
        parse_since(date.fromordinal(oldest.toordinal() - 1).isoformat(), today=TODAY)


def _record(kind: Kind, name: str, spec: dict[str, object]) -> InventoryRecord:
    return InventoryRecord(
        key=ResourceKey(kind=kind, name=name), platform_id=f"id-{name}", attributes={"spec": spec}
    )


def test_controls_are_declared_applied_or_both_and_of_this_project_or_the_organization() -> None:
    desired = DesiredState(
        spend_alerts={
            "monthly": SpendAlert(name="monthly", scope="proj_a", threshold_cents=10_000),
            "raised": SpendAlert(name="raised", scope="proj_a", threshold_cents=30_000),
            "elsewhere": SpendAlert(name="elsewhere", scope="proj_other", threshold_cents=1),
        },
        spend_limits={"cap": SpendLimit(name="cap", scope="organization", amount_cents=50_000)},
    )
    inventory = (
        _record(
            Kind.SPEND_ALERT, "monthly", {"scope": "proj_a", "threshold_cents": 10_000, "interval": "month"}
        ),
        _record(
            Kind.SPEND_ALERT, "raised", {"scope": "proj_a", "threshold_cents": 20_000, "interval": "month"}
        ),
        _record(
            Kind.SPEND_ALERT, "removed", {"scope": "proj_a", "threshold_cents": 500, "interval": "month"}
        ),
        _record(Kind.VECTOR_STORE, "monthly", {"name": "not a control"}),
    )
    spent = {"proj_a": Decimal("12.5")}
    controls = spend_controls(desired, inventory, "proj_a", spent)
    assert [(c.kind, c.name, c.scope, c.declared_cents, c.applied_cents, c.spent) for c in controls] == [
        ("SpendAlert", "monthly", "proj_a", 10_000, 10_000, Decimal("12.5")),
        ("SpendAlert", "raised", "proj_a", 30_000, 20_000, Decimal("12.5")),
        ("SpendAlert", "removed", "proj_a", None, 500, Decimal("12.5")),
        ("SpendLimit", "cap", "organization", 50_000, None, None),
    ]


def _buckets() -> list[CostBucket]:
    nov_30 = CostBucket(DEC_1 - DAY, DEC_1, (SpentLine(Decimal(100), project_id="proj_a"),))
    dec_1 = CostBucket(
        DEC_1,
        DEC_1 + DAY,
        (SpentLine(Decimal(1), project_id="proj_a"), SpentLine(Decimal(2), project_id="proj_b")),
    )
    return [nov_30, dec_1]


def test_month_to_date_counts_this_month_only_and_each_scope_it_covers() -> None:
    buckets = _buckets()
    project = month_spend(
        buckets, since=date(2026, 11, 30), today=TODAY, project_id="proj_a", scope="project"
    )
    assert project == {"proj_a": Decimal(1)}
    every = month_spend(
        buckets, since=date(2026, 11, 30), today=TODAY, project_id="proj_a", scope="organization"
    )
    assert every == {"proj_a": Decimal(1), "organization": Decimal(3)}


def test_no_month_to_date_when_the_window_starts_after_the_first() -> None:
    assert (
        month_spend(_buckets(), since=date(2026, 12, 2), today=TODAY, project_id="proj_a", scope="project")
        == {}
    )
