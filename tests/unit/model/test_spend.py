"""model.spend: the sums `reconcile costs` makes of the platform's daily cost buckets, exact to the digit,
and cents rounded as an invoice rounds."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from reconciler.errors import PermanentPlatformError
from reconciler.model.spend import (
    CostBucket,
    SpendControl,
    SpentLine,
    VersionCost,
    cents,
    day_totals,
    grand_total,
    group_totals,
    only_currency,
    spend_from,
    utc_day,
)

DAY = 86_400
DAY0 = 1_796_083_200  # 2026-12-01 00:00 UTC


def bucket(day: int, *lines: SpentLine) -> CostBucket:
    return CostBucket(DAY0 + day * DAY, DAY0 + (day + 1) * DAY, lines)


def line(amount: str, item: str | None = None, project: str | None = None, **kw: object) -> SpentLine:
    return SpentLine(Decimal(amount), line_item=item, project_id=project, **kw)  # type: ignore[arg-type]


def test_day0_is_the_first_of_december() -> None:
    assert utc_day(DAY0) == date(2026, 12, 1)
    assert bucket(6).day == date(2026, 12, 7)


def test_amounts_add_up_exactly_where_floats_would_not() -> None:
    # 0.1 + 0.2 as floats is 0.30000000000000004; as the platform wrote them, 0.3.
    buckets = [bucket(0, line("0.1"), line("0.2")), bucket(1, line("0.0000001"))]
    assert grand_total(buckets) == Decimal("0.3000001")
    assert [(d.day.day, d.amount) for d in day_totals(buckets)] == [
        (1, Decimal("0.3")),
        (2, Decimal("0.0000001")),
    ]


def test_a_quiet_day_is_a_day_at_zero() -> None:
    assert [d.amount for d in day_totals([bucket(0), bucket(1, line("1.5"))])] == [Decimal(0), Decimal("1.5")]


@pytest.mark.parametrize(
    ("amount", "expected"),
    [
        ("0", 0),
        ("0.004999", 0),
        ("0.005", 1),
        ("0.0149999", 1),
        ("0.015", 2),
        ("12.344", 1234),
        ("12.345", 1235),
    ],
)
def test_cents_round_half_up(amount: str, expected: int) -> None:
    assert cents(Decimal(amount)) == expected


def test_groups_sum_over_days_largest_first_with_their_quantities() -> None:
    tokens = {"quantity_unit": "tokens"}
    buckets = [
        bucket(
            0, line("0.25", "gpt-4o, input", quantity=Decimal(100), **tokens), line("1", "gpt-4o, output")
        ),
        bucket(1, line("0.5", "gpt-4o, input", quantity=Decimal(200), **tokens), line("2", "gpt-4o, output")),
    ]
    groups = group_totals(buckets)
    assert [(g.label, g.amount, g.quantity, g.quantity_unit) for g in groups] == [
        ("gpt-4o, output", Decimal(3), None, None),
        ("gpt-4o, input", Decimal("0.75"), Decimal(300), "tokens"),
    ]
    assert sum(g.amount for g in groups) == grand_total(buckets)


def test_a_quantity_in_two_units_is_not_summed() -> None:
    buckets = [
        bucket(0, line("1", "x", quantity=Decimal(1), quantity_unit="tokens")),
        bucket(1, line("1", "x", quantity=Decimal(1), quantity_unit="1000_tokens")),
    ]
    (group,) = group_totals(buckets)
    assert (group.amount, group.quantity, group.quantity_unit) == (Decimal(2), None, None)


def test_groups_by_project_keep_projects_apart() -> None:
    buckets = [
        bucket(0, line("1", project="proj_a"), line("2", project="proj_b")),
        bucket(1, line("3", project="proj_a")),
    ]
    assert [(g.label, g.amount) for g in group_totals(buckets)] == [
        ("proj_a", Decimal(4)),
        ("proj_b", Decimal(2)),
    ]


def test_amounts_in_two_currencies_are_refused_not_summed() -> None:
    assert only_currency([bucket(0, line("1"))]) == "usd"
    assert only_currency([bucket(0)]) == "usd"
    with pytest.raises(PermanentPlatformError, match=r"2 currencies \(eur, usd\)"):
        only_currency([bucket(0, line("1"), SpentLine(Decimal(1), currency="eur"))])


def test_spend_from_a_day_and_of_one_project() -> None:
    buckets = [
        bucket(0, line("1", project="proj_a")),
        bucket(1, line("2", project="proj_a"), line("4", project="proj_b")),
    ]
    assert spend_from(buckets, date(2026, 12, 2)) == Decimal(6)
    assert spend_from(buckets, date(2026, 12, 1), "proj_a") == Decimal(3)
    # Lines naming no project were asked for about one project alone: they count for it.
    assert spend_from([bucket(0, line("5"))], date(2026, 12, 1), "proj_a") == Decimal(5)


def test_a_control_in_force_is_the_declared_one_else_the_applied_one() -> None:
    both = SpendControl("SpendAlert", "a", "proj_a", "month", declared_cents=200, applied_cents=100)
    applied = SpendControl("SpendAlert", "a", "proj_a", "month", declared_cents=None, applied_cents=100)
    assert (both.cents, applied.cents) == (200, 100)


def test_cost_per_response_and_per_conversation() -> None:
    cost = VersionCost("A", 1, responses=4, conversations=2, cost_usd=Decimal("0.01"))
    assert (cost.per_response, cost.per_conversation) == (Decimal("0.0025"), Decimal("0.005"))
    nothing = VersionCost("A", 1, responses=0, conversations=0, cost_usd=Decimal(0))
    assert (nothing.per_response, nothing.per_conversation) == (None, None)
