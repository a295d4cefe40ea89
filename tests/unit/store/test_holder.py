"""When is the holder of a lease provably gone? Only for a lease of our host, in our boot and pid
namespace, whose pid no process has, or has as a zombie, or has for a process started later. Real
processes, no mocks: a child that exited, a child killed and not yet reaped, this test process. And the
converse `state unlock` asks: is it provably still running here?"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from reconciler.store.holder import HolderProcess, gone_reason, running_here, start_token
from reconciler.store.records import Lease

HOST = "ci-runner-7"
PROC = Path("/proc/self/stat").exists()
needs_proc = pytest.mark.skipif(not PROC, reason="needs /proc (Linux)")


def _lease(pid: int | None, start: str = "", host: str = HOST) -> Lease:
    return Lease(
        workspace="prod",
        lock_id="lock-1",
        owner="ana",
        host=host,
        acquired_at=0.0,
        expires_at=9e12,
        ttl_seconds=900.0,
        pid=pid,
        process_start=start,
    )


def _child() -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-c", "import sys; sys.stdin.read()"], stdin=subprocess.PIPE)


def _exited() -> HolderProcess:
    child = _child()
    token = start_token(child.pid)
    assert child.stdin is not None
    child.stdin.close()
    child.wait(timeout=30)
    return HolderProcess(child.pid, token)


def test_a_holder_whose_pid_no_process_has_is_gone() -> None:
    gone = _exited()
    assert gone_reason(_lease(gone.pid, gone.start), host=HOST) == "that process is gone"


@needs_proc
def test_a_holder_killed_but_not_yet_reaped_is_gone() -> None:
    child = _child()
    token = start_token(child.pid)
    try:
        os.kill(child.pid, signal.SIGKILL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:  # the kernel marks it a zombie promptly
            reason = gone_reason(_lease(child.pid, token), host=HOST)
            if reason is not None:
                break
            time.sleep(0.01)
        assert reason is not None and "exited" in reason
    finally:
        assert child.stdin is not None
        child.stdin.close()
        child.wait(timeout=30)


def test_a_live_holder_is_not_gone() -> None:
    me = HolderProcess.current()
    assert gone_reason(_lease(me.pid, me.start), host=HOST) is None
    child = _child()
    try:
        assert gone_reason(_lease(child.pid, start_token(child.pid)), host=HOST) is None
    finally:
        assert child.stdin is not None
        child.stdin.close()
        child.wait(timeout=30)


@needs_proc
def test_a_pid_reused_by_a_later_process_is_gone() -> None:
    me = HolderProcess.current()
    scope, _, ticks = me.start.rpartition("/")
    earlier = f"{scope}/{int(ticks) - 1}"  # the lease was written by an earlier process with our pid
    reason = gone_reason(_lease(me.pid, earlier), host=HOST)
    assert reason is not None and "started later" in reason


def test_only_a_lease_of_our_host_is_judged() -> None:
    gone = _exited()
    assert gone_reason(_lease(gone.pid, gone.start, host="another-host"), host=HOST) is None


@needs_proc
def test_a_pid_from_another_boot_or_pid_namespace_is_not_ours_to_judge() -> None:
    gone = _exited()
    boot, namespace, ticks = gone.start.split("/")
    for elsewhere in (f"other-boot/{namespace}/{ticks}", f"{boot}/1/{ticks}", ""):
        assert gone_reason(_lease(gone.pid, elsewhere), host=HOST) is None


@pytest.mark.parametrize("pid", [None, 0, -1])
def test_a_lease_without_a_usable_pid_is_never_gone(pid: int | None) -> None:
    # kill(0, 0) and kill(-1, 0) would ask about whole process groups, not one process.
    assert gone_reason(_lease(pid, HolderProcess.current().start), host=HOST) is None


@needs_proc
def test_only_a_live_holder_of_our_host_boot_and_namespace_is_running_here() -> None:
    me = HolderProcess.current()
    assert running_here(_lease(me.pid, me.start), host=HOST)
    gone = _exited()
    scope, _, ticks = me.start.rpartition("/")
    boot, namespace = scope.split("/")
    for not_proved in (
        _lease(gone.pid, gone.start),  # exited
        _lease(me.pid, f"{scope}/{int(ticks) - 1}"),  # our pid, but an earlier process wrote the lease
        _lease(me.pid, me.start, host="another-host"),
        _lease(me.pid, f"other-boot/{namespace}/{ticks}"),
        _lease(me.pid, f"{boot}/1/{ticks}"),
        _lease(me.pid, ""),  # an older lease, or one written without /proc
        _lease(None, me.start),
        _lease(0, me.start),
    ):
        assert not running_here(not_proved, host=HOST), not_proved
