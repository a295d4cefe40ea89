"""Two applies never interleave: the second fails with LockHeld naming the holder (or waits with
--lock-timeout), and `reconcile state unlock ID` releases a stuck lease, but not one whose holder still
runs on this host without --force. The platform is checked after each."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx2
import pytest

from reconciler import service
from reconciler.cli.main import run
from reconciler.emulator import EmulatorApp, EmulatorConfig
from reconciler.emulator.transport import EmulatorTransport
from reconciler.errors import LockHeld
from reconciler.store.holder import start_token
from reconciler.store.records import Lease
from tests.integration.support import CLEAN_COUNTS, apply_project, platform_state, transport

pytestmark = pytest.mark.filterwarnings("ignore:deprecated:DeprecationWarning")


def _hold(
    root: Path,
    app: EmulatorApp,
    *,
    owner: str = "alice",
    host: str = "ci-runner-7",
    pid: int | None = None,
    process_start: str = "",
) -> Lease:
    with service.open_workspace(root, transport=transport(app)) as ws:
        return ws.store.acquire_lock(
            ws.name,
            owner=owner,
            host=host,
            ttl_seconds=900,
            now=time.time(),
            pid=pid,
            process_start=process_start,
        )


def _current(root: Path, app: EmulatorApp) -> Lease | None:
    with service.open_workspace(root, transport=transport(app)) as ws:
        return ws.store.current_lock(ws.name)


def _release(root: Path, app: EmulatorApp, lease: Lease) -> None:
    with service.open_workspace(root, transport=transport(app)) as ws:
        ws.store.release_lock(lease)


def test_an_apply_while_the_lease_is_held_fails_naming_the_holder(project: Path, app: EmulatorApp) -> None:
    lease = _hold(project, app)
    with pytest.raises(LockHeld) as caught:
        apply_project(project, transport(app))
    assert caught.value.holder == "alice@ci-runner-7"
    assert caught.value.lock_id == lease.lock_id
    assert "alice@ci-runner-7" in str(caught.value)
    assert platform_state(app).counts() == {"assistants": 0, "vector_stores": 0, "files": 0, "attached": 0}

    _release(project, app, lease)
    _, report = apply_project(project, transport(app))
    assert report is not None and report.ok
    assert platform_state(app).counts() == CLEAN_COUNTS


class _Gate(EmulatorTransport):
    """Holds the first mutating request until released, so its apply sits inside the lease."""

    def __init__(self, app: EmulatorApp) -> None:
        super().__init__(app)
        self.reached = threading.Event()
        self.go = threading.Event()

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        if request.method == "POST" and not self.reached.is_set():
            self.reached.set()
            assert self.go.wait(timeout=30), "the test never released the gate"
        return super().handle_request(request)


def test_two_concurrent_applies_never_interleave(project: Path, app: EmulatorApp) -> None:
    gate = _Gate(app)
    errors: list[BaseException] = []

    def first() -> None:
        try:
            apply_project(project, gate)
        except BaseException as error:  # reported below, not lost in the thread
            errors.append(error)

    worker = threading.Thread(target=first, name="first-apply", daemon=True)
    worker.start()
    try:
        assert gate.reached.wait(timeout=30), "the first apply never reached the platform"
        second = transport(app)
        with pytest.raises(LockHeld, match="locked by"):
            apply_project(project, second)
    finally:
        gate.go.set()
        worker.join(timeout=60)
    assert not worker.is_alive()
    assert errors == []
    state = platform_state(app)
    assert state.counts() == CLEAN_COUNTS  # one apply's objects, nothing created twice
    assert state.orphan_files == []


def test_lock_timeout_waits_for_the_holder(project: Path, app: EmulatorApp) -> None:
    lease = _hold(project, app)
    releaser = threading.Timer(0.5, _release, args=(project, app, lease))
    releaser.start()
    started = time.monotonic()
    try:
        with service.open_workspace(project, transport=transport(app)) as ws:
            _, report = service.apply(ws, lock_timeout=10.0, sleep=lambda _s: None)
    finally:
        releaser.join(timeout=10)
    assert time.monotonic() - started >= 0.5  # it really waited for the release
    assert report is not None and report.ok
    assert platform_state(app).counts() == CLEAN_COUNTS


def test_cli_lock_timeout_gives_up_naming_the_holder_then_unlock_releases(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The CLI on the `local` target: exit 1 with one line, `state unlock ID`, then the apply goes through."""
    (project / ".reconcile").mkdir()
    local = EmulatorApp(EmulatorConfig(db_path=str(project / ".reconcile" / "local-platform.db")))
    try:
        lease = _hold(project, local, owner="bob", host="laptop")
        started = time.monotonic()
        assert run(["apply", str(project), "--auto-approve", "--lock-timeout", "1"]) == 1
        assert time.monotonic() - started >= 1.0
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and err.startswith("error: ") and "LockHeld" not in err
        assert "bob@laptop" in err and lease.lock_id in err and "gave up after waiting 1s" in err
        assert platform_state(local).counts()["assistants"] == 0

        assert run(["state", "unlock", lease.lock_id, str(project)]) == 0
        assert f"Released lock {lease.lock_id} held by bob@laptop" in capsys.readouterr().out
        assert run(["apply", str(project), "--auto-approve"]) == 0
        assert platform_state(local).counts() == CLEAN_COUNTS
        assert run(["state", "unlock", lease.lock_id, str(project)]) == 1  # already gone: one clear line
        assert capsys.readouterr().err.count("\n") == 1
    finally:
        local.close()


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc to prove a holder alive")
def test_cli_unlock_refuses_a_lock_whose_holder_runs_here_until_forced(
    project: Path, app: EmulatorApp, capsys: pytest.CaptureFixture[str]
) -> None:
    """The holder is this very test process: alive, so a plain unlock is one error line and keeps the lock;
    --force releases it with a warning that the holder stops only at its next renewal."""
    me = os.getpid()
    lease = _hold(project, app, owner="ana", host=socket.gethostname(), pid=me, process_start=start_token(me))
    capsys.readouterr()

    assert run(["state", "unlock", lease.lock_id, str(project)]) == 1
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1 and err.startswith("error: ") and "UserError" not in err
    assert f"lock {lease.lock_id} is held by pid {me} (ana@{socket.gethostname()}, since " in err
    assert "still running on this host" in err and f"state unlock {lease.lock_id} --force" in err
    assert _current(project, app) == lease

    assert run(["state", "unlock", lease.lock_id, str(project), "--force"]) == 0
    out, err = capsys.readouterr()
    assert out == f"Released lock {lease.lock_id} held by ana@{socket.gethostname()}.\n"
    assert err.count("\n") == 1 and err.startswith(f"warning: pid {me} (ana@")
    assert "may still be running; it stops at its next lease renewal, at most 30 s from now" in err
    assert _current(project, app) is None


