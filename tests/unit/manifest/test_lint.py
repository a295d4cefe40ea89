"""Lint warnings, `--as-of` for deprecations, and `strict` turning warnings into errors."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from reconciler.errors import Severity
from reconciler.manifest import validate_project
from reconciler.manifest.deprecations import load, status

from .conftest import Write, doc


def _assistant(model: str, instructions: str = "Help.", tools: str = "[]") -> str:
    return doc("Assistant", "A", f"model: {model}\ninstructions: {instructions!r}\ntools: {tools}")


def _lines(project: Path, *, strict: bool = False, as_of: date | None = None) -> list[str]:
    return [str(p) for p in validate_project(project, strict=strict, as_of=as_of).problems]


def test_unpinned_model(project: Path, write: Write) -> None:
    write("a.yaml", _assistant("gpt-4.1"))
    assert _lines(project) == [
        "a.yaml:6:10: warning: model 'gpt-4.1' is an alias that moves; pin a dated snapshot "
        "(e.g. gpt-4.1-2025-04-14) [lint.model-unpinned]"
    ]


@pytest.mark.parametrize("model", ["gpt-4.1-2025-04-14", "gpt-4-0613", "o3-2025-04-16"])
def test_pinned_models_pass(project: Path, write: Write, model: str) -> None:
    write("a.yaml", _assistant(model))
    assert _lines(project, as_of=date(2026, 1, 1)) == []


def test_deprecation_depends_on_the_day(project: Path, write: Write) -> None:
    write("a.yaml", _assistant("gpt-4-0613"))
    assert _lines(project, as_of=date(2026, 4, 21)) == []
    assert _lines(project, as_of=date(2026, 4, 22)) == [
        "a.yaml:6:10: warning: model 'gpt-4-0613' is deprecated and shuts down on 2026-10-23; use 'gpt-4.1' "
        "[lint.model-deprecated]"
    ]
    assert _lines(project, as_of=date(2026, 10, 23)) == [
        "a.yaml:6:10: warning: model 'gpt-4-0613' was shut down on 2026-10-23; use 'gpt-4.1' "
        "[lint.model-shut-down]"
    ]


def test_data_file_is_dated_and_consistent() -> None:
    data = load()
    assert data.compiled >= date(2026, 1, 1)
    assert data.source.startswith("https://platform.openai.com/")
    assert all(d.deprecated <= d.shutdown for d in data.models.values())
    assert status("gpt-4.1-2025-04-14", date(2030, 1, 1)) is None


def test_empty_instructions_and_unused_things(project: Path, write: Write) -> None:
    write("a.yaml", _assistant("gpt-4.1-2025-04-14", instructions="  "))
    write("t.yaml", doc("FunctionTool", "lonely", "strict: false"))
    write("v.yaml", doc("VectorStore", "Store", "files: []"))
    assert _lines(project) == [
        "a.yaml:7:17: warning: Assistant 'A' has empty instructions [lint.instructions-empty]",
        "t.yaml:4:9: warning: FunctionTool 'lonely' is not used by any assistant [lint.unused]",
        "t.yaml:6:3: warning: FunctionTool 'lonely' has no description; the model chooses tools by it "
        "[lint.tool-description]",
        "v.yaml:4:9: warning: VectorStore 'Store' is not used by any assistant [lint.unused]",
    ]


def test_strict_turns_warnings_into_errors(project: Path, write: Write) -> None:
    write("a.yaml", _assistant("gpt-4.1"))
    lenient = validate_project(project, strict=False)
    strict = validate_project(project, strict=True)
    assert lenient.ok and lenient.desired is not None
    assert [p.severity for p in lenient.problems] == [Severity.WARNING]
    assert not strict.ok and strict.desired is None
    assert [(p.severity, p.code) for p in strict.problems] == [(Severity.ERROR, "lint.model-unpinned")]
