"""AnalysisTemplates are not platform objects: the planner, and the kinds a plan reads, never see them."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from reconciler.manifest import load_project
from reconciler.model.live import LiveState
from reconciler.model.stored import StoredState
from reconciler.service.planning import kinds_needed, kinds_to_read
from tests.unit.plan.support import WS, plan_for

REPO = Path(__file__).resolve().parents[3]


def test_the_example_plans_the_same_with_or_without_its_templates() -> None:
    desired = load_project(REPO / "manifests", as_of=date(2026, 11, 25)).desired
    assert set(desired.analysis_templates) == {"tool-health"}
    bare = desired.model_copy(update={"analysis_templates": {}})
    stored = StoredState(workspace=WS)
    with_templates = plan_for(desired, LiveState(), stored)
    without = plan_for(bare, LiveState(), stored)
    assert with_templates == without  # the plan id included: nothing of a template reaches the plan
    assert not any("AnalysisTemplate" in str(c.address) for c in with_templates.changes)
    assert kinds_needed(desired) == kinds_needed(bare)
    assert kinds_to_read(desired, stored) == kinds_to_read(bare, stored)
