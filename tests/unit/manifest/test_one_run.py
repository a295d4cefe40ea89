"""Issue 13 item 2: every problem in one run, and no follow-on problem from a document that failed to load.

The example project, broken the way a user broke it: a duplicate key, a misspelled field and a wrong
reference in one Assistant took three fix-and-rerun rounds, and a duplicate key made its assistant's tools
"not used" (or, in a FunctionTool, made the reference to it dangling).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from reconciler.manifest import validate_project

from .conftest import REPO, doc


def _example(tmp_path: Path) -> Path:
    shutil.copytree(REPO / "manifests", tmp_path / "manifests")
    shutil.copy(REPO / "reconcile.yaml", tmp_path / "reconcile.yaml")
    return tmp_path


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, old
    path.write_text(text.replace(old, new, 1))


def _problems(root: Path) -> list[str]:
    report = validate_project(root, as_of=None)
    return [f"{p.location.file}:{p.location.line}: {p.severity.value}: {p.code}" for p in report.problems]


BROKEN_SYNTAX = (
    doc("FunctionTool", "lookup", 'description: "unterminated\nstrict: true')
    + "---\n"
    + doc("FunctionTool", "notify", "description: Notify someone.\ndescripton: typo")
)


@pytest.fixture
def broken(tmp_path: Path) -> Path:
    root = _example(tmp_path)
    assistant = root / "manifests" / "corporate-assist.yaml"
    _edit(assistant, "  temperature: 0.2\n", "  temperature: 0.2\n  temperature: 0.3\n  temprature: 0.3\n")
    _edit(assistant, "vectorStores: [ExpensePolicy2026]", "vectorStores: [ExpensePolicy2025]")
    _edit(root / "manifests" / "list-expenses.yaml", "  strict: true\n", "  strict: true\n  strict: false\n")
    (root / "manifests" / "tools.yaml").write_text(BROKEN_SYNTAX)
    return root


def test_every_problem_of_every_file_in_one_run(broken: Path) -> None:
    """It took three rounds: the duplicate key, then the misspelled field, then the reference."""
    assert _problems(broken) == [
        "manifests/corporate-assist.yaml:25: error: ref.dangling",  # ExpensePolicy2025
        "manifests/corporate-assist.yaml:27: error: yaml.duplicate-key",
        "manifests/corporate-assist.yaml:28: error: field.unknown",  # temprature
        "manifests/list-expenses.yaml:9: error: yaml.duplicate-key",
        "manifests/tools.yaml:8: error: yaml.syntax",
        "manifests/tools.yaml:15: error: field.unknown",  # descripton, after the syntax error
    ]
    # One round: once the reported problems are fixed, validate finds no other.
    assistant = broken / "manifests" / "corporate-assist.yaml"
    _edit(assistant, "  temperature: 0.3\n  temprature: 0.3\n", "")
    _edit(assistant, "vectorStores: [ExpensePolicy2025]", "vectorStores: [ExpensePolicy2026]")
    _edit(broken / "manifests" / "list-expenses.yaml", "  strict: false\n", "")
    tools = broken / "manifests" / "tools.yaml"
    _edit(tools, '"unterminated', '"terminated"')
    _edit(tools, "  descripton: typo\n", "")
    assert _problems(broken) == [
        # now that they load, lint judges them: the new tools are indeed used by no assistant
        "manifests/tools.yaml:4: warning: lint.unused",
        "manifests/tools.yaml:12: warning: lint.unused",
    ]


def test_a_duplicate_key_in_an_assistant_makes_no_tool_unused(tmp_path: Path) -> None:
    root = _example(tmp_path)
    assistant = root / "manifests" / "corporate-assist.yaml"
    _edit(assistant, "  temperature: 0.2\n", "  temperature: 0.2\n  temperature: 0.3\n")
    assert _problems(root) == ["manifests/corporate-assist.yaml:27: error: yaml.duplicate-key"]


def test_a_duplicate_key_in_a_tool_leaves_the_reference_to_it_resolved(tmp_path: Path) -> None:
    root = _example(tmp_path)
    _edit(root / "manifests" / "list-expenses.yaml", "  strict: true\n", "  strict: true\n  strict: false\n")
    assert _problems(root) == ["manifests/list-expenses.yaml:9: error: yaml.duplicate-key"]


def test_a_stand_in_value_raises_no_second_problem(tmp_path: Path) -> None:
    """An alias has no value we read; its field is not also reported as missing or of the wrong type."""
    root = _example(tmp_path)
    _edit(root / "manifests" / "create-meeting.yaml", "  strict: true\n", "  strict: *yes\n")
    assert _problems(root) == ["manifests/create-meeting.yaml:8: error: yaml.alias"]


def test_a_syntax_error_hides_no_problem_read_before_it(tmp_path: Path) -> None:
    root = _example(tmp_path)
    _edit(
        root / "manifests" / "create-meeting.yaml",
        "  strict: true\n",
        "  strict: true\n  descripton: typo\n  parameters: {type: object\n",
    )
    assert _problems(root) == [
        "manifests/create-meeting.yaml:9: error: field.unknown",
        "manifests/create-meeting.yaml:11: error: yaml.syntax",
    ]


def test_a_tool_that_fails_to_load_still_has_its_parameters_checked(tmp_path: Path) -> None:
    """A misspelled field (or a bad name, or a duplicate key) in a FunctionTool hid the JSON Schema
    problems of its parameters until a second run."""
    root = _example(tmp_path)
    tool = root / "manifests" / "create-meeting.yaml"
    _edit(tool, "  strict: true\n", "  strict: true\n  descripton: typo\n")
    _edit(tool, "type: string", "type: strng")
    other = root / "manifests" / "list-expenses.yaml"
    _edit(other, "  strict: true\n", "  strict: true\n  strict: false\n")
    _edit(other, "type: string", "type: strng")
    found = _problems(root)
    assert "manifests/create-meeting.yaml:9: error: field.unknown" in found
    assert "manifests/list-expenses.yaml:9: error: yaml.duplicate-key" in found
    assert sum(p.endswith("schema.invalid") and "create-meeting" in p for p in found) == 1
    assert sum(p.endswith("schema.invalid") and "list-expenses" in p for p in found) == 1


def test_a_tool_cut_short_by_a_syntax_error_has_no_schema_problem_from_the_cut(tmp_path: Path) -> None:
    """Strict mode needs every property listed in `required`: a list the syntax error cut short must not
    make the properties after the cut "missing from required"."""
    root = _example(tmp_path)
    (root / "manifests" / "cut.yaml").write_text(
        doc(
            "FunctionTool",
            "cut",
            "description: Cut short.\nstrict: true\ndescripton: typo\nparameters:\n  type: object\n"
            "  additionalProperties: false\n  properties:\n    a: {type: string}\n"
            '  "unterminated: x\n  required: [a]\n',
        )
    )
    found = _problems(root)
    assert not [p for p in found if "cut.yaml" in p and ("strict" in p or "schema" in p)], found
