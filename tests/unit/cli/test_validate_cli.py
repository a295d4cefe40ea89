"""`reconcile validate` and `reconcile schema` through the real entry point: exit codes and output."""

from __future__ import annotations

import json
import shutil
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
    assert out == "valid: 6 documents in 6 files, 0 errors, 0 warnings\n"


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
    assert captured.out == "valid: 6 documents in 6 files, 0 errors, 0 warnings\n"
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


def _project_with_model(root: Path, model: str) -> Path:
    (root / "manifests").mkdir(parents=True)
    (root / "reconcile.yaml").write_text(
        "apiVersion: reconciler.dev/v1\nkind: Project\nmetadata: {name: t}\nspec: {manifests: manifests}\n"
    )
    (root / "manifests" / "helper.yaml").write_text(
        "apiVersion: reconciler.dev/v1\nkind: Assistant\nmetadata:\n  name: Helper\nspec:\n"
        f"  model: {model}\n  instructions: Help.\n  tools: []\n"
    )
    return root


def test_strict_fails_on_a_model_shutting_down_within_six_months(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """gpt-4.1-2025-04-14 shuts down on 2027-01-14 (announced 2026-10-14): a warning on 2026-12-07, so
    `--strict` exits 1 naming the model, the day and the replacement at the model's line and column."""
    root = _project_with_model(tmp_path, "gpt-4.1-2025-04-14")
    line = (
        "manifests/helper.yaml:6:10: {}: model 'gpt-4.1-2025-04-14' is deprecated and shuts down on "
        "2027-01-14 (in 38 days); use 'gpt-6.1-sol' [lint.model-deprecated]"
    )
    assert run(["validate", "--as-of", "2026-12-07", str(root)]) == 0
    assert capsys.readouterr().out.splitlines() == [
        line.format("warning"),
        "valid: 1 document in 1 file, 0 errors, 1 warning",
    ]
    assert run(["validate", "--strict", "--as-of", "2026-12-07", str(root)]) == 1
    assert capsys.readouterr().out.splitlines() == [
        line.format("error"),
        "invalid: 1 document in 1 file, 1 error, 0 warnings",
    ]


def test_a_shut_down_model_fails_without_strict(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    root = _project_with_model(tmp_path, "gpt-4.1-2025-04-14")
    assert run(["validate", "--as-of", "2027-01-14", str(root)]) == 1
    assert capsys.readouterr().out.splitlines()[0] == (
        "manifests/helper.yaml:6:10: error: model 'gpt-4.1-2025-04-14' was shut down on 2027-01-14; "
        "use 'gpt-6.1-sol' [lint.model-shut-down]"
    )


def test_the_example_model_is_clear_of_the_six_month_horizon() -> None:
    """The example's model is not scheduled to shut down within six months of the day the table was
    compiled (`test_example_is_valid_under_strict_today` checks the day the suite runs)."""
    from reconciler.manifest.deprecations import load, status

    compiled = load().compiled
    assert status("gpt-5.5-2026-04-23", compiled) is None
    assert "model: gpt-5.5-2026-04-23" in (REPO / "manifests" / "corporate-assist.yaml").read_text()


def test_in_place_versioning_on_a_responses_only_project_is_an_error_at_its_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Every target keeps bundles: `validate` says where, as plan would refuse it (issue 15 review)."""
    root = tmp_path / "project"
    shutil.copytree(REPO / "manifests", root / "manifests")
    shutil.copy(REPO / "reconcile.yaml", root / "reconcile.yaml")
    manifest = root / "manifests" / "corporate-assist.yaml"
    manifest.write_text(
        manifest.read_text(encoding="utf-8").replace("versioning: immutable", "versioning: in-place"),
        encoding="utf-8",
    )
    assert run(["validate", str(root)]) == 1
    out = capsys.readouterr().out
    assert "manifests/corporate-assist.yaml:30:15: error: versioning: in-place" in out
    assert "[assistant.in-place-bundle]" in out


def test_a_typo_in_the_project_file_is_its_one_error_not_a_lint_of_the_repository(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tmp_path / "project"
    shutil.copytree(REPO / "manifests", root / "manifests")
    (root / "docs").mkdir()
    (root / "docs" / "notes.yaml").write_text("title: not a manifest\n", encoding="utf-8")
    text = (REPO / "reconcile.yaml").read_text(encoding="utf-8")
    (root / "reconcile.yaml").write_text(text.replace("api: responses", "api: respones", 1), encoding="utf-8")
    assert run(["validate", str(root)]) == 1
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 2 and out[0].startswith("reconcile.yaml:") and "respones" in out[0]
    assert "notes.yaml" not in "\n".join(out)


def test_a_state_dsn_of_an_unknown_scheme_is_an_error_at_its_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tmp_path / "project"
    shutil.copytree(REPO / "manifests", root / "manifests")
    text = (REPO / "reconcile.yaml").read_text(encoding="utf-8")
    (root / "reconcile.yaml").write_text(
        text.replace("sqlite:///.reconcile", "sqlit:///.reconcile"), encoding="utf-8"
    )
    assert run(["validate", str(root)]) == 1
    (line, _summary) = capsys.readouterr().out.splitlines()
    assert line.startswith("reconcile.yaml:") and "spec.state: unsupported scheme 'sqlit'" in line
