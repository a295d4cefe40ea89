"""`reconcile validate` and `reconcile schema` through the real entry point: exit codes and output."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reconciler.cli.main import run

REPO = Path(__file__).resolve().parents[3]
BROKEN = REPO / "tests" / "fixtures" / "broken"


def test_example_is_valid_under_strict(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(REPO)
    assert run(["validate", "--strict", "--as-of", "2026-11-25", "manifests/"]) == 0
    out = capsys.readouterr().out
    assert out == "valid: 5 documents in 5 files, 0 errors, 0 warnings\n"


def test_example_is_valid_under_strict_today(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(REPO)
    assert run(["validate", "--strict", "manifests/"]) == 0


def test_broken_fixtures_exit_1_listing_every_problem(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["validate", str(BROKEN)]) == 1
    captured = capsys.readouterr()
    expected = (BROKEN / "expected.txt").read_text().splitlines()
    lines = captured.out.splitlines()
    assert lines[:-1] == expected
    assert lines[-1].startswith("invalid: ")
    assert "Traceback" not in captured.err


def test_json_output(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["validate", "-json", str(BROKEN)]) == 1
    payload = json.loads(capsys.readouterr().out)
    assert payload["valid"] is False
    first = payload["problems"][0]
    assert set(first) == {"file", "line", "column", "severity", "code", "message"}
    expected = (BROKEN / "expected.txt").read_text().splitlines()
    assert len(payload["problems"]) == len(expected)


def test_bad_as_of_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["validate", "--as-of", "soon", str(REPO / "manifests")]) == 1
    assert "is not a date" in capsys.readouterr().err


def test_missing_directory_is_reported_without_traceback(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    assert run(["validate", str(tmp_path / "nope")]) == 1
    captured = capsys.readouterr()
    assert "nope: error: no such file or directory [project.not-a-directory]" in captured.out
    assert "Traceback" not in captured.err


def test_a_file_given_as_the_directory_is_named_once(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    (tmp_path / "afile").write_text("x")
    assert run(["validate", str(tmp_path / "afile")]) == 1
    out = capsys.readouterr().out
    assert f"{tmp_path / 'afile'}: error: not a directory [project.not-a-directory]" in out
    assert out.count("afile") == 1


def test_schema_prints_the_committed_schema(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["schema"]) == 0
    assert capsys.readouterr().out == (REPO / "schemas" / "reconciler.schema.json").read_text()


def test_a_directory_inside_the_manifests_validates_the_whole_project(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert run(["validate", str(BROKEN / "files")]) == 1
    captured = capsys.readouterr()
    assert captured.out.splitlines()[:-1] == (BROKEN / "expected.txt").read_text().splitlines()
    assert captured.err == (
        f"note: {BROKEN / 'files'} is part of the project at {BROKEN}; "
        "validated the whole project, every file included\n"
    )


def test_without_a_directory_validates_the_project_above(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(REPO / "manifests" / "files")
    assert run(["validate", "--strict", "--as-of", "2026-11-25"]) == 0
    captured = capsys.readouterr()
    assert captured.out == "valid: 5 documents in 5 files, 0 errors, 0 warnings\n"
    assert captured.err == ""


def test_plan_of_broken_manifests_lists_every_problem_with_its_location(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """`plan` used to print only "N problems in manifests": the user had to run validate to learn where."""
    assert run(["plan", str(BROKEN)]) == 1
    err = capsys.readouterr().err.splitlines()
    expected = [line for line in (BROKEN / "expected.txt").read_text().splitlines() if ": error: " in line]
    assert err[:-1] == expected
    assert err[-1] == f"error: {len(expected)} problems in manifests"


def test_counts_agree_with_their_nouns(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """Issue 13 item 5: it said "1 documents in 1 files, 0 errors, 1 warnings"."""
    (tmp_path / "reconcile.yaml").write_text(
        "apiVersion: reconciler.dev/v1\nkind: Project\nmetadata: {name: t}\nspec: {}\n"
    )
    (tmp_path / "a.yaml").write_text(
        "apiVersion: reconciler.dev/v1\nkind: Assistant\nmetadata: {name: A}\n"
        "spec: {model: gpt-4.1, instructions: Help.}\n"
    )
    assert run(["validate", str(tmp_path)]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == "valid: 1 document in 1 file, 0 errors, 1 warning"
