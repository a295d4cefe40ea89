"""Transitive compatibility through `service.make_plan` on the local platform (issue 17 item 2): live
conversations on an old version make a change that only its parent tolerates breaking; once they are
migrated (`moved_to`) or idle longer than `conversations.retention`, only the parent counts."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from reconciler import service
from reconciler.emulator import EmulatorApp
from reconciler.plan.definition import Plan
from reconciler.plan.payloads import AssistantPayload, Verdict
from tests.integration.support import apply_project, edit_file, make_project, transport

pytestmark = pytest.mark.filterwarnings("ignore:deprecated:DeprecationWarning")

NAME = "CorporateAssist"
ASSISTANT = "manifests/corporate-assist.yaml"


def _verdict(plan: Plan) -> Verdict | None:
    (change,) = [c for c in plan.changes if c.kind == "Assistant"]
    assert isinstance(change.payload, AssistantPayload)
    return change.payload.verdict


def _plan(root: Path, app: EmulatorApp) -> Plan:
    with service.open_workspace(root, transport=transport(app)) as ws:
        plan, _ = service.make_plan(ws)
        return plan


@pytest.mark.parametrize("api", ["responses", "assistants-v2"])
def test_a_version_live_conversations_use_is_judged_too(tmp_path: Path, app: EmulatorApp, api: str) -> None:
    root = make_project(tmp_path / "project", api=api)
    apply_project(root, transport(app))  # version 1: create_meeting and list_expenses
    # version 2 drops list_expenses, accepted: version 1's conversations may still call it
    edit_file(root, ASSISTANT, "    - list_expenses\n", "")
    edit_file(
        root, ASSISTANT, "  versioning: immutable\n", '  versioning: immutable\n  acceptBreaking: "gone"\n'
    )
    apply_project(root, transport(app))
    with service.open_workspace(root, transport=transport(app)) as ws:
        assert ws.store.pointers(ws.name, NAME)["stable"] == 2
        now = time.time()
        for n in range(3):
            ws.store.assign_conversation(ws.name, NAME, f"old{n}", 1, now=now - 60)
        ws.store.assign_conversation(ws.name, NAME, "new0", 2, now=now - 60)
        ws.store.assign_conversation(ws.name, NAME, "idle", 1, now=now - 40 * 86_400)  # beyond 30 days
    # version 3 changes the instructions only: compatible with its parent, breaking against version 1
    edit_file(root, ASSISTANT, '  acceptBreaking: "gone"\n', "")
    edit_file(root, ASSISTANT, "say so and suggest", "say so, and suggest")
    plan = _plan(root, app)
    verdict = _verdict(plan)
    assert verdict is not None and verdict.against is not None
    assert [(v.version, v.conversations, v.parent, v.satisfied) for v in verdict.against] == [
        (1, 3, False, False),
        (2, 1, True, True),
    ]
    assert list(verdict.against[0].broken) == ["list_expenses"]
    (violation,) = plan.violations()
    assert "(against version 1, used by 3 live conversations)" in violation
    # Migrated conversations (moved_to) no longer hold version 1: only the parent is judged.
    with service.open_workspace(root, transport=transport(app)) as ws:
        ws.store._exec("UPDATE conversations SET moved_to = 'copy' WHERE version = 1")  # type: ignore[attr-defined]
    verdict = _verdict(_plan(root, app))
    assert verdict is not None and verdict.satisfied
    assert verdict.against is not None and [v.version for v in verdict.against] == [2]
