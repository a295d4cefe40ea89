"""Golden files for what `reconcile costs` prints: a month by line item with a spend alert and limit and cost
per version (text and JSON), every project of the organization, a month without spend, and the plan-side
estimate once it is filled in. To change one on purpose, run with UPDATE_GOLDEN=1 (see test_golden.py) and
review the diff."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from reconciler.model.estimates import AcceptedOverrun
from reconciler.model.spend import (
    CostGrouping,
    CostReport,
    DayTotal,
    GroupTotal,
    SpendControl,
    VersionCost,
)
from reconciler.render.costs import costs_json, costs_text
from tests.golden_files import assert_matches_golden

GOLDEN = Path(__file__).resolve().parents[2] / "golden" / "costs"
D = Decimal
PROJECT = "proj_CorporateAssist"
MTD = D("1.2349675")

DAYS = (
    DayTotal(date(2026, 12, 1), D("1.2345675")),
    DayTotal(date(2026, 12, 2), D(0)),
    DayTotal(date(2026, 12, 3), D("0.0004")),
)
BY_LINE = CostReport(
    workspace="prod",
    project_id="proj_CorporateAssist",
    scope="project",
    since=date(2026, 12, 1),
    until=date(2026, 12, 3),
    by=CostGrouping.LINE_ITEM,
    currency="usd",
    days=DAYS,
    groups=(
        GroupTotal("gpt-4o, output", None, D("1.0000075"), D(100_000), "tokens"),
        GroupTotal("gpt-4o, input", None, D("0.234"), D(93_600), "tokens"),
        GroupTotal("gpt-5.4, input", None, D("0.0004"), D(160), "tokens"),
    ),
    total=D("1.2349675"),
    controls=(
        SpendControl("SpendAlert", "corporate-assist-monthly", PROJECT, "month", 10_000, 10_000, MTD),
        SpendControl("SpendAlert", "early-warning", PROJECT, "month", 500, None, MTD),
        SpendControl("SpendLimit", "org-cap", "organization", "month", 50_000, 40_000, None),
    ),
    versions=(
        VersionCost("CorporateAssist", 1, responses=120, conversations=30, cost_usd=D("0.84")),
        VersionCost("CorporateAssist", 2, responses=12, conversations=0, cost_usd=D("0.0123")),
    ),
)  # fmt: skip
BY_PROJECT = CostReport(
    workspace="prod",
    project_id="proj_CorporateAssist",
    scope="organization",
    since=date(2026, 11, 30),
    until=date(2026, 12, 1),
    by=CostGrouping.PROJECT,
    currency="usd",
    days=(DayTotal(date(2026, 11, 30), D("12")), DayTotal(date(2026, 12, 1), D("3.5"))),
    groups=(GroupTotal(None, "proj_other", D("10.5")), GroupTotal(None, PROJECT, D(5))),
    total=D("15.5"),
    controls=(SpendControl("SpendLimit", "org-cap", "organization", "month", 50_000, 50_000, D("3.5")),),
)  # fmt: skip
QUIET = CostReport(
    workspace="local",
    project_id="proj_local",
    scope="project",
    since=date(2026, 12, 1),
    until=date(2026, 12, 2),
    by=None,
    currency="usd",
    days=(DayTotal(date(2026, 12, 1), D(0)), DayTotal(date(2026, 12, 2), D(0))),
    groups=(),
    total=D(0),
)
ESTIMATED = CostReport(
    **{
        **QUIET.__dict__,
        "estimate_monthly_usd": D("42.5"),
        "estimate_note": "3 assistants at last month's traffic",
        "overruns": (
            AcceptedOverrun(
                workspace="local",
                apply_id="apply-1",
                plan_id="ab12cd34",
                scope="project",
                monthly=D(150),
                estimate=D("392.4"),
                up_to=D(400),
                reason="launch month, approved by finance (FIN-12)",
                at=1_796_000_000.0,
                user="ana",
                host="ci-runner-3",
            ),
        ),
    }
)

RENDERED: dict[str, Callable[[], str]] = {
    "by-line-item.txt": lambda: costs_text(BY_LINE),
    "by-line-item.json": lambda: costs_json(BY_LINE),
    "by-project.txt": lambda: costs_text(BY_PROJECT),
    "quiet.txt": lambda: costs_text(QUIET),
    "estimated.txt": lambda: costs_text(ESTIMATED),
    "estimated.json": lambda: costs_json(ESTIMATED),
}


@pytest.mark.parametrize("name", sorted(RENDERED))
def test_costs_output_matches_golden_file(name: str) -> None:
    rendered = RENDERED[name]() + "\n"
    path = GOLDEN / name
    assert_matches_golden(rendered, path)


def test_every_golden_file_belongs_to_a_rendering() -> None:
    assert {p.name for p in GOLDEN.iterdir()} == set(RENDERED)


def test_the_json_is_a_versioned_document_with_exact_amounts() -> None:
    document = json.loads(costs_json(BY_LINE))
    assert document["format_version"] == "1.0"
    assert (document["total"], document["total_cents"]) == ("1.2349675", 123)
    assert sum(D(d["amount"]) for d in document["days"]) == D(document["total"])
    assert document["estimate"] is None
    assert json.loads(costs_json(ESTIMATED))["estimate"] == {
        "monthly_usd": "42.50",
        "note": "3 assistants at last month's traffic",
    }


def test_the_estimate_is_shown_only_when_set() -> None:
    assert "estimate" not in costs_text(QUIET)
    assert "estimate: $42.50 a month (3 assistants at last month's traffic)" in costs_text(ESTIMATED)


def test_no_exponent_ever_reaches_the_json() -> None:
    tiny = CostReport(
        **{**QUIET.__dict__, "total": D("7.5E-7"), "days": (DayTotal(date(2026, 12, 1), D("7.5E-7")),)}
    )
    document = json.loads(costs_json(tiny))
    assert (document["total"], document["days"][0]["amount"]) == ("0.00000075", "0.00000075")
