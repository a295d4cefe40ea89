"""Plan/apply against the emulator through the real SDK: idempotence, single-field updates, file removal,
deletion safety and drift. Every test checks what the platform holds afterwards, not only exit codes."""

from __future__ import annotations

import threading
import warnings
from pathlib import Path
from typing import Any

import pytest

from reconciler import service
from reconciler.cli.main import run
from reconciler.emulator import EmulatorApp, EmulatorConfig
from reconciler.errors import ManifestError, PlanRejected
from reconciler.model.desired import Kind
from reconciler.plan import prepare
from reconciler.plan.definition import Action
from tests.integration.support import (
    APIS,
    CLEAN_COUNTS,
    apply_project,
    edit_file,
    inventory,
    make_project,
    plan_project,
    platform_state,
    sdk,
    transport,
)

pytestmark = pytest.mark.filterwarnings("ignore:deprecated:DeprecationWarning")

MANIFEST = "manifests/corporate-assist.yaml"
POLICY = "manifests/expense-policy.yaml"


@pytest.fixture(params=APIS)
def project(tmp_path: Path, request: pytest.FixtureRequest) -> Path:
    """The example project, on each platform flavour."""
    return make_project(tmp_path / "project", api=request.param)


@pytest.fixture
def v2_project(tmp_path: Path) -> Path:
    """For what only Assistants v2 has: platform assistants, their pages and their out-of-band edits."""
    return make_project(tmp_path / "project", api="assistants-v2")


def _responses(root: Path) -> bool:
    return "api: responses" in (root / "reconcile.yaml").read_text(encoding="utf-8")


def _clean(root: Path, **counts: int) -> dict[str, int]:
    """The platform's object counts after a clean apply: on the Responses era, no assistant."""
    expected = {**CLEAN_COUNTS, **counts}
    return {**expected, "assistants": 0} if _responses(root) else expected


def _serving(root: Path, app: EmulatorApp) -> tuple[str, float | None, list[str]]:
    """The serving version's id, temperature and file_search stores: the one platform assistant, or the
    bundle the store's inventory names (the Responses era keeps no assistant on the platform)."""
    if not _responses(root):
        (assistant,) = platform_state(app).assistants
        return assistant.id, assistant.temperature, assistant.tool_resources.file_search.vector_store_ids
    assert platform_state(app).assistants == []
    with service.open_workspace(root, transport=transport(app)) as ws:
        stored = ws.store.read(ws.name)
    (record,) = [r for r in stored.inventory if r.key.kind is Kind.ASSISTANT]
    (bundle,) = [v.bundle for v in stored.versions if v.platform_id == record.platform_id]
    return record.platform_id, bundle["temperature"], bundle["file_search_vector_store_ids"]


def _actions(plan: object) -> dict[str, str]:
    from reconciler.plan.definition import Plan

    assert isinstance(plan, Plan)
    return {str(c.address): c.action.value for c in plan.changes if c.action is not Action.NOOP}


def test_a_no_op_plan_sends_only_the_list_pages_it_needs(project: Path, app: EmulatorApp) -> None:
    """One page per kind and one file page for the one managed store: no GET per resource, and the
    early file listing of inventory stores never lists anything twice or lists a non-store id."""
    apply_project(project, transport(app))
    with service.open_workspace(project, transport=transport(app)) as ws:
        plan, _ = service.make_plan(ws)
        routes = dict(ws.stats.by_route)
    assert not plan.has_changes
    store_files = [r for r in routes if r.startswith("GET /v1/vector_stores/") and r.endswith("/files")]
    assert len(store_files) == 1 and routes[store_files[0]] == 1
    assert routes.pop(store_files[0]) == 1
    listed = {"GET /v1/vector_stores": 1} if _responses(project) else {"GET /v1/assistants": 1}
    assert routes == {"GET /v1/vector_stores": 1, **listed}  # bundles cost no request


