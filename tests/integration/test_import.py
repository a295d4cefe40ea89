"""`reconcile import` adopts unmanaged objects: labels them, records them as applied, and writes
manifests that then plan as no change (Terraform's import, with the configuration written for you).
`import --from-export` writes the manifests of an Assistants-era export, which apply then creates."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reconciler.cli.main import run
from reconciler.emulator import EmulatorApp, EmulatorConfig
from reconciler.model import labels
from reconciler.model.desired import Kind
from reconciler.service import open_workspace
from reconciler.service.migrate import FILES_NOTE
from tests.integration.support import APIS, edit_file, make_project, sdk
from tests.unit.service.exports import LIST_EXPENSES, assistant, page, save, save_lines, vector_store

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


def _exports(directory: Path) -> tuple[Path, Path]:
    """An assistant and its vector store as a team saved them before the Assistants API went away."""
    lookup = {**LIST_EXPENSES, "name": "lookup_policy", "description": "Find the rule for an expense."}
    helper = assistant(tools=[{"type": "function", "function": lookup}, {"type": "file_search"}])
    return (
        save(directory / "assistants.json", page(helper)),
        save_lines(directory / "vector_stores.jsonl", vector_store()),
    )


@pytest.mark.parametrize("api", APIS)
def test_an_assistants_era_export_becomes_manifests_that_validate_and_apply(
    api: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """On both flavours: the written assistant takes immutable versions (the default), which a
    Responses-era target requires (it refuses `versioning: in-place`)."""
    project = make_project(tmp_path / "project", api=api)
    # The example's budget is sized for its one assistant: a second one passes it (the gate's own tests
    # are in test_cost_estimate.py).
    edit_file(project, "reconcile.yaml", "monthlyUSD: 150", "monthlyUSD: 1000")
    # Outside the project root: the user's own files. A one-line JSON-lines file is named as JSON is.
    assistants, stores = _exports(tmp_path / "exports")
    written = project / "manifests" / "imported"
    argv = ["import", "--dir", str(project), "--write-dir", str(written)]
    assert run([*argv, "--from-export", str(assistants), "--from-export", str(stores)]) == 0
    captured = capsys.readouterr()
    assert captured.out.splitlines() == [
        f"imported VectorStore/Expense-policy-2026 [vs_6aF2kP9qR1sT3uV5wX7yZ0b] from {stores} -> "
        f"{written / 'Expense-policy-2026.yaml'} (3 files to list under files:)",
        f"imported Assistant/Expense-Helper [asst_3kQ9xR2mT7vB1nL5pW8yZ4cD] from {assistants} item 1 -> "
        f"{written / 'Expense-Helper.yaml'}",
    ]
    assert captured.err.splitlines() == [
        f"note: {FILES_NOTE}",
        "next: reconcile validate, then reconcile plan (apply creates the objects)",
    ]
    assert run(["validate", str(project)]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == "valid: 7 documents in 6 files, 0 errors, 0 warnings"
    assert "versioning" not in (written / "Expense-Helper.yaml").read_text(encoding="utf-8")
    assert run(["apply", str(project), "--auto-approve"]) == 0
    assert run(["plan", str(project), "--detailed-exitcode"]) == 0  # under management, as written


def test_a_malformed_export_is_one_line_naming_the_file_and_line(
    project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = tmp_path / "vector_stores.jsonl"
    broken.write_text(json.dumps(vector_store()) + '\n{"id": "vs_2", "object": "vector_store",}\n')
    written = project / "manifests" / "imported"
    argv = ["import", "--dir", str(project), "--from-export", str(broken), "--write-dir", str(written)]
    assert run(argv) == 1
    captured = capsys.readouterr()
    assert captured.err == (
        f"error: {broken}:2:41: not JSON: Expecting property name enclosed in double quotes\n"
    )
    assert captured.out == "" and not written.exists()


@pytest.mark.parametrize(
    ("extra", "said"),
    [
        (["assistant", "asst_1"], "give KIND ID... or --from-export FILE, not both"),
        (["--write-dir", "/tmp"], "outside the project root"),
        ([], "--from-export writes manifests: give --write-dir DIR"),
    ],
)
def test_from_export_refusals(
    project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], extra: list[str], said: str
) -> None:
    assistants, _ = _exports(tmp_path / "exports")
    assert run(["import", "--dir", str(project), "--from-export", str(assistants), *extra]) == 1
    err = capsys.readouterr().err
    assert said in err and "Traceback" not in err


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


def test_importing_an_assistant_on_a_responses_target_says_where_assistants_are(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = make_project(tmp_path / "project", api="responses")
    assert run(["import", "assistant", "asst_old", "--dir", str(root)]) == 1
    err = capsys.readouterr().err
    assert "api: responses" in err and "--from-export" in err
    assert err.count("\n") == 1  # one line, no traceback
