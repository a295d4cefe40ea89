"""Which process holds a lease, and whether that process is provably gone: what lets a rerun on the same
host take over the lock of an apply that was killed, instead of waiting out its lease.

A lease records its holder's pid and a start token: the boot id, the pid namespace and the process start
time, read from /proc. A holder is provably gone only when all of these hold:

- its lease names our host and recorded a pid (leases an older reconciler wrote recorded none);
- its start token names our boot and our pid namespace: a pid from an earlier boot, or from another
  container that happens to share the hostname, says nothing about the processes we can see;
- no process has that pid (`os.kill(pid, 0)` raises ProcessLookupError), or the one that has it is a
  zombie (it exited; only its exit status is left), or it started at another time than the recorded one
  (the pid was reused).

Without /proc (macOS, say) the token is empty on both sides: a pid no process has still proves the holder
gone, but a reused pid looks alive, so such a lock waits for its expiry; that errs on the safe side.

The converse, `running_here`, is what `state unlock` asks before releasing a lock by hand: it holds only
when the same checks prove the holder still running (its pid alive, not a zombie, started at the recorded
time). Anything it cannot check (another host, no pid, no /proc) is not proof of a live holder.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from reconciler.store.records import Lease

__all__ = ["HolderProcess", "gone_reason", "running_here", "start_token"]

_PROC = Path("/proc")


@dataclass(frozen=True)
class HolderProcess:
    """A process as a lease records it: its pid and its start token ("" where /proc is missing)."""

    pid: int
    start: str

    @classmethod
    def current(cls) -> HolderProcess:
        pid = os.getpid()
        return cls(pid=pid, start=start_token(pid))


@cache
def _namespace() -> str:
    """This boot and this pid namespace: the scope in which a pid names one process."""
    try:
        boot = (_PROC / "sys" / "kernel" / "random" / "boot_id").read_text(encoding="ascii").strip()
        pid_namespace = (_PROC / "self" / "ns" / "pid").stat().st_ino
    except (OSError, UnicodeDecodeError):
        return ""
    return f"{boot}/{pid_namespace}" if boot else ""


def _stat_fields(pid: int) -> list[str] | None:
    """The fields of /proc/PID/stat after the command name (which may hold spaces and parentheses)."""
    try:
        text = (_PROC / str(pid) / "stat").read_text(encoding="ascii", errors="replace")
    except OSError:
        return None
    _, closing, rest = text.rpartition(")")
    return rest.split() if closing else None


def start_token(pid: int) -> str:
    """`boot/pid-namespace/start-ticks` of a live process, or "" when /proc cannot tell."""
    namespace = _namespace()
    fields = _stat_fields(pid)
    # After the name: state is field 3 of the file, starttime field 22, so index 22 - 3.
    if not namespace or fields is None or len(fields) < 20:
        return ""
    return f"{namespace}/{fields[19]}"


def _no_such_process(pid: int) -> bool:
    try:
        os.kill(pid, 0)  # signal 0: only asks whether the pid exists
    except ProcessLookupError:
        return True
    except OSError:  # PermissionError: it exists and belongs to someone else; anything else: cannot tell
        return False
    return False


def gone_reason(lease: Lease, *, host: str) -> str | None:
    """Why the holder of `lease` is provably gone, or None when it may still be running."""
    pid = lease.pid
    if lease.host != host or pid is None or pid <= 0:  # kill(0 or -1, 0) would ask about a whole group
        return None
    recorded_scope, _, recorded_start = lease.process_start.rpartition("/")
    if recorded_scope != _namespace():
        return None  # another boot or another pid namespace: its pids are not ours to look at
    if _no_such_process(pid):
        return "that process is gone"
    if not recorded_start:
        return None  # no start time to compare (no /proc): a live pid may still be the holder
    fields = _stat_fields(pid)
    if fields is None:
        return "that process is gone" if _no_such_process(pid) else None
    if fields[0] == "Z":
        return "that process is gone (it exited; only its exit status is left)"
    if start_token(pid) not in ("", lease.process_start):
        return f"that process is gone (pid {pid} now belongs to a process started later)"
    return None


def running_here(lease: Lease, *, host: str) -> bool:
    """Whether the holder of `lease` is provably still running: on our host, boot and pid namespace, its
    pid alive and started at the time the lease recorded."""
    pid = lease.pid
    namespace = _namespace()
    if lease.host != host or pid is None or pid <= 0 or not namespace:
        return False
    if lease.process_start.rpartition("/")[0] != namespace or _no_such_process(pid):
        return False
    fields = _stat_fields(pid)
    if fields is None or fields[0] == "Z":
        return False
    return start_token(pid) == lease.process_start
