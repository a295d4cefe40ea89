"""`spec.migrations` of a FunctionTool: good migrations build into `DesiredState.tool_migrations`, every
bad form fails at its file:line:col, nothing is imported, and migrations change no plan or fingerprint."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from reconciler.manifest import load_project, validate_project
from reconciler.model.live import LiveState
from reconciler.model.specs import assistant_spec, behaviour_fingerprint
from reconciler.model.stored import StoredState
from reconciler.model.upcasts import (
    DefaultStep,
    DropStep,
    MapEnumStep,
    MoveStep,
    PythonStep,
    RenameStep,
    ToNumberStep,
    ToStringStep,
)
from reconciler.plan.planner import build_plan

from .conftest import Write, doc

PARAMETERS = """parameters:
  type: object
  properties:
    start_date: {type: string}
"""
ASSISTANT = doc("Assistant", "A", "model: gpt-4.1\ninstructions: Help.\ntools: [list-expenses]")
# In the tool's file `migrations:` is line 11, so the first migration is on line 12.


def _tool(migrations: str, name: str = "list-expenses") -> str:
    body = "\n".join("  " + line for line in migrations.strip("\n").splitlines())
    return doc("FunctionTool", name, f"name: list_expenses\n{PARAMETERS}migrations:\n{body}")


def _errors(project: Path, write: Write, migrations: str) -> list[str]:
    write("tool.yaml", _tool(migrations))
    write("a.yaml", ASSISTANT)
    return [str(p) for p in validate_project(project).errors]


GOOD = """- from: 2
  to: 3
  steps:
    - python: upcasts.expenses:fix_dates
- from: 1
  to: 2
  steps:
    - rename: {from: /from, to: /start_date}
    - move: {from: /start, to: /period/start}
    - default: {path: /currency, value: EUR}
    - drop: /legacy
    - mapEnum: {path: /unit, values: {min: minutes, hr: hours}}
    - toNumber: /amount
    - toString: /id
