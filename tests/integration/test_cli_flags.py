"""Issue 13 item 4: one meaning per flag, Terraform's. `-out FILE` saves a plan, `--format`/`-json` choose
the output everywhere, `-o` is a deprecated spelling of `--format` (it wrote `plan -o json` to a file named
`json`), `--debug` works after the subcommand, and `validate` and `schema` take `--target`.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reconciler.cli.main import run
from reconciler.plan.definition import Plan
from tests.integration.support import make_project

pytestmark = pytest.mark.filterwarnings("ignore:deprecated:DeprecationWarning")


@pytest.fixture
def root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    project = make_project(tmp_path / "project")
    monkeypatch.chdir(project)
    return project


def _files(root: Path) -> set[str]:
    return {p.name for p in root.iterdir()}


def test_plan_dash_o_json_prints_json_and_writes_no_file(
    root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = _files(root)
    assert run(["plan", "-o", "json"]) == 0
    out, err = capsys.readouterr()
    assert json.loads(out)["format_version"]
    assert err == "warning: -o/--output is deprecated; use --format json (or -json)\n"
    assert _files(root) - before <= {".reconcile"}  # no file named `json`


def test_plan_dash_o_with_a_file_name_is_refused_pointing_at_dash_out(
    root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(["plan", "-o", "plan.json"]) == 1
    err = capsys.readouterr().err
    assert "'plan.json' is not a format" in err and "-out FILE" in err
    assert not (root / "plan.json").exists()


@pytest.mark.parametrize("spelling", [["-out", "saved.json"], ["-out=saved.json"], ["--out", "saved.json"]])
def test_dash_out_saves_the_plan(root: Path, spelling: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["plan", *spelling]) == 0
    assert capsys.readouterr().out.startswith("Resource actions")  # the text plan, as without -out
    saved = Plan.load((root / "saved.json").read_bytes(), source="saved.json")
    assert saved.has_changes
    assert run(["apply", "saved.json"]) == 0


def _stable(text: str) -> dict[str, object]:
    """A JSON document without what differs between two runs (a plan's id and time)."""
    document: dict[str, object] = json.loads(text)
    return {k: v for k, v in document.items() if k not in ("plan_id", "created_at")}


def test_dash_json_is_format_json_everywhere(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for command in (["validate"], ["plan"], ["drift"]):
        assert run([*command, "--format", "json"]) in (0, 2)
        long = capsys.readouterr().out
        assert run([*command, "-json"]) in (0, 2)
        assert _stable(capsys.readouterr().out) == _stable(long), command
    assert run(["apply", "--auto-approve"]) == 0
    capsys.readouterr()
    assert run(["versions", "CorporateAssist", "-json"]) == 0
    assert json.loads(capsys.readouterr().out)["versions"][0]["number"] == 1


def test_validate_dash_o_still_works_with_a_warning(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["validate", "-o", "json"]) == 0
    out, err = capsys.readouterr()
    assert json.loads(out)["valid"] is True
    assert "deprecated; use --format json" in err


def test_two_different_formats_are_a_usage_error(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["plan", "--format", "markdown", "-json"]) == 1
    assert "give one output format, not json and markdown" in capsys.readouterr().err


def test_debug_works_after_the_subcommand(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["plan", "--debug"]) == 0
    capsys.readouterr()
    assert run(["plan", "--target", "nope", "--debug"]) == 1
    err = capsys.readouterr().err
    assert "Traceback" in err  # --debug took effect
    assert err.splitlines()[-1].startswith("error: unknown target 'nope'")


def test_validate_takes_target(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["validate", "--target", "served"]) == 0
    capsys.readouterr()
    assert run(["validate", "-t", "nope"]) == 1
    out = capsys.readouterr().out
    assert (
        "reconcile.yaml: error: no target named 'nope' in reconcile.yaml (known: local, openai, served)"
        in out
    )


def test_schema_takes_target(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["schema"]) == 0
    plain = capsys.readouterr().out
    assert run(["schema", "--target", "served"]) == 0
    assert capsys.readouterr().out == plain  # one schema for every target
    assert run(["schema", "--target", "nope"]) == 1
    assert "unknown target 'nope'" in capsys.readouterr().err


def test_dash_out_into_a_missing_directory_is_one_user_error_line(
    root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(["plan", "-out", "no-such-dir/saved.json"]) == 1
    err = capsys.readouterr().err.splitlines()
    assert err[-1].startswith("error: ") and "internal error" not in err[-1]
    assert "cannot save the plan to no-such-dir/saved.json" in err[-1]
    assert "No such file or directory" in err[-1] and "Errno" not in err[-1]
