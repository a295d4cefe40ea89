"""The apply lock while an apply runs and after it dies: renewed however long one step takes, so a second
apply cannot take it; given up at once, before the next platform call, by an apply whose lock was taken;
and taken over, with a note, from an apply on this host whose process is gone (killed with SIGKILL), so
a rerun needs no `reconcile state unlock`. The platform is checked through the SDK after each."""

from __future__ import annotations

import getpass
import logging
import signal
import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx2
import pytest

from reconciler import service
from reconciler.cli.main import run
from reconciler.emulator import EmulatorApp, EmulatorConfig
from reconciler.emulator.server import EmulatorServer
from reconciler.emulator.transport import EmulatorTransport
from reconciler.errors import LeaseLost, LockHeld
from reconciler.store import open_store
from tests.integration.support import (
    CLEAN_COUNTS,
    apply_project,
    make_project,
    platform_state,
    sigkill_apply_when,
    transport,
)

pytestmark = pytest.mark.filterwarnings("ignore:deprecated:DeprecationWarning")


class _Gate(EmulatorTransport):
    """Holds the first request `hold` picks ("METHOD path") until released; records every request that
    arrives after the release."""

    def __init__(self, app: EmulatorApp, hold: Callable[[str], bool]) -> None:
        super().__init__(app)
        self.hold = hold
        self.reached = threading.Event()
        self.go = threading.Event()
        self.after: list[str] = []

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        call = f"{request.method} {request.url.path}"
        if self.go.is_set():
            self.after.append(call)
        elif self.hold(call) and not self.reached.is_set():
            self.reached.set()
            assert self.go.wait(timeout=60), "the test never released the gate"
        return super().handle_request(request)


class _Apply(threading.Thread):
    def __init__(self, root: Path, gate: _Gate) -> None:
        super().__init__(name="first-apply", daemon=True)
        self.root = root
        self.gate = gate
        self.error: BaseException | None = None
        self.ok = False

    def run(self) -> None:
        try:
            _, report = apply_project(self.root, self.gate)
            self.ok = report is not None and report.ok
        except BaseException as error:  # reported by the test, not lost in the thread
            self.error = error