def test_a_plan_digests_each_live_assistant_once_as_its_page_arrives(
    v2_project: Path, app: EmulatorApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The live side of planning is done on the reader thread while later pages travel; the planner
    then reuses those digests instead of computing them again after the read."""
    project = v2_project
    apply_project(project, transport(app))
    threads: list[str] = []
    made = prepare.live_digest

    def spy(assistant: Any, names: Any) -> Any:
        threads.append(threading.current_thread().name)
        return made(assistant, names)

    monkeypatch.setattr(prepare, "live_digest", spy)
    with service.open_workspace(project, transport=transport(app)) as ws:
        # Pages that beat the store read are left to the planner (the sink never waits); here the
        # store read finishes first, as it does beside a remote platform's first page.
        stored = threading.Event()
        store_read, target_read = ws.store.read, ws.target.read

        def read_store(workspace: str) -> Any:
            try:
                return store_read(workspace)
            finally:
                stored.set()

        def read_target(*args: Any, **kwargs: Any) -> Any:
            assert stored.wait(timeout=10)
            return target_read(*args, **kwargs)

        monkeypatch.setattr(ws.store, "read", read_store)
        monkeypatch.setattr(ws.target, "read", read_target)
        plan, _ = service.make_plan(ws)
    live_assistants = len(platform_state(app).assistants)
    assert not plan.has_changes and live_assistants >= 1
    assert len(threads) == live_assistants
    assert threading.main_thread().name not in threads


def test_apply_twice_gives_an_empty_second_plan(project: Path, app: EmulatorApp) -> None:
    first, report = apply_project(project, transport(app))
    assert report is not None and report.ok
    assert first.summary.create == 6

    second, second_report = apply_project(project, transport(app))
    assert not second.has_changes
    assert second_report is None  # nothing to execute
    assert not plan_project(project, transport(app)).has_changes

    state = platform_state(app)
    assert state.counts() == _clean(project)
    assert state.orphan_files == []
    serving, temperature, stores = _serving(project, app)
    assert temperature == pytest.approx(0.2)
    assert stores == [state.vector_stores[0].id]
    # The inventory records exactly the platform's objects (and, on the Responses era, the bundle).
    records = inventory(project, transport(app))
    by_kind = {kind: {r.platform_id for r in records if r.key.kind is kind} for kind in Kind}
    assert by_kind[Kind.ASSISTANT] == {serving}
    assert {r.platform_id for r in records if r.key.kind is Kind.FILE} == {f.id for f in state.files}


def test_cli_apply_then_plan_detailed_exitcode(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The CLI on the `local` target (the emulator's DB under .reconcile/)."""
    assert run(["plan", str(project), "--detailed-exitcode"]) == 2
    assert run(["apply", str(project), "--auto-approve"]) == 0
    capsys.readouterr()
    assert run(["plan", str(project), "--detailed-exitcode"]) == 0
    assert "No changes" in capsys.readouterr().out

    local = EmulatorApp(EmulatorConfig(db_path=str(project / ".reconcile" / "local-platform.db")))
    try:
        assert platform_state(local).counts() == _clean(project)
    finally:
        local.close()


def test_changing_one_field_plans_exactly_one_update(project: Path, app: EmulatorApp) -> None:
    # `versioning: immutable` (the example's) would create a new version; in place, it is an update.
    edit_file(project, MANIFEST, "versioning: immutable", "versioning: in-place")
    if _responses(project):  # bundles are immutable: in place is refused at its line, nothing is read
        with pytest.raises(
            ManifestError, match=r"corporate-assist.yaml:\d+:\d+: error: versioning: in-place"
        ):
            apply_project(project, transport(app))
        assert app.requests_served == 0
        return
    apply_project(project, transport(app))
    before, _, _ = _serving(project, app)
    edit_file(project, MANIFEST, "temperature: 0.2", "temperature: 0.7")

    plan = plan_project(project, transport(app))
    assert _actions(plan) == {"Assistant/CorporateAssist": "update"}
    (change,) = plan.actionable()
    assert [(c.path, c.before, c.after) for c in change.changes] == [("temperature", 0.2, 0.7)]

    _, report = apply_project(project, transport(app))
    assert report is not None and report.ok
    after, temperature, _ = _serving(project, app)
    assert after == before  # updated in place, not recreated
    assert temperature == pytest.approx(0.7)
    assert platform_state(app).counts() == _clean(project)
    assert not plan_project(project, transport(app)).has_changes


def test_removing_a_file_from_the_vector_store_detaches_and_deletes_it(
    project: Path, app: EmulatorApp
) -> None:
    apply_project(project, transport(app))
    kept = {f.id for f in platform_state(app).files if f.filename.startswith("expense-rules.rcl-")}
    edit_file(
        project,
        POLICY,
        "    - path: files/per-diem-2026.md\n      attributes: {year: 2026, kind: per-diem}\n",
        "",
    )
    plan = plan_project(project, transport(app))
    assert _actions(plan) == {
        "VectorStoreFile/ExpensePolicy2026/manifests/files/per-diem-2026.md": "delete",
        "File/manifests/files/per-diem-2026.md": "delete",
    }

    _, report = apply_project(project, transport(app))
    assert report is not None and report.ok
    state = platform_state(app)
    assert {f.id for f in state.files} == kept
    assert list(state.attached.values()) == [sorted(kept)]
    assert state.counts() == _clean(project, files=1, attached=1)
    assert not plan_project(project, transport(app)).has_changes


def test_removing_everything_is_refused_without_allow_empty(project: Path, app: EmulatorApp) -> None:
    apply_project(project, transport(app))
    for manifest in (project / "manifests").glob("*.yaml"):
        manifest.unlink()

    with pytest.raises(PlanRejected, match="--allow-empty"):
        apply_project(project, transport(app))
    assert platform_state(app).counts() == _clean(project)  # nothing was touched

    plan, report = apply_project(project, transport(app), allow_empty=True)
    assert plan.summary.delete == 6
    assert report is not None and report.ok
    state = platform_state(app)
    assert state.counts() == {"assistants": 0, "vector_stores": 0, "files": 0, "attached": 0}
    assert inventory(project, transport(app)) == ()


def test_protect_refuses_deletion_even_after_the_manifest_is_gone(project: Path, app: EmulatorApp) -> None:
    edit_file(project, MANIFEST, "  versioning: immutable\n", "  versioning: immutable\n  protect: true\n")
    apply_project(project, transport(app))
    records = inventory(project, transport(app))
    assert [r.protect for r in records if r.key.kind is Kind.ASSISTANT] == [True]

    (project / MANIFEST).unlink()
    with pytest.raises(PlanRejected, match=r"protected.*Assistant/CorporateAssist"):
        plan_project(project, transport(app))
    with pytest.raises(PlanRejected, match="protected"):
        apply_project(project, transport(app), allow_empty=True)
    assert platform_state(app).counts() == _clean(project)


def test_out_of_band_edit_is_drift_and_an_update(v2_project: Path, app: EmulatorApp) -> None:
    project = v2_project
    edit_file(project, MANIFEST, "versioning: immutable", "versioning: in-place")
    apply_project(project, transport(app))
    (assistant,) = platform_state(app).assistants
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        client = sdk(app)
        client.beta.assistants.update(assistant.id, temperature=0.9)
        client.close()

    plan = plan_project(project, transport(app))
    assert [str(d.address) for d in plan.drift] == ["Assistant/CorporateAssist"]
    assert any(c.path == "temperature" and c.after == 0.9 for c in plan.drift[0].changes)
    assert _actions(plan) == {"Assistant/CorporateAssist": "update"}

    _, report = apply_project(project, transport(app))
    assert report is not None and report.ok
    (restored,) = platform_state(app).assistants
    assert restored.id == assistant.id
    assert restored.temperature == pytest.approx(0.2)
    assert plan_project(project, transport(app)).drift == ()


def test_cli_drift_exits_2_after_an_out_of_band_edit(
    v2_project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = v2_project
    assert run(["apply", str(project), "--auto-approve"]) == 0
    assert run(["drift", str(project)]) == 0
    local = EmulatorApp(EmulatorConfig(db_path=str(project / ".reconcile" / "local-platform.db")))
    try:
        (assistant,) = platform_state(local).assistants
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            client = sdk(local)
            client.beta.assistants.update(assistant.id, instructions="Be terse.")
            client.close()
    finally:
        local.close()
    capsys.readouterr()
    assert run(["drift", str(project)]) == 2
    out = capsys.readouterr().out
    assert f"~ Assistant/CorporateAssist ({assistant.id})" in out
    assert "instructions" in out
    assert run(["plan", str(project), "--detailed-exitcode"]) == 2


def test_an_out_of_band_store_edit_is_drift_and_an_update(
    project: Path, app: EmulatorApp, capsys: pytest.CaptureFixture[str]
) -> None:
    """A vector store given an expiry out of band is drift and an update, on both flavours (on the
    Responses era the platform objects are all there is to drift; bundles are written by apply only)."""
    apply_project(project, transport(app))
    (store,) = platform_state(app).vector_stores
    client = sdk(app)
    try:
        client.vector_stores.update(store.id, expires_after={"anchor": "last_active_at", "days": 7})
    finally:
        client.close()
    plan = plan_project(project, transport(app))
    assert [str(d.address) for d in plan.drift] == ["VectorStore/ExpensePolicy2026"]
    assert _actions(plan) == {"VectorStore/ExpensePolicy2026": "update"}
    _, report = apply_project(project, transport(app))
    assert report is not None and report.ok
    assert plan_project(project, transport(app)).drift == ()


@pytest.mark.parametrize("command", [["plan"], ["apply", "--auto-approve"], ["drift"]])
def test_the_cli_plans_with_the_collector_paused_and_gives_it_back(
    project: Path, command: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The CLI owns its process, so it pauses the cyclic collector while it plans (library calls do
    not); collection is on again when the command returns."""
    import gc

    from reconciler.service import planning

    during: list[bool] = []
    real = planning._make_plan

    def spy(*args: Any, **kwargs: Any) -> Any:
        during.append(gc.isenabled())
        return real(*args, **kwargs)

    monkeypatch.setattr(planning, "_make_plan", spy)
    gc.enable()
    assert run([command[0], str(project), *command[1:]]) == 0
    assert during == [False]
    assert gc.isenabled()
