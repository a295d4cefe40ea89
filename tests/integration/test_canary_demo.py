"""`make demo`'s last act as a test (issue 16, Done when): on a copy of the example project, with traffic
from the example app through the runtime, a good version goes 10 % → 50 % → 100 % by analysis and a bad
one (its model sends arguments the new schema refuses) is aborted by the builtin analysis, no operator."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from reconciler import demo_canary
from reconciler.model.rollouts import RolloutStatus
from reconciler.store import open_store

MAIN = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.filterwarnings("ignore:.*deprecated:DeprecationWarning")


def test_the_demo_promotes_the_good_version_and_aborts_the_bad_one(tmp_path: Path) -> None:
    root = tmp_path / "checkout"
    for part in ("manifests", "examples"):
        shutil.copytree(MAIN / part, root / part)
    shutil.copy(MAIN / "reconcile.yaml", root / "reconcile.yaml")
    assert demo_canary.main(root) == 0
    state = root / demo_canary.SCRATCH / ".reconcile" / "state.db"
    with open_store(f"sqlite:///{state}") as store:
        good, bad = store.rollouts("local", demo_canary.ASSISTANT)
        good_moves = store.rollout_events("local", good.id)
        bad_runs = store.analysis_runs("local", bad.id)
        counts = store.conversation_counts("local", demo_canary.ASSISTANT)
        pointers = store.pointers("local", demo_canary.ASSISTANT)
    assert (good.canary_version, good.status) == (2, RolloutStatus.SUCCEEDED)
    assert [e.weight for e in good_moves if e.action == "weight"] == [10, 50, 100]
    assert all(e.action != "promoted" for e in good_moves)  # by analysis, not by an operator
    assert (bad.canary_version, bad.status) == (3, RolloutStatus.ABORTED)
    assert "analysis failed" in bad.message and "invalid-tool-calls" in bad.message
    assert [r.phase.value for r in bad_runs] == ["failed"]
    assert pointers == {"stable": 2}
    assert counts.get(3, 0) == 0  # onAbort: stable sent the bad version's conversations back
    assert counts.get(2, 0) > 0
