"""A plan with nothing to change loads neither deepdiff, nor the compatibility classifier, nor the apply
executor: they are start-up time that only a change needs (issue 13, item 1). Each run is a fresh
interpreter, as `reconcile plan` is; a changed manifest shows that the probe sees them when they load."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.integration.support import edit_file, make_project

REPO = Path(__file__).resolve().parents[2]
ONLY_FOR_CHANGES = ("deepdiff", "reconciler.schema.compat", "reconciler.apply.executor")
PROBE = f"""
import json, sys
from reconciler.cli.main import run
code = run(sys.argv[1:])
print(json.dumps({{"code": code, "loaded": [m for m in {ONLY_FOR_CHANGES!r} if m in sys.modules]}}))
"""


def _run(root: Path, *argv: str) -> tuple[int, list[str]]:
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *argv],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=180,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    report = json.loads(done.stdout.splitlines()[-1])
    return int(report["code"]), list(report["loaded"])


def test_a_no_op_plan_loads_nothing_only_changes_need(tmp_path: Path) -> None:
    root = make_project(tmp_path / "project")
    assert _run(root, "apply", "--auto-approve")[0] == 0
    code, loaded = _run(root, "plan", "--detailed-exitcode")
    assert code == 0  # no changes
    assert loaded == []
    edit_file(root, "manifests/corporate-assist.yaml", "cite the rule you used", "cite the rule")
    code, loaded = _run(root, "plan", "--detailed-exitcode")
    assert code == 2  # changes
    assert {"deepdiff", "reconciler.schema.compat"} <= set(loaded)
