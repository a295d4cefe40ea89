"""`service.migrate.import_export`: an Assistants-era export (the SDK's own dumps) becomes manifests in the
shapes the live `import` writes, with what an export cannot say said in the files and the warnings."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from reconciler.errors import UserError
from reconciler.model.desired import Kind
from reconciler.service.migrate import FILES_NOTE, import_export

from .exports import LIST_EXPENSES, assistant, page, save, save_lines, vector_store

STORE_ID = "vs_6aF2kP9qR1sT3uV5wX7yZ0b"
HEADER = "apiVersion: reconciler.dev/v1\n"


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """A project whose manifests live in `manifests/`; the exports are saved outside it."""
    project = tmp_path / "project"
    (project / "manifests").mkdir(parents=True)
    (project / "reconcile.yaml").write_text(
        HEADER + "kind: Project\nmetadata: {name: t}\nspec: {manifests: manifests}\n"
    )
    return project


def _docs(path: Path) -> list[dict[str, Any]]:
    return list(yaml.safe_load_all(path.read_text(encoding="utf-8")))


def test_a_page_of_assistants_and_one_of_vector_stores(root: Path, tmp_path: Path) -> None:
    assistants = save(tmp_path / "exports" / "assistants.json", page(assistant()))
    stores = save(tmp_path / "exports" / "vector_stores.json", page(vector_store()))
    out = root / "manifests" / "imported"

    migration = import_export([assistants, stores], out, directory=root)

    assert [(m.kind, m.name, m.platform_id, m.written.name) for m in migration.written] == [
        (Kind.VECTOR_STORE, "Expense-policy-2026", STORE_ID, "Expense-policy-2026.yaml"),
        (Kind.ASSISTANT, "Expense-Helper", "asst_3kQ9xR2mT7vB1nL5pW8yZ4cD", "Expense-Helper.yaml"),
    ]
    assert migration.written[1].where == f"{assistants} item 1"
    assert migration.warnings == []
    assert migration.notes == [FILES_NOTE]
    helper, tool = _docs(out / "Expense-Helper.yaml")
    assert helper == {
        "apiVersion": "reconciler.dev/v1",
        "kind": "Assistant",
        "metadata": {"name": "Expense-Helper"},
        "spec": {
            "model": "gpt-5.5-2026-04-23",
            "description": "Answers questions about the expense policy.",
            "instructions": "Answer from the expense policy and cite the rule.",
            "tools": ["list_expenses", "file_search"],
            "toolResources": {"fileSearch": {"vectorStores": ["Expense-policy-2026"]}},
            "temperature": 0.2,
            "metadata": {"team": "finance"},
        },
    }
    assert tool["kind"] == "FunctionTool" and tool["metadata"] == {"name": "list_expenses"}
    assert tool["spec"] == {
        "parameters": LIST_EXPENSES["parameters"],
        "description": LIST_EXPENSES["description"],
        "strict": True,
    }
    store_text = (out / "Expense-policy-2026.yaml").read_text()
    assert _docs(out / "Expense-policy-2026.yaml") == [
        {
            "apiVersion": "reconciler.dev/v1",
            "kind": "VectorStore",
            "metadata": {"name": "Expense-policy-2026"},
            "spec": {"files": [], "metadata": {"year": "2026"}},
        }
    ]
    assert store_text.startswith("# yaml-language-server: $schema=../../schemas/reconciler.schema.json\n")
    assert f"# Imported from {stores} item 1 (vector store {STORE_ID}; it held 3 files at export time)." in (
        store_text
    )
    assert "list them under `files:`" in store_text and "#     - path: ../files/policy.pdf" in store_text


def test_a_bare_array_and_json_lines_read_as_a_page_does(root: Path, tmp_path: Path) -> None:
    both = save(tmp_path / "all.json", [vector_store(), assistant()])
    lines = save_lines(tmp_path / "all.jsonl", vector_store(), assistant())
    first = import_export([both], root / "manifests" / "a", directory=root)
    second = import_export([lines], root / "manifests" / "b", directory=root)
    assert [m.where for m in second.written] == [f"{lines}:1", f"{lines}:2"]
    for name in ("Expense-Helper.yaml", "Expense-policy-2026.yaml"):
        assert _docs(root / "manifests" / "a" / name) == _docs(root / "manifests" / "b" / name)
    assert [m.name for m in first.written] == [m.name for m in second.written]


def test_a_store_missing_from_the_export_is_left_out_with_a_warning(root: Path, tmp_path: Path) -> None:
    used = {"file_search": {"vector_store_ids": [STORE_ID, "vs_notexported"]}}
    exported = save(tmp_path / "a.json", page(assistant(tool_resources=used), vector_store()))
    migration = import_export([exported], root / "manifests", directory=root)
    helper = _docs(root / "manifests" / "Expense-Helper.yaml")[0]
    assert helper["spec"]["toolResources"] == {"fileSearch": {"vectorStores": ["Expense-policy-2026"]}}
    assert migration.warnings == [
        f"{exported} item 1 (asst_3kQ9xR2mT7vB1nL5pW8yZ4cD) uses vector store vs_notexported, which is not "
        "in the export: left out of toolResources.fileSearch.vectorStores (add that store's export to the "
        "command to keep it)"
    ]


def test_what_an_export_cannot_carry_is_warned_about(root: Path, tmp_path: Path) -> None:
    tools = [{"type": "code_interpreter"}, {"type": "file_search", "file_search": {"max_num_results": 5}}]
    resources = {"code_interpreter": {"file_ids": ["file-Ab12", "file-Cd34"]}}
    exported = save(tmp_path / "a.json", page(assistant(tools=tools, tool_resources=resources)))
    migration = import_export([exported], root / "manifests", directory=root)
    named = f"{exported} item 1 (asst_3kQ9xR2mT7vB1nL5pW8yZ4cD)"
    assert migration.warnings == [
        f"{named}: its 2 code_interpreter files (file-Ab12, file-Cd34) cannot be carried over (an export "
        "holds no file content): list them under toolResources.codeInterpreter.files as project paths",
        f"{named}: its file_search settings (max_num_results, ranking) are not carried over",
    ]
    assert migration.notes == []  # no vector store written
    spec = _docs(root / "manifests" / "Expense-Helper.yaml")[0]["spec"]
    assert spec["tools"] == ["code_interpreter", "file_search"] and "toolResources" not in spec


def test_a_json_schema_response_format_is_written_in_manifest_form(root: Path, tmp_path: Path) -> None:
    schema = {"type": "object", "properties": {"total": {"type": "number"}}, "required": ["total"]}
    formats = {"type": "json_schema", "json_schema": {"name": "report", "schema": schema, "strict": False}}
    helper = assistant(response_format=formats, tools=[], tool_resources={})
    exported = save(tmp_path / "a.json", page(helper))
    import_export([exported], root / "manifests", directory=root)
    spec = _docs(root / "manifests" / "Expense-Helper.yaml")[0]["spec"]
    assert spec["responseFormat"] == {"type": "json_schema", "name": "report", "schema": schema}


def test_an_identical_function_tool_is_written_once_a_different_one_is_refused(
    root: Path, tmp_path: Path
) -> None:
    second = assistant(id="asst_second", name="Travel Helper", tool_resources={})
    exported = save(tmp_path / "a.json", page(assistant(tool_resources={}), second))
    import_export([exported], root / "manifests" / "ok", directory=root)
    assert [d["kind"] for d in _docs(root / "manifests" / "ok" / "Expense-Helper.yaml")] == [
        "Assistant",
        "FunctionTool",
    ]
    assert [d["kind"] for d in _docs(root / "manifests" / "ok" / "Travel-Helper.yaml")] == ["Assistant"]

    changed = {**LIST_EXPENSES, "description": "Another description."}
    tools = [{"type": "function", "function": changed}]
    other = assistant(id="asst_second", name="Travel Helper", tools=tools)
    clash = save(tmp_path / "b.json", page(assistant(tool_resources={}), other))
    with pytest.raises(UserError) as refused:
        import_export([clash], root / "manifests" / "clash", directory=root)
    assert str(refused.value).startswith(
        f"function tool 'list_expenses' of {clash} item 2 (asst_second) differs from the one of {clash} "
        "item 1 (asst_3kQ9xR2mT7vB1nL5pW8yZ4cD)"
    )
    assert not (root / "manifests" / "clash").exists()


def test_names_are_made_unique_and_labels_name_what_reconciler_managed(root: Path, tmp_path: Path) -> None:
    labelled = {"managed-by": "reconciler", "reconciler/name": "Payroll", "team": "hr"}
    exported = save(
        tmp_path / "a.json",
        [
            assistant(id="asst_one", name="Helper", tools=[], tool_resources={}),
            assistant(id="asst_two", name="Helper", tools=[], tool_resources={}),
            assistant(id="asst_three", name="v3 of payroll", metadata=labelled, tools=[], tool_resources={}),
        ],
    )
    migration = import_export([exported], root / "manifests", directory=root)
    assert [m.name for m in migration.written] == ["Helper", "Helper-asst_two", "Payroll"]
    assert migration.warnings == [
        "two Assistants are named 'Helper': asst_two is written as 'Helper-asst_two'"
    ]
    assert _docs(root / "manifests" / "Payroll.yaml")[0]["spec"]["metadata"] == {"team": "hr"}


def test_the_same_object_in_two_exports_is_written_once(root: Path, tmp_path: Path) -> None:
    first = save(tmp_path / "monday.json", page(vector_store()))
    again = save(tmp_path / "tuesday.json", page(vector_store(), vector_store(id="vs_other", name="Other")))
    migration = import_export([first, again], root / "manifests", directory=root)
    assert [m.platform_id for m in migration.written] == [STORE_ID, "vs_other"]
    assert migration.warnings == []


def test_a_page_with_more_to_list_is_warned_about(root: Path, tmp_path: Path) -> None:
    exported = save(tmp_path / "a.json", page(vector_store(), has_more=True))
    migration = import_export([exported], root / "manifests", directory=root)
    assert migration.warnings == [
        f"{exported}: has_more is true: this page ends at {STORE_ID}; the objects after it are not in the "
        "export (list them with after=<that id> and add the file)"
    ]


def test_the_write_directory_must_be_inside_the_project(root: Path, tmp_path: Path) -> None:
    exported = save(tmp_path / "a.json", page(vector_store()))
    with pytest.raises(UserError) as refused:
        import_export([exported], tmp_path / "elsewhere", directory=root)
    assert "outside the project root" in str(refused.value)
    (root / "manifests" / "out").symlink_to(tmp_path)
    with pytest.raises(UserError):
        import_export([exported], root / "manifests" / "out" / "x", directory=root)
    assert not (tmp_path / "elsewhere").exists() and not (tmp_path / "x").exists()


def test_an_existing_file_is_never_overwritten_and_nothing_is_written(root: Path, tmp_path: Path) -> None:
    exported = save(tmp_path / "a.json", page(vector_store(), assistant(tool_resources={})))
    (root / "manifests" / "Expense-Helper.yaml").write_text("# mine\n")
    with pytest.raises(UserError) as refused:
        import_export([exported], root / "manifests", directory=root)
    assert "Expense-Helper.yaml exists; not overwriting it (nothing was written)" in str(refused.value)
    assert not (root / "manifests" / "Expense-policy-2026.yaml").exists()
    assert (root / "manifests" / "Expense-Helper.yaml").read_text() == "# mine\n"


def test_a_write_directory_outside_the_manifests_is_noted(root: Path, tmp_path: Path) -> None:
    exported = save(tmp_path / "a.json", page(assistant(tools=[], tool_resources={})))
    migration = import_export([exported], root / "imported", directory=root)
    assert migration.notes == [
        f"{root / 'imported'} is outside the manifests directory (manifests): validate and plan read only "
        "that directory, so move the files there"
    ]
