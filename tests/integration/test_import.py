"""`reconcile import` adopts unmanaged objects: labels them, records them as applied, and writes
manifests that then plan as no change (Terraform's import, with the configuration written for you)."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.cli.main import run
from reconciler.emulator import EmulatorApp, EmulatorConfig
from reconciler.model import labels
from reconciler.model.desired import Kind
from reconciler.service import open_workspace
from tests.integration.support import sdk

pytestmark = pytest.mark.filterwarnings("ignore:deprecated:DeprecationWarning")


def test_imported_objects_are_labelled_recorded_and_plan_as_no_change(project: Path) -> None:
    assert run(["apply", str(project), "--auto-approve"]) == 0
    local = EmulatorApp(EmulatorConfig(db_path=str(project / ".reconcile" / "local-platform.db")))
    client = sdk(local)
    try:
        store = client.vector_stores.create(name="legacy-docs", metadata={"team": "finance"})
        assistant = client.beta.assistants.create(
            model="gpt-4.1", name="LegacyHelper", instructions="Help.", metadata={"team": "finance"}
        )
        manifests = str(project / "manifests")
        for kind, platform_id in (("vector-store", store.id), ("assistant", assistant.id)):
            assert run(["import", kind, platform_id, "--dir", str(project), "--write", manifests]) == 0
        live = client.beta.assistants.retrieve(assistant.id)
    finally:
        client.close()
        local.close()
    assert labels.is_managed(live.metadata) and live.metadata["team"] == "finance"  # theirs kept
    with open_workspace(project) as ws:
        records = {(r.key.kind, r.platform_id): r for r in ws.store.inventory(ws.name)}
    for key in ((Kind.VECTOR_STORE, store.id), (Kind.ASSISTANT, assistant.id)):
        assert records[key].attributes["imported"] is True
    assert run(["plan", str(project), "--detailed-exitcode"]) == 0  # the written manifests match


def test_the_live_import_writes_only_inside_the_project_and_refuses_before_labelling(
    project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    local = EmulatorApp(EmulatorConfig(db_path=str(project / ".reconcile" / "local-platform.db")))
    client = sdk(local)
    try:
        store = client.vector_stores.create(name="legacy-docs")
        argv = ["import", "vector-store", store.id, "--dir", str(project), "--write", str(tmp_path / "out")]
        assert run(argv) == 1
        live = client.vector_stores.retrieve(store.id)
    finally:
        client.close()
        local.close()
    assert "outside the project root" in capsys.readouterr().err
    assert not labels.is_managed(live.metadata) and not (tmp_path / "out").exists()
