"""Commands find the project as git does and always plan its whole manifests directory (issue 12, item 1).

Run from a subdirectory, `plan`, `apply` and `drift` used to read only that directory as the manifests
while the state came from the project, so the plan destroyed everything else. Each test applies the
example project through `reconcile apply` (the embedded `local` target) and then works from inside it.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from reconciler.cli.main import run
from tests.integration.support import make_project

pytestmark = pytest.mark.filterwarnings("ignore:deprecated:DeprecationWarning")

REFUSAL = "run it without a path from anywhere inside the project"


@pytest.fixture
def applied(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Path:
    """The example project applied, with one manifest moved into `manifests/imported/`."""
    root = make_project(tmp_path / "project")
    (root / "manifests" / "imported").mkdir()
    shutil.move(root / "manifests" / "create-meeting.yaml", root / "manifests" / "imported")
    monkeypatch.chdir(root)
    assert run(["apply", "--auto-approve"]) == 0
    capsys.readouterr()
    return root


@pytest.mark.parametrize("subdirectory", ["manifests/imported", "manifests/files", "manifests", ".reconcile"])
def test_plan_from_a_subdirectory_plans_the_whole_project(
    applied: Path, subdirectory: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(applied / subdirectory)
    assert run(["plan", "--detailed-exitcode"]) == 0
    out = capsys.readouterr().out
    assert "No changes." in out


def test_apply_from_a_subdirectory_destroys_nothing(
    applied: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(applied / "manifests" / "imported")
    assert run(["apply", "--auto-approve", "--allow-empty"]) == 0
    assert "No changes." in capsys.readouterr().out
    monkeypatch.chdir(applied)
    assert run(["plan", "--detailed-exitcode"]) == 0


def test_drift_from_a_subdirectory_reports_no_drift(
    applied: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(applied / "manifests" / "imported")
    assert run(["drift"]) == 0
    assert capsys.readouterr().out == "No drift: every managed object is as the last apply left it.\n"


@pytest.mark.parametrize(
    "argv",
    [
        ["plan", "manifests/imported"],
        ["plan", "manifests/files", "--allow-empty"],
        ["plan", ".reconcile"],
        ["apply", "manifests/imported", "--auto-approve", "--allow-empty"],
        ["drift", "manifests/imported"],
        ["gc", "manifests/imported"],
        ["import", "assistant", "asst_x", "--dir", "manifests/imported"],
        ["state", "unlock", "lock_x", "manifests/imported"],
    ],
)
def test_a_path_narrower_than_the_manifests_is_refused(
    applied: Path, argv: list[str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(argv) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("error: ")
    assert REFUSAL in lines[0]
    assert "Traceback" not in captured.err
    assert run(["plan", "--detailed-exitcode"]) == 0  # nothing was deleted


def test_a_narrower_path_is_refused_from_a_subdirectory_too(
    applied: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(applied / "manifests")
    assert run(["plan", "imported"]) == 1
    assert REFUSAL in capsys.readouterr().err


@pytest.mark.parametrize("where", [".", "manifests", "ROOT", "PARENT-OF-MANIFESTS"])
def test_the_root_or_the_manifests_directory_is_accepted(
    applied: Path, where: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = {"ROOT": str(applied), "PARENT-OF-MANIFESTS": str(applied / "manifests" / "..")}.get(where, where)
    assert run(["plan", path, "--detailed-exitcode"]) == 0
    assert run(["drift", path]) == 0
    monkeypatch.chdir(applied / "manifests" / "imported")
    assert run(["plan", str(applied / "manifests"), "--detailed-exitcode"]) == 0


def test_a_saved_plan_applies_from_a_subdirectory(
    applied: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    meeting = applied / "manifests" / "imported" / "create-meeting.yaml"
    meeting.write_text(meeting.read_text().replace("Short subject line", "Subject line"))
    monkeypatch.chdir(applied / "manifests" / "imported")
    assert run(["plan", "-out", str(applied / "plan.json")]) == 0
    out = capsys.readouterr().out
    assert "Plan: " in out
    assert " 0 to destroy." in out
    assert run(["apply", str(applied / "plan.json")]) == 0
    assert " 0 destroyed." in capsys.readouterr().out
    assert run(["plan", "--detailed-exitcode"]) == 0


def test_apply_of_a_manifest_file_is_refused_in_one_line(
    applied: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(["apply", "manifests/imported/create-meeting.yaml", "--auto-approve"]) == 1
    captured = capsys.readouterr()
    assert captured.err.startswith("error: manifests/imported/create-meeting.yaml is a manifest")
    assert REFUSAL in captured.err
    assert len(captured.err.splitlines()) == 1
    (applied / "notes.txt").write_text("not a plan")
    assert run(["apply", "notes.txt"]) == 1
    captured = capsys.readouterr()
    assert captured.err.startswith("error: notes.txt: not a saved plan")
    assert len(captured.err.splitlines()) == 1
    assert run(["plan", "--detailed-exitcode"]) == 0


def test_a_missing_source_is_named_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(make_project(tmp_path / "project"))
    assert run(["apply", "nothere"]) == 1
    line = capsys.readouterr().err.strip()
    assert line.count("nothere") == 1, line
    assert "nothere: error: no such file or directory" in line
