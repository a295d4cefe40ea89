"""Conversation items upcast between two versions: the per-tool plan (identity, chain, removed, no path),
only function calls' arguments rewritten, failures naming conversation, item and pointer; and the python
escape hatch imported from the project root only."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

from reconciler.model.stored import VersionRecord
from reconciler.model.upcasts import PythonStep, RenameStep, ToolMigration
from reconciler.threads.python_steps import PythonStepError, project_loader
from reconciler.threads.revisions import ToolRevisions
from reconciler.threads.transform import (
    Disposition,
    ItemUpcastError,
    RevisionUnknown,
    build_upcast_plan,
    transform_items,
)
from reconciler.threads.upcast import Function, NoMigrationPath

OLD = {"type": "object", "properties": {"from": {"type": "string"}}, "required": ["from"]}
NEW = {
    "type": "object",
    "properties": {"start_date": {"type": "string", "format": "date"}},
    "required": ["start_date"],
    "additionalProperties": False,
}
PING = {"type": "object", "properties": {}}


def _version(number: int, **tools: dict[str, Any]) -> VersionRecord:
    bundle = {
        "id": f"b{number}",
        "model": "gpt-4.1",
        "tools": [{"type": "function", "name": n, "parameters": s, "strict": True} for n, s in tools.items()],
    }
    return VersionRecord(
        assistant="a", number=number, platform_id=f"b{number}", fingerprint=f"f{number}", bundle=bundle
    )


V1, V2 = _version(1, list_expenses=OLD, ping=PING, gone=PING), _version(2, list_expenses=NEW, ping=PING)
REVISIONS = ToolRevisions([V1, V2])
RENAME = {
    "list_expenses": (
        ToolMigration(
            tool="list_expenses",
            from_revision=1,
            to_revision=2,
            steps=(RenameStep(source="/from", target="/start_date"),),
        ),
    )
}


def _no_python(ref: str) -> Function:
    raise AssertionError(ref)


def _items(*arguments: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = [{"type": "message", "role": "user", "content": "expenses?"}]
    for n, text in enumerate(arguments):
        items.append(
            {
                "type": "function_call",
                "id": f"fc_{n}",
                "call_id": f"call_{n}",
                "name": "list_expenses",
                "arguments": text,
            }
        )
        items.append({"type": "function_call_output", "call_id": f"call_{n}", "output": "[]"})
    items.append(
        {
            "type": "function_call",
            "id": "fc_p",
            "call_id": "call_p",
            "name": "ping",
            "arguments": '{ "x" : 1 }',
        }
    )
    return items


def test_the_plan_says_per_tool_what_its_calls_become() -> None:
    plan = build_upcast_plan(V1, V2, REVISIONS, RENAME, load_python=_no_python)
    assert {t: u.disposition for t, u in plan.tools.items()} == {
        "list_expenses": Disposition.CHAIN,
        "ping": Disposition.IDENTITY,
        "gone": Disposition.REMOVED,
    }
    assert plan.removed == ("gone",)
    assert plan.tools["list_expenses"].schema == NEW and plan.tools["list_expenses"].strict


def test_only_function_call_arguments_change() -> None:
    plan = build_upcast_plan(V1, V2, REVISIONS, RENAME, load_python=_no_python)
    items = _items('{"from": "2025-01-01"}', '{"from": "2025-02-01"}')
    out = transform_items("conv_1", items, plan)
    assert json.loads(out[1]["arguments"]) == {"start_date": "2025-01-01"}
    assert json.loads(out[3]["arguments"]) == {"start_date": "2025-02-01"}
    for before, after in zip(items, out, strict=True):
        assert {k: v for k, v in after.items() if k != "arguments"} == {
            k: v for k, v in before.items() if k != "arguments"
        }
    assert out[-1]["arguments"] == '{ "x" : 1 }'  # identity: byte for byte
    assert items[1]["arguments"] == '{"from": "2025-01-01"}'  # the input is not changed


def test_an_invalid_result_names_conversation_item_and_pointer() -> None:
    plan = build_upcast_plan(V1, V2, REVISIONS, RENAME, load_python=_no_python)
    with pytest.raises(ItemUpcastError) as raised:
        transform_items("conv_1", _items('{"from": "2025-01-01"}', '{"from": "x"}'), plan)
    assert str(raised.value) == "conversation conv_1 item 3 (fc_1) /start_date: 'x' is not a 'date'"
    assert (raised.value.item_index, raised.value.item_id, raised.value.pointer) == (3, "fc_1", "/start_date")
    with pytest.raises(ItemUpcastError, match=r"item 1 \(fc_0\) \(arguments\): the arguments are not JSON"):
        transform_items("conv_1", _items("{not json"), plan)


def test_a_revision_change_without_a_path_is_no_migration_path() -> None:
    with pytest.raises(NoMigrationPath) as raised:
        build_upcast_plan(V1, V2, REVISIONS, {}, load_python=_no_python)
    assert (raised.value.tool, raised.value.from_revision, raised.value.to_revision) == (
        "list_expenses",
        1,
        2,
    )
    assert "spec.migrations" in str(raised.value)
    with pytest.raises(NoMigrationPath, match="only run forward"):
        build_upcast_plan(V2, V1, REVISIONS, RENAME, load_python=_no_python)


def test_a_version_without_recorded_tools_is_refused() -> None:
    old = VersionRecord(assistant="a", number=3, platform_id="asst_3", fingerprint="f3")
    with pytest.raises(RevisionUnknown, match="version 3 did not record"):
        build_upcast_plan(old, V2, REVISIONS, RENAME, load_python=_no_python)


def test_python_steps_are_loaded_once_when_the_plan_is_built() -> None:
    loaded: list[str] = []

    def load(ref: str) -> Function:
        loaded.append(ref)
        return lambda a: {"start_date": a.pop("from")}

    step = PythonStep(ref="pkg.mod:fix")
    migrations = {
        "list_expenses": (
            ToolMigration(tool="list_expenses", from_revision=1, to_revision=2, steps=(step, step)),
        )
    }
    plan = build_upcast_plan(V1, V2, REVISIONS, migrations, load_python=load)
    assert loaded == ["pkg.mod:fix"]
    with pytest.raises(ItemUpcastError, match="KeyError"):  # the second step finds no `from`
        transform_items("c", _items('{"from": "2025-01-01"}'), plan)
    assert loaded == ["pkg.mod:fix"]


def _package(root: Path, name: str, body: str) -> None:
    (root / name).mkdir(parents=True)
    (root / name / "__init__.py").write_text("")
    (root / name / "steps.py").write_text(body)


def test_the_escape_hatch_imports_from_the_project_root_only_while_loading(tmp_path: Path) -> None:
    _package(tmp_path, "upcast_tmp_pkg", "def fix(a):\n    return {**a, 'fixed': True}\n")
    before = list(sys.path)
    try:
        function = project_loader(tmp_path)("upcast_tmp_pkg.steps:fix")
        assert function({"k": 1}) == {"k": 1, "fixed": True}
        assert sys.path == before
        with pytest.raises(PythonStepError, match="has no function nope"):
            project_loader(tmp_path)("upcast_tmp_pkg.steps:nope")
    finally:
        for name in ("upcast_tmp_pkg", "upcast_tmp_pkg.steps"):
            sys.modules.pop(name, None)


def test_the_escape_hatch_refuses_a_module_outside_the_project_root(tmp_path: Path) -> None:
    root, elsewhere = tmp_path / "project", tmp_path / "elsewhere"
    root.mkdir()
    _package(elsewhere, "upcast_far_pkg", "def fix(a):\n    return a\n")
    sys.path.insert(0, str(elsewhere))
    try:
        with pytest.raises(PythonStepError, match="no package upcast_far_pkg under the project root"):
            project_loader(root)("upcast_far_pkg.steps:fix")
        import upcast_far_pkg.steps  # type: ignore[import-not-found]  # now imported from elsewhere

        assert upcast_far_pkg.steps.fix({}) == {}
        _package(root, "upcast_far_pkg", "def fix(a):\n    return a\n")  # a same-named package in the root
        with pytest.raises(PythonStepError, match="resolves outside the project root"):
            project_loader(root)("upcast_far_pkg.steps:fix")
        with pytest.raises(PythonStepError, match="resolves outside the project root"):
            project_loader(root)("json.decoder:JSONDecoder")
    finally:
        sys.path.remove(str(elsewhere))
        for name in ("upcast_far_pkg", "upcast_far_pkg.steps"):
            sys.modules.pop(name, None)


def test_the_escape_hatch_runs_nothing_from_a_package_that_links_outside_the_root(tmp_path: Path) -> None:
    root, elsewhere = tmp_path / "project", tmp_path / "elsewhere"
    root.mkdir()
    ran = tmp_path / "ran"
    _package(elsewhere, "upcast_link_pkg", f"open({str(ran)!r}, 'w').close()\ndef fix(a):\n    return a\n")
    (root / "upcast_link_pkg").symlink_to(elsewhere / "upcast_link_pkg", target_is_directory=True)
    try:
        with pytest.raises(PythonStepError, match="no package upcast_link_pkg under the project root"):
            project_loader(root)("upcast_link_pkg.steps:fix")
        assert not ran.exists()  # refused before the import: its code never ran
        assert "upcast_link_pkg" not in sys.modules
    finally:
        for name in ("upcast_link_pkg", "upcast_link_pkg.steps"):
            sys.modules.pop(name, None)
