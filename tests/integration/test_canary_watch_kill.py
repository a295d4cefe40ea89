"""Kill `reconcile rollout watch` (SIGKILL) at random points of a canary and start it again, over and over:
the rollout continues from its step, and no step is repeated or skipped (issue 16, Done when). The
analysis reads a webhook on 127.0.0.1, so the rollout needs no traffic; every moment of it is real time."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from reconciler.cli.main import run
from reconciler.model.rollouts import RolloutStatus
from reconciler.store import open_store
from tests.integration.support import edit_file, make_project

NAME = "CorporateAssist"
WS = "local"
KILLS = 12

TEMPLATE = """apiVersion: reconciler.dev/v1
kind: AnalysisTemplate
metadata:
  name: tool-health
spec:
  metrics:
    - name: webhook-errors
      interval: 1s
      count: 2
      provider:
        webhook: {{url: "{url}/errors"}}
      successCondition: result < 0.05
"""

STEPS = """  rollout:
    strategy: canary
    steps:
      - weight: 10
      - pause: 1s
      - analysis:
          templates: [{templateName: tool-health}]
      - weight: 50
      - pause: 1s
      - analysis:
          templates: [{templateName: tool-health}]
      - weight: 100
"""


class Healthy(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"0.01")

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def webhook() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Healthy)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def project(tmp_path: Path, webhook: str, capsys: pytest.CaptureFixture[str]) -> Path:
    root = make_project(tmp_path / "project", api="responses", canary=True)
    assistant = root / "manifests" / "corporate-assist.yaml"
    head, _, _ = assistant.read_text(encoding="utf-8").partition("  rollout:\n")
    assistant.write_text(head + STEPS, encoding="utf-8")
    (root / "manifests" / "tool-health.yaml").write_text(TEMPLATE.format(url=webhook), encoding="utf-8")
    assert run(["apply", str(root), "--auto-approve"]) == 0
    edit_file(root, "manifests/corporate-assist.yaml", "cite the rule you used.", "cite the rule.")
    assert run(["apply", str(root), "--auto-approve"]) == 0
    capsys.readouterr()
    return root


def _watch(root: Path, *, errors: bool = False) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "reconciler.cli.main",
            "rollout",
            "watch",
            NAME,
            "-C",
            str(root),
            "--timeout",
            "60",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE if errors else subprocess.DEVNULL,
        start_new_session=True,
    )


def test_killed_watch_resumes_without_repeating_or_skipping_a_step(project: Path) -> None:
    chance = random.Random(16)
    dsn = f"sqlite:///{project / '.reconcile' / 'state.db'}"
    kills = 0
    killed_at: list[int] = []  # the rollout's revision as each killed watch found it
    deadline = time.monotonic() + 120
    with open_store(dsn) as store:
        while kills < KILLS and time.monotonic() < deadline:
            record = store.active_rollout(WS, NAME)
            if record is None:
                break
            killed_at.append(record.revision)
            watch = _watch(project)
            time.sleep(chance.uniform(0.4, 2.0))  # imports take part of it: some kills land before any move
            os.killpg(watch.pid, signal.SIGKILL)
            watch.wait(timeout=10)
            kills += 1
        final = _watch(project, errors=True)
        _, err = final.communicate(timeout=90)
        assert final.returncode == 0, err.decode()
        (rollout,) = store.rollouts(WS, NAME)
        events = store.rollout_events(WS, rollout.id)
        runs = store.analysis_runs(WS, rollout.id)
        pointers = store.pointers(WS, NAME)
    # Killed several times, at several points of the rollout (not only before its first move).
    assert kills >= 3 and len(set(killed_at)) >= 3, killed_at
    assert rollout.status is RolloutStatus.SUCCEEDED and pointers == {"stable": 2}
    actions = [e.action for e in events]
    assert actions[0] == "started" and actions[-1] == "succeeded" and actions.count("started") == 1
    # Every step was left exactly once, in order: the positions the moves landed on are 1, 2, ... 7.
    landed = [e.step_index for e in events if e.action in ("weight", "step")]
    assert landed == list(range(1, len(rollout.steps) + 1)), actions
    assert [e.weight for e in events if e.action == "weight"] == [10, 50, 100]
    # Each analysis measured each slot at most once. A webhook cannot measure the past, so a slot that
    # fell due while no controller ran is skipped (its last slot is taken), never measured twice.
    assert sorted(r.step_index for r in runs) == [2, 5]
    for analysis in runs:
        assert analysis.phase.value == "successful"
        slots = [m.at for m in analysis.measurements]
        assert 1 <= len(slots) <= 2 and len(set(slots)) == len(slots), slots