def test_a_step_that_outlasts_the_lease_keeps_the_lock(
    project: Path, app: EmulatorApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    ttl = 2.0
    monkeypatch.setattr(service, "LOCK_TTL_SECONDS", ttl)
    gate = _Gate(app, lambda call: call == "POST /v1/files")  # the first upload outlasts the lease
    first = _Apply(project, gate)
    first.start()
    try:
        assert gate.reached.wait(timeout=30), "the first apply never reached the platform"
        time.sleep(1.5 * ttl)  # the lease as first taken has expired by now
        with pytest.raises(LockHeld, match="locked by"):
            apply_project(project, transport(app))
    finally:
        gate.go.set()
        first.join(timeout=60)
    assert not first.is_alive() and first.error is None and first.ok
    state = platform_state(app)
    assert state.counts() == CLEAN_COUNTS  # one apply's objects: the second never ran alongside
    assert state.orphan_files == []


def test_an_apply_whose_lock_was_taken_stops_before_its_next_platform_call(
    tmp_path: Path, app: EmulatorApp, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    monkeypatch.setattr(service, "LOCK_TTL_SECONDS", 3.0)  # renewed every second
    root = make_project(tmp_path / "project", retry={"concurrency": 1})
    # Held inside a stage: the first attachment, which its step follows with ingestion polls.
    gate = _Gate(app, lambda call: call.startswith("POST /v1/vector_stores/") and call.endswith("/files"))
    first = _Apply(root, gate)
    first.start()
    try:
        assert gate.reached.wait(timeout=30), "the first apply never attached a file"
        with service.open_workspace(root, transport=transport(app)) as ws:
            held = ws.store.current_lock(ws.name)
            assert held is not None
            ws.store.force_unlock(ws.name, held.lock_id)  # `reconcile state unlock`, then another apply
            other = ws.store.acquire_lock(
                ws.name, owner="bob", host="laptop", ttl_seconds=900, now=time.time()
            )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and "lost the state lock" not in caplog.text:
            time.sleep(0.05)
    finally:
        gate.go.set()
        first.join(timeout=60)
    assert not first.is_alive()
    assert gate.after == []  # not one request once the held attachment went through
    assert isinstance(first.error, LeaseLost), first.error
    assert "taken over by bob@laptop" in str(first.error)
    assert "stopped before its next platform call" in str(first.error)
    with service.open_workspace(root, transport=transport(app)) as ws:
        assert ws.store.current_lock(ws.name) == other  # the new holder's lock is untouched
    assert platform_state(app).counts()["attached"] == 1


# -- a killed apply, rerun without `state unlock` -----------------------------------------------------

API_KEY = "sk-local-lease-test"


class _Clock:
    """The emulator's clock, which the test moves: ingestion never completes until it does."""

    def __init__(self) -> None:
        self.offset = 0.0

    def __call__(self) -> float:
        return time.time() + self.offset


@pytest.fixture
def slow_server() -> Iterator[tuple[EmulatorServer, _Clock]]:
    clock = _Clock()
    server = EmulatorServer(EmulatorConfig(ingestion_seconds=3600, project_id="proj_remote"), clock=clock)
    server.start()
    yield server, clock
    server.close()


def _served_project(tmp_path: Path, server: EmulatorServer) -> Path:
    targets = (
        "  targets:\n"
        "    remote:\n"
        "      type: openai\n"
        f"      baseURL: {server.base_url}\n"
        "      apiKeyEnv: OPENAI_API_KEY\n"
        "      projectId: proj_remote\n"
    )
    root = make_project(tmp_path / "project", target_yaml=targets)
    config = root / "reconcile.yaml"
    config.write_text(
        config.read_text(encoding="utf-8").replace("defaultTarget: local", "defaultTarget: remote"),
        encoding="utf-8",
    )
    return root


@pytest.mark.server
@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
def test_a_rerun_takes_over_the_lock_of_an_apply_killed_with_sigkill(
    tmp_path: Path,
    slow_server: tuple[EmulatorServer, _Clock],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    server, clock = slow_server
    root = _served_project(tmp_path, server)
    monkeypatch.setenv("OPENAI_API_KEY", API_KEY)
    # Killed mid-stage: both files attached, the apply waiting for their ingestion.
    pid = sigkill_apply_when(
        root,
        lambda: platform_state(server.app).counts()["attached"] == 2,
        tmp_path / "killed.log",
        {"OPENAI_API_KEY": API_KEY},
    )
    with open_store(f"sqlite:///{root}/.reconcile/state.db") as store:
        stuck = store.current_lock("remote")
    assert stuck is not None and stuck.expires_at > time.time() + 600  # it would hold on for 15 minutes
    clock.offset += 7200  # ingestion has finished on the platform by the time anyone reruns
    capsys.readouterr()

    assert run(["apply", str(root), "--auto-approve"]) == 0  # no `reconcile state unlock` first
    err = capsys.readouterr().err
    user = getpass.getuser()
    host = socket.gethostname()
    assert (
        f"note: took over the lock {stuck.lock_id} of {user}'s apply by pid {pid} on {host}: "
        "that process is gone"
    ) in err
    assert stuck.pid == pid
    state = platform_state(server.app)
    assert state.counts() == CLEAN_COUNTS  # converged: nothing twice, nothing missing
    assert state.orphan_files == []
    with open_store(f"sqlite:///{root}/.reconcile/state.db") as store:
        assert store.current_lock("remote") is None  # the rerun released what it took over
    with service.open_workspace(root) as ws:
        plan, _ = service.make_plan(ws)
    assert not plan.has_changes