def test_cli_unlock_releases_a_lock_whose_holder_is_gone_without_force(
    project: Path, app: EmulatorApp, capsys: pytest.CaptureFixture[str]
) -> None:
    child = subprocess.Popen([sys.executable, "-c", "import sys; sys.stdin.read()"], stdin=subprocess.PIPE)
    try:
        token = start_token(child.pid)
    finally:
        assert child.stdin is not None
        child.stdin.close()
        child.wait(timeout=30)
    lease = _hold(project, app, owner="ana", host=socket.gethostname(), pid=child.pid, process_start=token)
    capsys.readouterr()

    assert run(["state", "unlock", lease.lock_id, str(project)]) == 0
    out, err = capsys.readouterr()
    assert (
        out == f"Released lock {lease.lock_id} held by ana@{socket.gethostname()} (that process is gone).\n"
    )
    assert err == ""
    assert _current(project, app) is None


def test_cli_unlock_releases_a_lock_held_elsewhere_with_a_note(
    project: Path, app: EmulatorApp, capsys: pytest.CaptureFixture[str]
) -> None:
    """Another host's holder cannot be checked from here: released as before, saying when it would stop."""
    lease = _hold(
        project, app, owner="bob", host="laptop", pid=os.getpid(), process_start=start_token(os.getpid())
    )
    capsys.readouterr()

    assert run(["state", "unlock", lease.lock_id, str(project)]) == 0
    out, err = capsys.readouterr()
    assert out == f"Released lock {lease.lock_id} held by bob@laptop.\n"
    assert err == (
        "note: if bob@laptop is still running, it stops at its next lease renewal, at most 30 s from now\n"
    )
    assert _current(project, app) is None
