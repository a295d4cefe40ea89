"""Ownership across projects and workspaces sharing one platform (issue 12, item 4): each takes only the
objects its own owner label names, never rewrites or deletes another's, and stops when its state records
an object another owner's label claims. Everything is checked through the real SDK."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest

from reconciler import service
from reconciler.cli.main import run
from reconciler.emulator import EmulatorApp
from reconciler.errors import PlanRejected
from reconciler.plan.definition import Action
from tests.integration.support import (
    apply_project,
    edit_file,
    make_project,
    plan_project,
    platform_state,
    sdk,
    transport,
)

ASSISTANT = "manifests/corporate-assist.yaml"

pytestmark = pytest.mark.filterwarnings("ignore:deprecated:DeprecationWarning")

TWO_TARGETS = "  targets:\n    staging:\n      type: local\n    production:\n      type: local\n"


def _named(root: Path, name: str) -> Path:
    """The example project under another `metadata.name` (another repository of another team)."""
    path = root / "reconcile.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("name: corporate-assist", f"name: {name}", 1), encoding="utf-8")
    return root


def _snapshot(app: EmulatorApp) -> dict[str, Any]:
    """Every assistant and vector store as the platform holds it: id -> (instructions/name, metadata)."""
    state = platform_state(app)
    out: dict[str, Any] = {a.id: (a.instructions, dict(a.metadata or {})) for a in state.assistants}
    out.update({s.id: (s.name, dict(s.metadata or {})) for s in state.vector_stores})
    return out


def test_two_projects_with_colliding_names_never_touch_each_other(tmp_path: Path, app: EmulatorApp) -> None:
    first = _named(make_project(tmp_path / "team-a"), "team-a")
    second = _named(make_project(tmp_path / "team-b"), "team-b")
    apply_project(first, transport(app))
    before = _snapshot(app)

    # The second project has the same assistant and store names: it creates its own, adopting nothing.
    plan, _ = apply_project(second, transport(app))
    assert not [str(c.address) for c in plan.changes if c.adopt]
    assert {k: before[k] for k in before} == {k: _snapshot(app)[k] for k in before}
    assert len(platform_state(app).assistants) == 2

    # A behaviour change and then the manifests' removal in the second leave the first's objects alone.
    edit_file(second, ASSISTANT, "You are CorporateAssist", "You are the B team's CorporateAssist")
    apply_project(second, transport(app))
    shutil.rmtree(second / "manifests")
    (second / "manifests").mkdir()
    apply_project(second, transport(app), allow_empty=True)
    after = _snapshot(app)
    assert {k: after.get(k) for k in before} == before
    assert not plan_project(first, transport(app)).has_changes


def test_two_workspaces_of_one_project_keep_apart(tmp_path: Path, app: EmulatorApp) -> None:
    root = make_project(tmp_path / "project", target_yaml=TWO_TARGETS)
    config = root / "reconcile.yaml"
    config.write_text(config.read_text().replace("defaultTarget: local", "defaultTarget: staging"))
    with service.open_workspace(root, target="staging", transport=transport(app)) as ws:
        service.apply(ws, sleep=lambda _: None)
    staging = _snapshot(app)
    with service.open_workspace(root, target="production", transport=transport(app)) as ws:
        plan, _ = service.apply(ws, sleep=lambda _: None)
    assert not [str(c.address) for c in plan.changes if c.adopt]
    assert {k: _snapshot(app)[k] for k in staging} == staging
    owners = {m.get("reconciler/owner") for _, m in _snapshot(app).values()}
    assert owners == {"corporate-assist/staging", "corporate-assist/production"}


def test_an_object_labelled_by_hand_is_never_adopted_nor_deleted(project: Path, app: EmulatorApp) -> None:
    client = sdk(app)
    hand = client.beta.assistants.create(
        model="gpt-5.5-2026-04-23",
        name="CorporateAssist",
        instructions="made by hand",
        metadata={"managed-by": "reconciler", "reconciler/name": "CorporateAssist"},
    )
    plan, _ = apply_project(project, transport(app))
    assert not [str(c.address) for c in plan.changes if c.adopt]
    shutil.rmtree(project / "manifests")
    (project / "manifests").mkdir()
    apply_project(project, transport(app), allow_empty=True)
    kept = client.beta.assistants.retrieve(hand.id)
    assert kept.instructions == "made by hand"
    assert dict(kept.metadata or {}) == {"managed-by": "reconciler", "reconciler/name": "CorporateAssist"}


def test_state_recording_another_owners_object_stops_the_plan(tmp_path: Path, app: EmulatorApp) -> None:
    first = _named(make_project(tmp_path / "team-a"), "team-a")
    second = _named(make_project(tmp_path / "team-b"), "team-b")
    apply_project(first, transport(app))
    before = _snapshot(app)
    # The second team starts from a copy of the first one's state: every record names team-a's objects.
    shutil.copytree(first / ".reconcile", second / ".reconcile")
    with pytest.raises(PlanRejected, match="owned by 'team-a/local'"):
        apply_project(second, transport(app))
    assert _snapshot(app) == before


def test_our_own_labelled_object_missing_from_the_state_is_adopted(project: Path, app: EmulatorApp) -> None:
    """The other side of the rule: a state lost or reset finds its own labelled objects again."""
    apply_project(project, transport(app))
    before = _snapshot(app)
    shutil.rmtree(project / ".reconcile")
    plan = plan_project(project, transport(app))
    adopted = {str(c.address) for c in plan.changes if c.adopt}
    assert {"Assistant/CorporateAssist", "VectorStore/ExpensePolicy2026"} <= adopted
    assert not [
        c for c in plan.changes if c.kind in ("Assistant", "VectorStore") and c.action is Action.CREATE
    ]
    apply_project(project, transport(app))
    assert _snapshot(app).keys() == before.keys()


def _as_labelled_before_owners(app: EmulatorApp) -> tuple[Any, Any]:
    """Take our owner label off the one assistant and store, as a reconciler before owner labels left
    them; returns both as they were."""
    client = sdk(app)
    state = platform_state(app)
    (assistant,) = state.assistants
    (store,) = state.vector_stores
    for obj, update in ((assistant, client.beta.assistants.update), (store, client.vector_stores.update)):
        legacy = {k: v for k, v in (obj.metadata or {}).items() if k != "reconciler/owner"}
        update(obj.id, metadata=legacy)
    return assistant, store


def test_objects_labelled_before_owner_labels_get_ours_at_the_next_apply(
    project: Path, app: EmulatorApp
) -> None:
    """A project upgraded from a reconciler without owner labels: its recorded objects are labelled at
    the next apply (so a later state loss finds them), keeping their version labels."""
    apply_project(project, transport(app))
    client = sdk(app)
    assistant, store = _as_labelled_before_owners(app)
    plan = plan_project(project, transport(app))
    relabel = {str(c.address): [f.path for f in c.changes] for c in plan.changes if c.action is Action.UPDATE}
    assert relabel == {
        "Assistant/CorporateAssist": ["labels.reconciler/owner"],
        "VectorStore/ExpensePolicy2026": ["labels.reconciler/owner"],
    }
    apply_project(project, transport(app))
    relabelled = client.beta.assistants.retrieve(assistant.id).metadata or {}
    assert relabelled["reconciler/owner"] == "corporate-assist/local"
    assert relabelled["reconciler/version"] == "1"
    assert (client.vector_stores.retrieve(store.id).metadata or {})[
        "reconciler/owner"
    ] == "corporate-assist/local"
    assert not plan_project(project, transport(app)).has_changes


def test_an_update_in_place_keeps_the_version_labels(project: Path, app: EmulatorApp) -> None:
    apply_project(project, transport(app))
    edit_file(project, ASSISTANT, "  description: Schedules meetings,", "  description: Books meetings,")
    plan, _ = apply_project(project, transport(app))
    assert [c.action for c in plan.changes if c.kind == "Assistant"] == [Action.UPDATE]
    (assistant,) = platform_state(app).assistants
    assert (assistant.metadata or {})["reconciler/version"] == "1"


def _four_versions(root: Path, app: EmulatorApp) -> None:
    """Versions 1-4 of CorporateAssist: each apply after a behaviour change makes a new one."""
    apply_project(root, transport(app))
    for n in (2, 3, 4):
        edit_file(root, ASSISTANT, "You are CorporateAssist", f"You are CorporateAssist ({n})")
        apply_project(root, transport(app))


def test_gc_from_a_copied_state_refuses_and_deletes_nothing(
    tmp_path: Path, app: EmulatorApp, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    first = make_project(tmp_path / "corporate-assist")
    second = _named(make_project(tmp_path / "other-project"), "other-project")
    _four_versions(first, app)
    before = _snapshot(app)
    (second / ".reconcile").mkdir()
    shutil.copy(first / ".reconcile" / "state.db", second / ".reconcile" / "state.db")
    opened = service.open_workspace
    monkeypatch.setattr(
        service, "open_workspace", lambda *a, **k: opened(*a, **{**k, "transport": transport(app)})
    )

    for dry in (["--auto-approve"], ["--dry-run"]):
        assert run(["gc", str(second), "--keep", "1", *dry]) == 1
        err = capsys.readouterr().err
        assert "gc deleted nothing" in err and "owned by 'corporate-assist/local'" in err
        assert all(f"CorporateAssist v{n} (" in err for n in (1, 2, 3))
    assert _snapshot(app) == before
    with service.open_workspace(second) as ws:
        assert not any(v.deleted for v in ws.store.versions(ws.name, "CorporateAssist"))

    # The owner's own gc still deletes its old versions.
    assert run(["gc", str(first), "--keep", "1", "--auto-approve"]) == 0
    assert len(before) - len(_snapshot(app)) == 3


def test_a_plan_that_only_adopts_is_a_change_for_ci(
    project: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`rm .reconcile/state.db && reconcile plan --detailed-exitcode`: the adoptions apply will record
    are changes (exit 2, "N to adopt"), not "No changes", or a CI gate never records them."""
    from reconciler.cli.main import run

    monkeypatch.chdir(project)
    assert run(["apply", "--auto-approve"]) == 0
    for leftover in (project / ".reconcile").glob("state.db*"):  # the local target's platform stays
        leftover.unlink()
    capsys.readouterr()
    assert run(["plan", "--detailed-exitcode"]) == 2
    out = capsys.readouterr().out
    assert "No changes" not in out and "<= Assistant/CorporateAssist" in out
    assert re.search(r"Plan: 0 to add, 0 to change, 0 to replace, 0 to destroy, [1-9]\d* to adopt\.", out)
    assert run(["plan", "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["has_changes"] is True and doc["summary"]["adopt"] == doc["summary"]["changed"] > 0
    assert run(["apply", "--auto-approve"]) == 0
    capsys.readouterr()
    assert run(["plan", "--detailed-exitcode"]) == 0  # recorded: converged


def test_a_lost_state_after_an_upgrade_warns_about_objects_labelled_without_an_owner(
    project: Path, app: EmulatorApp
) -> None:
    """Objects a reconciler without owner labels made are not adopted after a state loss (a hand label
    looks the same), but the plan names each one and the import that would adopt it."""
    apply_project(project, transport(app))
    assistant, store = _as_labelled_before_owners(app)
    shutil.rmtree(project / ".reconcile")
    plan = plan_project(project, transport(app))
    created = {str(c.address) for c in plan.changes if c.action is Action.CREATE}
    assert {"Assistant/CorporateAssist", "VectorStore/ExpensePolicy2026"} <= created
    assert [w for w in plan.warnings if "names no owner" in w] == [
        f"VectorStore/ExpensePolicy2026: {store.id} is labelled reconciler/name ExpensePolicy2026 by an "
        "earlier reconciler (or by hand) but names no owner, so it is not adopted; if it is this "
        f"project's, adopt it with `reconcile import vector-store {store.id}`",
        f"Assistant/CorporateAssist: {assistant.id} is labelled reconciler/name CorporateAssist by an "
        "earlier reconciler (or by hand) but names no owner, so it is not adopted; if it is this "
        f"project's, adopt it with `reconcile import assistant {assistant.id}`",
    ]
