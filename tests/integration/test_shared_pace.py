"""Runs at once against one Admin API limit take turns through the state store instead of failing on 429s,
and a run that waits (its turn, the state lock) says so on stderr: what for and for how long.

Time is compressed (SPEEDUP emulated seconds per real second) on both sides, the emulator's limiter and
the applies' clocks and sleeps, as benchmarks/bench_admin_pacing.py does: the Admin API's 10 requests a
minute become 10 in a few real seconds.
"""

from __future__ import annotations

import re
import threading
import time
from pathlib import Path

import httpx2
import pytest

from reconciler import service
from reconciler.apply.report import ApplyReport
from reconciler.cli.main import run
from reconciler.emulator import EmulatorApp, EmulatorConfig
from reconciler.emulator.faults import FaultConfig, FaultInjector
from reconciler.emulator.resources.admin import PROJECT
from reconciler.emulator.transport import EmulatorTransport
from reconciler.store import open_store
from tests.integration.support import edit_file, make_project

pytestmark = pytest.mark.filterwarnings("ignore:deprecated:DeprecationWarning")

SPEEDUP = 30.0
RUNS = 3
ALERTS = 5  # per run: with its 2 admin reads, 21 admin calls in all, ~2.3 windows at 9 a window
T0 = time.time()


def emulated_clock() -> float:
    return T0 + (time.time() - T0) * SPEEDUP


def emulated_sleep(seconds: float) -> None:
    time.sleep(max(0.0, seconds) / SPEEDUP)


class _Counting(EmulatorTransport):
    """The in-process transport, counting each status the emulator answered."""

    def __init__(self, app: EmulatorApp) -> None:
        super().__init__(app)
        self.statuses: dict[int, int] = {}
        self._lock = threading.Lock()

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        response = super().handle_request(request)
        with self._lock:
            self.statuses[response.status_code] = self.statuses.get(response.status_code, 0) + 1
        return response


def _project(root: Path) -> Path:
    """One project, RUNS targets (workspaces) on one state file, each on its own platform project."""
    targets = "".join(f"    ci{i}:\n      type: local\n      projectId: proj_ci{i}\n" for i in range(RUNS))
    make_project(root, spend=True, target_yaml=f"  targets:\n{targets}")
    edit_file(root, "reconcile.yaml", "defaultTarget: local", "defaultTarget: ci0")
    alerts = "".join(
        f"---\napiVersion: reconciler.dev/v1\nkind: SpendAlert\nmetadata:\n  name: alert-{i}\n"
        f"spec:\n  scope: project\n  thresholdUSD: {100 + i}\n  interval: month\n"
        "  notify:\n    email: [finance@example.com]\n"
        for i in range(ALERTS)
    )
    (root / "manifests" / "spend.yaml").write_text(alerts, encoding="utf-8")
    return root


def test_parallel_applies_on_one_store_share_the_admin_limit_without_a_429(tmp_path: Path) -> None:
    root = _project(tmp_path / "project")
    app = EmulatorApp(EmulatorConfig())
    for i in range(RUNS):
        project = {"id": f"proj_ci{i}", "object": "organization.project", "name": f"ci{i}", "created_at": 0}
        state = {"archived_at": None, "status": "active", "external_key_id": None}
        app.storage.insert(PROJECT, {**project, **state})
    app.faults = FaultInjector(FaultConfig(admin_rpm=10), clock=emulated_clock)
    counting = _Counting(app)
    reports: dict[int, ApplyReport | None] = {}
    failures: dict[int, BaseException] = {}

    def one_run(i: int) -> None:
        try:
            with service.open_workspace(root, target=f"ci{i}", transport=counting) as ws:
                _, reports[i] = service.apply(ws, clock=emulated_clock, sleep=emulated_sleep)
        except BaseException as exc:  # surfaced below
            failures[i] = exc

    runs = [threading.Thread(target=one_run, args=(i,)) for i in range(RUNS)]
    try:
        for t in runs:
            t.start()
        for t in runs:
            t.join(timeout=300)
        assert not failures, failures
        assert all(r is not None and r.ok for r in reports.values()), reports
        assert counting.statuses.get(429, 0) == 0, counting.statuses
        assert len(app.storage.all("project.spend_alert", parent=None)) == RUNS * ALERTS
    finally:
        app.close()


def test_a_plan_waiting_for_its_turn_says_so_on_stderr(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Another run took the whole window 57 s ago: this plan's admin read waits a few seconds for its
    turn and says why, as a plain line (stderr is not a terminal here, as in a CI log)."""
    # Warm: the plan's imports made in another project, so the wait below is what remains of the turn.
    assert run(["plan", str(make_project(tmp_path / "warm", spend=True))]) == 0
    project = make_project(tmp_path / "project", spend=True)
    with open_store(f"sqlite:///{project}/.reconcile/state.db") as store:
        for _ in range(9):
            store.take_pace_slot("admin local", limit=9, window_seconds=62.0, now=time.time() - 57.0)
    capsys.readouterr()
    started = time.monotonic()
    assert run(["plan", str(project)]) == 0
    waited = time.monotonic() - started
    err = capsys.readouterr().err
    line = (
        r"waiting [1-5] s: Admin API rate limit "
        r"\(9 requests a minute, shared with other runs on this state store\)\n"
    )
    assert re.search(line, err), err
    assert "\r" not in err
    assert waited >= 1.0  # it did wait for the turn


def test_an_apply_waiting_for_the_state_lock_says_who_holds_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = make_project(tmp_path / "project")
    with open_store(f"sqlite:///{project}/.reconcile/state.db") as store:
        lease = store.acquire_lock("local", owner="alice", host="ci-7", ttl_seconds=900, now=time.time())
        releaser = threading.Timer(3.0, store.release_lock, args=(lease,))
        releaser.start()
        try:
            assert run(["apply", str(project), "--auto-approve", "--lock-timeout", "30"]) == 0
        finally:
            releaser.join(timeout=30)
    err = capsys.readouterr().err
    held = rf"state lock \(held by alice@ci-7, lock {lease.lock_id}\)"
    assert re.search(rf"^waiting up to 2\d s more \(\d s so far\): {held}$", err, re.MULTILINE), err
    assert err.count("state lock") == 1  # one line for the whole wait, not one per poll
