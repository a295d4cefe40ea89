"""The broken fixtures: every error class, each problem asserted exactly (message and file:line:col)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from reconciler.manifest import validate_project

from .conftest import REPO

BROKEN = REPO / "tests" / "fixtures" / "broken"
EXPECTED = [line for line in (BROKEN / "expected.txt").read_text().splitlines() if line]


@pytest.fixture(scope="module")
def actual() -> list[str]:
    # git keeps the symlink; recreate it when a checkout lost it (e.g. core.symlinks=false).
    link = BROKEN / "files" / "link-out.md"
    if not link.is_symlink():
        link.unlink(missing_ok=True)
        os.symlink("/etc/passwd", link)
    report = validate_project(BROKEN, as_of=None)
    assert not report.ok
    return [str(p) for p in report.problems]


def test_every_problem_is_listed_exactly(actual: list[str]) -> None:
    assert actual == EXPECTED


FILES = sorted({line.split(":", 1)[0] for line in EXPECTED})


@pytest.mark.parametrize("file", FILES)
def test_each_broken_file_reports_its_problems(actual: list[str], file: str) -> None:
    expected = [line for line in EXPECTED if line.startswith(file + ":")]
    assert expected, file
    assert [line for line in actual if line.startswith(file + ":")] == expected


@pytest.mark.parametrize(
    "code",
    [
        "document.kind",
        "field.unknown",
        "name.duplicate",
        "ref.dangling",
        "field.type",
        "schema.invalid",
        "metadata.too-many",
        "metadata.key-too-long",
        "metadata.value-too-long",
        "metadata.reserved-key",
        "strict.format",
        "strict.required",
        "strict.keyword",
        "path.escape",
        "path.absolute",
        "path.symlink-escape",
        "yaml.duplicate-key",
        "yaml.tag",
        "chunking.overlap",
        "file.unsupported-type",
        "field.exclusive",
        "rollout.step",
        "rollout.weight-down",
        "rollout.no-weight",
        "rollout.starting-step",
        "rollout.canary-only",
        "rollout.expectation",
        "rollout.regex",
        "rollout.smoke-tool",
        "rollout.smoke-duplicate",
        "analysis.missing-arg",
        "analysis.unknown-arg",
        "analysis.duplicate-arg",
        "analysis.count-zero",
        "analysis.condition",
        "analysis.condition-field",
        "analysis.condition-missing",
        "analysis.provider",
        "analysis.url-insecure",
        "analysis.url-arg",
        "analysis.url-placeholder",
        "analysis.min-samples",
        "analysis.duplicate-metric",
    ],
)
def test_every_error_class_is_covered(code: str) -> None:
    assert any(line.endswith(f"[{code}]") for line in EXPECTED), code


def test_escapes_name_the_manifest_line() -> None:
    lines = [line for line in EXPECTED if line.startswith("path-escape.yaml:")]
    assert (
        "path-escape.yaml:7:7: error: path '../../etc/passwd' leaves the project root [path.escape]" in lines
    )
    assert any(line.startswith("path-escape.yaml:8:7:") and "absolute" in line for line in lines)
    assert any(line.startswith("path-escape.yaml:9:7:") and "symlink" in line for line in lines)


def test_fixture_symlink_points_outside() -> None:
    link = BROKEN / "files" / "link-out.md"
    assert not Path(os.path.realpath(link)).is_relative_to(BROKEN.resolve())
