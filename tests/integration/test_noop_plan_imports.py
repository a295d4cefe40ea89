"""A plan with nothing to change loads neither deepdiff, nor the compatibility classifier, nor the apply
executor: they are start-up time that only a change needs (issue 13, item 1). Each run is a fresh
interpreter, as `reconcile plan` is; a changed manifest shows that the probe sees them when they load."""

from __future__ import annotations

from pathlib import Path

from tests.integration.support import edit_file, make_project
from tests.probe import probe

ONLY_FOR_CHANGES = ("deepdiff", "reconciler.schema.compat", "reconciler.apply.executor")


def _run(root: Path, *argv: str) -> tuple[int, set[str]]:
    done = probe(root, ONLY_FOR_CHANGES, *argv)
    return done.code, done.loaded


def test_a_no_op_plan_loads_nothing_only_changes_need(tmp_path: Path) -> None:
    root = make_project(tmp_path / "project")
    assert _run(root, "apply", "--auto-approve")[0] == 0
    code, loaded = _run(root, "plan", "--detailed-exitcode")
    assert code == 0  # no changes
    assert loaded == set()
    edit_file(root, "manifests/corporate-assist.yaml", "cite the rule you used", "cite the rule")
    code, loaded = _run(root, "plan", "--detailed-exitcode")
    assert code == 2  # changes
    assert {"deepdiff", "reconciler.schema.compat"} <= loaded