"""


def test_good_migrations_build_sorted_by_from_under_the_function_name(project: Path, write: Write) -> None:
    write("tool.yaml", _tool(GOOD))
    write("a.yaml", ASSISTANT)
    desired = load_project(project).desired
    migrations = desired.tool_migrations["list_expenses"]
    assert [(m.tool, m.from_revision, m.to_revision) for m in migrations] == [
        ("list_expenses", 1, 2),
        ("list_expenses", 2, 3),
    ]
    assert migrations[0].steps == (
        RenameStep(source="/from", target="/start_date"),
        MoveStep(source="/start", target="/period/start"),
        DefaultStep(path="/currency", value="EUR"),
        DropStep(path="/legacy"),
        MapEnumStep(path="/unit", values={"min": "minutes", "hr": "hours"}),
        ToNumberStep(path="/amount"),
        ToStringStep(path="/id"),
    )
    assert migrations[1].steps == (PythonStep(ref="upcasts.expenses:fix_dates"),)
    # Validating never imports a python step's module (a manifest in a pull request must not run code).
    assert "upcasts" not in sys.modules and "upcasts.expenses" not in sys.modules


def test_a_tool_without_migrations_has_none(project: Path, write: Write) -> None:
    write("tool.yaml", doc("FunctionTool", "list-expenses", f"name: list_expenses\n{PARAMETERS}"))
    write("a.yaml", ASSISTANT)
    assert load_project(project).desired.tool_migrations == {}


@pytest.mark.parametrize(
    ("migrations", "expected"),
    [
        (
            "- {from: 1, to: 2, steps: [{renam: {from: /a, to: /b}}]}",
            "tool.yaml:12:33: error: spec.migrations[0].steps[0].renam: unknown field; "
            "did you mean 'rename'?",
        ),
        (
            "- {from: 1, to: 2, steps: [{drop: a}]}",
            "tool.yaml:12:39: error: spec.migrations[0].steps[0].drop: 'a' is not a JSON pointer",
        ),
        (
            "- {from: 1, to: 2, steps: [{drop: /a~2}]}",
            "tool.yaml:12:39: error: spec.migrations[0].steps[0].drop: '/a~2' is not a JSON pointer",
        ),
        (
            "- {from: 1, to: 2, steps: [{rename: {from: /a, to: b}}]}",
            "tool.yaml:12:56: error: spec.migrations[0].steps[0].rename.to: 'b' is not a JSON pointer",
        ),
        (
            "- {from: 1, to: 3, steps: [{drop: /a}]}",
            "tool.yaml:12:21: error: spec.migrations[0].to: a migration goes from one revision to the next: "
            "to must be 2, not 3",
        ),
        (
            "- {from: 1, to: 2, steps: [{drop: /a}]}\n- {from: 1, to: 2, steps: [{drop: /b}]}",
            "tool.yaml:13:14: error: spec.migrations[1].from: a second migration from revision 1 (the first "
            "is at line 12)",
        ),
        (
            "- {from: 1, to: 2, steps: [{python: fix_dates}]}",
            "tool.yaml:12:41: error: spec.migrations[0].steps[0].python: 'fix_dates' is not a python step: "
            "write package.module:function",
        ),
        (
            "- {from: 1, to: 2, steps: [{python: 'os.path:join()'}]}",
            "tool.yaml:12:41: error: spec.migrations[0].steps[0].python: 'os.path:join()' is not "
            "a python step",
        ),
        (
            "- {from: 1, to: 2, steps: [{drop: /a, toNumber: /b}]}",
            "tool.yaml:12:32: error: spec.migrations[0].steps[0]: a step has exactly one of rename, move, "
            "default, drop, mapEnum, toNumber, toString, python; this one has drop and toNumber",
        ),
        (
            "- {from: 1, to: 2, steps: [{rename: {from: /a, to: /p/a}}]}",
            "tool.yaml:12:56: error: spec.migrations[0].steps[0].rename: /a and /p/a are in "
            "different objects",
        ),
        (
            "- {from: 1, to: 2, steps: [{move: {from: /p, to: /p/q}}]}",
            "tool.yaml:12:54: error: spec.migrations[0].steps[0].move: /p/q is /p or inside it",
        ),
        (
            "- {from: 0, to: 2, steps: [{drop: /a}]}",
            "tool.yaml:12:14: error: spec.migrations[0].from: Input should be greater than or equal to 1",
        ),
        (
            "- {from: 1, to: 2, steps: []}",
            "tool.yaml:12:31: error: spec.migrations[0].steps: List should have at least 1 item",
        ),
    ],
)
def test_each_bad_form_fails_at_its_line_and_column(
    project: Path, write: Write, migrations: str, expected: str
) -> None:
    errors = _errors(project, write, migrations)
    assert len(errors) == 1, errors
    assert errors[0].startswith(expected), errors[0]


def test_migrations_change_no_fingerprint_and_no_plan(project: Path, write: Write) -> None:
    write("a.yaml", ASSISTANT)
    write("tool.yaml", doc("FunctionTool", "list-expenses", f"name: list_expenses\n{PARAMETERS}"))
    without = load_project(project).desired
    write("tool.yaml", _tool(GOOD))
    with_migrations = load_project(project).desired
    assert with_migrations.tool_migrations and not without.tool_migrations
    assert with_migrations.function_tools == without.function_tools
    assert with_migrations.assistants == without.assistants
    spec = assistant_spec(with_migrations.assistants["A"])
    assert behaviour_fingerprint(spec) == behaviour_fingerprint(assistant_spec(without.assistants["A"]))
    plans = [
        build_plan(d, LiveState(), StoredState(workspace="local"), owner="tests")
        for d in (without, with_migrations)
    ]
    assert plans[0].changes and plans[0].changes == plans[1].changes
