"""Issue 13 item 5: outside a project (no reconcile.yaml here or above) every command says so and exits 1.

It used to take the working directory for a project with default settings, so `plan` created
`.reconcile/` (a state store and an emulator database) wherever it was run, and `validate` called an
empty directory valid.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.cli.main import run

COMMANDS = [
    ["validate"],
    ["validate", "-json"],
    ["plan"],
    ["plan", "-out", "plan.json"],
    ["apply", "--auto-approve"],
    ["drift"],
    ["import", "assistant", "asst_1"],
    ["state", "unlock", "lock-1"],
    ["versions", "CorporateAssist"],
    ["rollback", "CorporateAssist"],
    ["promote", "CorporateAssist", "--to", "1"],
    ["resolve", "CorporateAssist"],
    ["gc"],
    ["gc", "--dry-run"],
    ["schema", "--target", "local"],
]


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_every_command_outside_a_project_says_so_and_exits_1(
    command: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    outside = tmp_path / "not-a-project"
    (outside / "manifests").mkdir(parents=True)
    monkeypatch.chdir(outside)
    assert run(command) == 1
    out, err = capsys.readouterr()
    assert f"no reconcile.yaml in {outside} or any directory above it" in out + err
    assert sorted(p.name for p in outside.iterdir()) == ["manifests"]  # no .reconcile/, no plan file


def test_a_directory_argument_outside_a_project_is_refused_too(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(["plan", str(tmp_path)]) == 1
    assert "no reconcile.yaml in" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_schema_needs_no_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert run(["schema"]) == 0  # the schema is the same for every project
