"""Issue 12 item 8: `protect` lives only in the state store, so turning it on for an object that already
exists must still plan as a change and be recorded by apply; otherwise removing the manifest later
destroys what the user protected. Through the real SDK against the emulator."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.cli.main import run
from reconciler.emulator import EmulatorApp
from reconciler.errors import PlanRejected
from reconciler.model.desired import Kind, ResourceKey
from reconciler.plan.definition import Action
from tests.integration.support import (
    CLEAN_COUNTS,
    apply_project,
    edit_file,
    inventory,
    plan_project,
    platform_state,
    transport,
)

pytestmark = pytest.mark.filterwarnings("ignore:deprecated:DeprecationWarning")

ASSISTANT = "manifests/corporate-assist.yaml"
POLICY = "manifests/expense-policy.yaml"


def _protected(root: Path, app: EmulatorApp) -> dict[str, bool]:
    return {
        str(r.key): r.protect
        for r in inventory(root, transport(app))
        if r.key.kind is not Kind.VECTOR_STORE_FILE
    }


def test_protect_added_to_an_applied_assistant_is_planned_recorded_and_then_refuses_deletion(
    project: Path, app: EmulatorApp
) -> None:
    apply_project(project, transport(app))
    before = platform_state(app)
    assert _protected(project, app)["Assistant/CorporateAssist"] is False

    edit_file(project, ASSISTANT, "  versioning: immutable\n", "  versioning: immutable\n  protect: true\n")
    plan = plan_project(project, transport(app))
    change = plan.by_address()[ResourceKey.parse("Assistant/CorporateAssist")]
    assert change.action is Action.UPDATE
    assert [(c.path, c.before, c.after) for c in change.changes] == [("protect", False, True)]
    assert plan.summary.update == 1 and plan.summary.changed == 1

    _, report = apply_project(project, transport(app))
    assert report is not None and report.ok
    assert _protected(project, app)["Assistant/CorporateAssist"] is True
    after = platform_state(app)
    assert [a.model_dump() for a in after.assistants] == [a.model_dump() for a in before.assistants]
    assert not plan_project(project, transport(app)).has_changes  # converged

    (project / ASSISTANT).unlink()
    with pytest.raises(PlanRejected, match=r"protected.*Assistant/CorporateAssist"):
        plan_project(project, transport(app))
    with pytest.raises(PlanRejected, match="protected"):
        apply_project(project, transport(app))
    assert platform_state(app).counts() == CLEAN_COUNTS


def test_protect_on_a_vector_store_through_the_cli(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["apply", str(project), "--auto-approve"]) == 0
    edit_file(project, POLICY, "spec:\n", "spec:\n  protect: true\n")
    capsys.readouterr()
    assert run(["plan", str(project), "--detailed-exitcode"]) == 2
    out = capsys.readouterr().out
    assert "~ VectorStore/ExpensePolicy2026" in out and "protect" in out and "1 to change" in out

    assert run(["apply", str(project), "--auto-approve"]) == 0
    capsys.readouterr()
    assert run(["plan", str(project), "--detailed-exitcode"]) == 0  # recorded: converged

    # The store's manifest goes (and the assistant stops using it): the plan refuses to delete it.
    (project / POLICY).unlink()
    resources = "  toolResources:\n    fileSearch:\n      vectorStores: [ExpensePolicy2026]\n"
    edit_file(project, ASSISTANT, resources, "")
    edit_file(project, ASSISTANT, "    - file_search\n", "")
    capsys.readouterr()
    assert run(["plan", str(project)]) == 1
    err = capsys.readouterr().err
    assert "protected" in err and "VectorStore/ExpensePolicy2026" in err
