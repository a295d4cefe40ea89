"""Lint warnings, `--as-of` for deprecations, and `strict` turning warnings into errors."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from reconciler.errors import Severity
from reconciler.manifest import validate_project
from reconciler.manifest.deprecations import HORIZON_MONTHS, add_months, load, status

from .conftest import Write, doc


def _assistant(model: str, instructions: str = "Help.", tools: str = "[]") -> str:
    return doc("Assistant", "A", f"model: {model}\ninstructions: {instructions!r}\ntools: {tools}")


def _lines(project: Path, *, strict: bool = False, as_of: date | None = None) -> list[str]:
    return [str(p) for p in validate_project(project, strict=strict, as_of=as_of).problems]


def test_unpinned_model(project: Path, write: Write) -> None:
    write("a.yaml", _assistant("gpt-4.1"))
    assert _lines(project) == [
        "a.yaml:6:10: warning: model 'gpt-4.1' is an alias that moves; pin a dated snapshot "
        "(e.g. gpt-5.5-2026-04-23) [lint.model-unpinned]"
    ]


@pytest.mark.parametrize("model", ["gpt-5.5-2026-04-23", "gpt-4-0613", "o3-2025-04-16"])
def test_pinned_models_pass(project: Path, write: Write, model: str) -> None:
    write("a.yaml", _assistant(model))
    assert _lines(project, as_of=date(2026, 1, 1)) == []


def test_a_shutdown_within_six_months_warns_from_the_boundary_day_on(project: Path, write: Write) -> None:
    """gpt-4-0314 was announced in 2023 and shut down on 2026-03-26: the warning starts six calendar
    months before, the boundary day included, whatever the announcement date."""
    write("a.yaml", _assistant("gpt-4-0314"))
    assert _lines(project, as_of=date(2025, 9, 25)) == []
    assert _lines(project, as_of=date(2025, 9, 26)) == [
        "a.yaml:6:10: warning: model 'gpt-4-0314' is deprecated and shuts down on 2026-03-26 (in 181 days); "
        "use 'gpt-4.1' [lint.model-deprecated]"
    ]
    assert _lines(project, as_of=date(2026, 3, 25)) == [
        "a.yaml:6:10: warning: model 'gpt-4-0314' is deprecated and shuts down on 2026-03-26 (in 1 day); "
        "use 'gpt-4.1' [lint.model-deprecated]"
    ]


def test_a_shut_down_model_is_an_error_without_strict(project: Path, write: Write) -> None:
    write("a.yaml", _assistant("gpt-4-0314"))
    report = validate_project(project, strict=False, as_of=date(2026, 3, 26))
    assert not report.ok and report.desired is None
    assert [str(p) for p in report.problems] == [
        "a.yaml:6:10: error: model 'gpt-4-0314' was shut down on 2026-03-26; use 'gpt-4.1' "
        "[lint.model-shut-down]"
    ]


def test_strict_makes_the_six_month_warning_an_error(project: Path, write: Write) -> None:
    write("a.yaml", _assistant("gpt-4-0314"))
    lenient = validate_project(project, strict=False, as_of=date(2025, 9, 26))
    strict = validate_project(project, strict=True, as_of=date(2025, 9, 26))
    assert lenient.ok and [p.severity for p in lenient.problems] == [Severity.WARNING]
    assert not strict.ok
    assert [(p.severity, p.code) for p in strict.problems] == [(Severity.ERROR, "lint.model-deprecated")]


def test_a_deprecation_is_not_held_against_a_day_before_its_announcement(project: Path, write: Write) -> None:
    """gpt-4-0613: announced 2026-04-22, shut down 2026-10-23 (six months and one day later)."""
    write("a.yaml", _assistant("gpt-4-0613"))
    assert _lines(project, as_of=date(2026, 4, 21)) == []
    assert _lines(project, as_of=date(2026, 4, 22)) == []  # announced, but the shutdown is past the horizon
    assert _lines(project, as_of=date(2026, 4, 23)) == [
        "a.yaml:6:10: warning: model 'gpt-4-0613' is deprecated and shuts down on 2026-10-23 (in 183 days); "
        "use 'gpt-4.1' [lint.model-deprecated]"
    ]


@pytest.mark.parametrize(
    ("day", "later"),
    [
        (date(2026, 12, 7), date(2027, 6, 7)),
        (date(2026, 8, 31), date(2027, 2, 28)),  # no 31 February: the month's last day
        (date(2027, 8, 31), date(2028, 2, 29)),
        (date(2026, 7, 14), date(2027, 1, 14)),
    ],
)
def test_six_calendar_months(day: date, later: date) -> None:
    assert add_months(day, HORIZON_MONTHS) == later


def test_the_horizon_boundary_on_status() -> None:
    entry = load().models["gpt-4-0314"]
    before = date(2025, 9, 25)
    assert add_months(before, HORIZON_MONTHS) < entry.shutdown
    assert status("gpt-4-0314", before) is None
    soon = status("gpt-4-0314", date(2025, 9, 26))
    assert soon is not None and not soon.shut_down and "2026-03-26" in soon.message
    gone = status("gpt-4-0314", entry.shutdown)
    assert gone is not None and gone.shut_down and "'gpt-4.1'" in gone.message


def test_data_file_is_dated_and_consistent() -> None:
    data = load()
    assert data.compiled >= date(2026, 1, 1)
    assert data.source.startswith("https://platform.openai.com/")
    assert all(d.deprecated <= d.shutdown for d in data.models.values())
    assert status("gpt-5.5-2026-04-23", date(2030, 1, 1)) is None


def test_empty_instructions_and_unused_things(project: Path, write: Write) -> None:
    write("a.yaml", _assistant("gpt-5.5-2026-04-23", instructions="  "))
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
