"""The compatibility policy in one place: plan lists the findings, apply refuses in one line."""

from __future__ import annotations

from typing import cast

import pytest

from reconciler.errors import PlanRejected
from reconciler.plan.definition import Plan
from reconciler.service.compatibility import compatibility_refusal, refuse_violations


class _Findings:
    """What the policy reads of a plan: its uncovered violations and its acceptance notes (the plan's own
    tests cover how a plan finds them)."""

    def __init__(
        self, violations: list[str], notes: list[str] | None = None, budgets: list[str] | None = None
    ) -> None:
        self._violations, self._notes, self._budgets = violations, notes or [], budgets or []

    def violations(self) -> list[str]:
        return self._violations

    def budget_violations(self) -> list[str]:
        return self._budgets

    def acceptance_notes(self) -> list[str]:
        return self._notes


def _plan(violations: list[str], notes: list[str] | None = None) -> Plan:
    return cast(Plan, _Findings(violations, notes))


BROKEN = [f"Assistant/{name}: lookup: breaking (policy: backward)" for name in ("a", "b")]


def test_a_satisfied_plan_is_not_refused() -> None:
    assert compatibility_refusal(_plan([])) is None
    refuse_violations(_plan([]))


def test_plan_lists_every_finding_and_apply_refuses_in_one_line() -> None:
    refusal = compatibility_refusal(_plan(BROKEN))
    assert refusal is not None
    assert refusal.findings() == [
        "compatibility: Assistant/a: lookup: breaking (policy: backward)",
        "compatibility: Assistant/b: lookup: breaking (policy: backward)",
    ]
    assert refusal.conclusion() == "the plan breaks a compatibility policy; set acceptBreaking to ship it"
    with pytest.raises(PlanRejected) as raised:
        refuse_violations(_plan(BROKEN))
    assert str(raised.value) == (
        'Assistant/a: lookup: breaking (policy: backward) (+1 more); set acceptBreaking: "<reason>" '
        "on the assistant to ship it anyway"
    )


def test_an_acceptance_note_is_the_way_out_it_names() -> None:
    refusal = compatibility_refusal(_plan(BROKEN, ["Assistant/a: written for another change"]))
    assert refusal is not None
    assert refusal.findings()[-1] == "compatibility: Assistant/a: written for another change"
    assert "write an acceptBreaking for this change" in refusal.conclusion()
    assert refusal.one_line().endswith("; Assistant/a: written for another change")
