"""kill -9 at 20+ random points of a 60-object apply under lost responses converges: no duplicate, no
orphan, no wrong content, checked through the plain SDK by content (issue 12, "Done when").

The emulator serves on 127.0.0.1 from this process (waitress, real sockets); `reconcile apply
--auto-approve` runs as a child process against it (target `type: openai`, see Launcher). A KillSwitch in
front of the emulator's handler counts the platform writes (POST, DELETE) of the current run. At the run's
kill point it holds that write, before or after the platform handled it, and every request after it; the
test SIGKILLs the child and only then lets the held requests go, unanswered. So the kill lands exactly at
the k-th write, and the child never learns anything after it. Responses to writes are lost at random
(`lost_rate`: the write happened, the client sees the connection die). When an apply converges before its
kill point, the project changes (same-name, same-size files swap contents) and the killing goes on, so all
20 kill points land in real work. After them, healthy applies must succeed and `plan` must be empty, and
`crowded.audit` compares every converged state with the manifests, by content.

The seed fixes the kill points and the sequence of lost responses (`concurrency: 1` sends the writes in
plan order). What a run does between them can still vary a little from one execution to the next: the
executor commits each step on its own thread while the worker already sends the next one, so whether a
killed run recorded its last step is a race. The invariants must hold for every interleaving.

Reproduce: KILL_HARNESS_SEED=<seed> pytest tests/integration/test_kill_harness.py; the failure message
lists the kill points, and <tmp_path>/requests.log every request each run sent and what became of it.
"""

from __future__ import annotations

import json
import os
import queue
import random
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import openai
import pytest
from werkzeug.wrappers import Request, Response

from reconciler.emulator import EmulatorConfig
from reconciler.emulator.faults import ConnectionDropped, FaultConfig
from reconciler.emulator.server import EmulatorServer
from reconciler.store import open_store
from tests.integration.crowded import Expected, Findings, audit, swap_contents, write_project

pytestmark = [pytest.mark.slow, pytest.mark.server]

SEED = int(os.environ.get("KILL_HARNESS_SEED", "1"))
CONCURRENCY = int(os.environ.get("KILL_HARNESS_CONCURRENCY", "1"))  # >1: less reproducible, more races
LOST_RATE = 0.25
KILLS = 20  # kill points that must land
MAX_KILL_AT = 8  # each run is killed at its 1st..8th platform write (uniform), so 20 kills span the apply
# When an apply converges before its kill point, these swaps change the project and the killing goes on.
SWAPS = (("policy.md", "guide.md"), ("faq.md", "rates.md"), ("terms.md", "notes.md"))
MAX_RUNS = 30  # killed runs plus runs that ended on their own before their kill point
FINAL_RUNS = 4  # healthy applies allowed to finish the job after the last kill
RUN_SECONDS = 60.0  # one child process, start to exit
BUDGET_SECONDS = 180.0  # the whole harness (about 40 s on an idle 2-core machine)
# The launcher's parent process (see Launcher): imports the CLI once, then per job line forks a child that
# runs `reconcile ARGV` and prints the child's pid, then its exit code (negative: the signal that ended it).
# Commands import the service, the SDK and the renderers when they run (cli.commands), so the parent
# imports them itself: otherwise every child would pay for them.
ZYGOTE = """
import json, os, sys, traceback
import reconciler.render.report, reconciler.render.text, reconciler.service
from reconciler.cli import commands
from reconciler.cli.main import run
commands.load_all()
for line in sys.stdin:
    job = json.loads(line)
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            os.chdir(job["cwd"])
            for fd, path, flags in ((0, os.devnull, os.O_RDONLY), (1, job["out"], os.O_WRONLY | os.O_CREAT),
                                    (2, job["err"], os.O_WRONLY | os.O_CREAT)):
                os.dup2(os.open(path, flags, 0o600), fd)
            code = run(job["argv"])
        except BaseException:
            traceback.print_exc()
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)
    print(pid, flush=True)
    print(os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]), flush=True)
"""
WORKSPACE = "served"
HOLD_SECONDS = 30.0  # how long a held request waits for the kill before it is dropped anyway


@dataclass
class KillPoint:
    run: int
    at_write: int
    before_handling: bool
    writes: list[str] = field(default_factory=list)  # what the platform saw this run, in order

    def __str__(self) -> str:
        when = "before" if self.before_handling else "after"
        last = re.sub(r"(file-|vs_|asst_)[A-Za-z0-9]+", r"\1*", self.writes[-1]) if self.writes else "-"
        return f"run {self.run}: {when} write {self.at_write} ({last})"


class KillSwitch:
    """Wraps the emulator's request handler: counts writes, and at the armed one holds everything."""

    def __init__(self, handle: Callable[[Request], Response]) -> None:
        self._handle = handle
        self._lock = threading.Lock()
        self._armed: tuple[int, bool] | None = None
        self.writes: list[str] = []
        self.history: list[str] = []  # every request of every run, for the post-mortem in requests.log
        self.tripped = threading.Event()
        self.released = threading.Event()

    def arm(self, at_write: int | None, *, before_handling: bool = False) -> None:
        with self._lock:
            self.history.append(f"---- armed at write {at_write}, {'before' if before_handling else 'after'}")
            self._armed = None if at_write is None else (at_write, before_handling)
            self.writes = []
            self.tripped.clear()
            self.released.clear()

    def release(self) -> None:
        self.released.set()

    def __call__(self, request: Request) -> Response:
        trip = before = False
        with self._lock:
            held = self.tripped.is_set()
            if not held and request.method in ("POST", "DELETE"):
                self.writes.append(f"{request.method} {request.path}")
                if self._armed is not None and len(self.writes) == self._armed[0]:
                    trip, before = True, self._armed[1]
                    self.tripped.set()
        if held or (trip and before):
            self._note(request, "held, never handled: the client is killed")
            self.released.wait(HOLD_SECONDS)
            raise ConnectionDropped("the client was killed before this request was handled")
        outcome = "response lost"
        try:
            response = self._handle(request)
            outcome = str(response.status_code)
            return response
        finally:
            self._note(request, outcome + (", held: the client is killed" if trip else ""))
            if trip:
                self.released.wait(HOLD_SECONDS)

    def _note(self, request: Request, outcome: str) -> None:
        with self._lock:
            self.history.append(f"{request.method} {request.full_path.rstrip('?')} -> {outcome}")


@pytest.fixture
def server() -> Iterator[EmulatorServer]:
    faults = FaultConfig(seed=SEED, lost_rate=LOST_RATE, writes_only=True)
    emulator = EmulatorServer(EmulatorConfig(faults=faults)).start()
    yield emulator
    emulator.close()


def _child_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "EMULATOR_"))}
    return {**env, "OPENAI_API_KEY": "sk-kill-harness", "OPENAI_ADMIN_KEY": "sk-admin-kill-harness"}


class Launcher:
    """Runs `reconcile` commands as child processes, forked from one warm parent.

    `reconcile` spends 2-3 s of CPU importing before it does anything; 20+ runs on a 2-core machine cannot
    pay that each. So a parent process (`sys.executable -c ZYGOTE`) imports the CLI once, and forks one
    child per command, which runs the CLI's own entry point (`reconciler.cli.main.run`) with its own
    stdout/stderr files and working directory. Each child is a real process: SIGKILL ends it mid-call and
    the parent reaps it at once (its pid is then provably gone). `preload` names more modules the parent
    imports first, for commands that import heavy ones when they run (a migration: the durable engine)."""

    def __init__(self, root: Path, *, preload: Sequence[str] = ()) -> None:
        self.root = root
        self.started = 0
        imports = "".join(f"import {module}\n" for module in preload)
        self._zygote = subprocess.Popen(
            [sys.executable, "-c", imports + ZYGOTE],
            env=_child_env(),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        # The parent's lines, read on a thread: a pid and an exit code may arrive in one read.
        self._lines: queue.Queue[str] = queue.Queue()
        self._reader = threading.Thread(target=self._read, name="launcher-lines", daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self._zygote.stdout is not None
        for line in self._zygote.stdout:
            self._lines.put(line)
        self._lines.put("")  # end of output: the parent is gone

    def _line(self, timeout: float) -> str | None:
        try:
            line = self._lines.get(timeout=timeout) if timeout > 0 else self._lines.get_nowait()
        except queue.Empty:
            return None
        assert line, "the launcher died"
        return line

    def start(self, *args: str) -> tuple[int, int]:
        """Fork `reconcile ARGS` in the project: (pid, child number for `tail`)."""
        self.started += 1
        out, err = self._log(self.started)
        job = {"argv": list(args), "cwd": str(self.root), "out": str(out), "err": str(err)}
        assert self._zygote.stdin is not None
        self._zygote.stdin.write(json.dumps(job) + "\n")
        self._zygote.stdin.flush()
        pid = self._line(RUN_SECONDS)
        assert pid is not None, "the launcher did not fork"
        return int(pid), self.started

    def exit_code(self, timeout: float) -> int | None:
        """The running child's exit code once it ended (-9 when killed); None while it runs."""
        line = self._line(timeout)
        return None if line is None else int(line)

    def run(self, *args: str) -> tuple[int, int]:
        """Run to the end (bounded): (exit code, child number)."""
        pid, number = self.start(*args)
        code = self.exit_code(RUN_SECONDS)
        if code is None:
            os.kill(pid, signal.SIGKILL)
            self.exit_code(10)
            raise AssertionError(f"`reconcile {' '.join(args)}` ran longer than {RUN_SECONDS}s")
        return code, number

    def _log(self, number: int) -> tuple[Path, Path]:
        return (self.root.parent / f"child{number:02d}.out", self.root.parent / f"child{number:02d}.err")

    def tail(self, number: int) -> str:
        out, err = (p.read_text(encoding="utf-8", errors="replace") for p in self._log(number))
        return f"child {number} stdout: ...{out[-800:]!r} stderr: ...{err[-800:]!r}"

    def plan_changes(self, number: int) -> str:
        """A plan's change lines and its summary, from a child's stdout."""
        out = self._log(number)[0].read_text(encoding="utf-8", errors="replace").splitlines()
        return " | ".join(line for line in out if re.match(r"(-/\+|[-+~]) [A-Za-z]+/|Plan:", line))

    def close(self) -> None:
        assert self._zygote.stdin is not None and self._zygote.stdout is not None
        self._zygote.stdin.close()  # the parent's loop ends with its input
        try:
            self._zygote.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._zygote.kill()
            self._zygote.wait(timeout=10)
        self._reader.join(timeout=10)  # it ends at the parent's end of output
        self._zygote.stdout.close()


def _run_until_killed(launcher: Launcher, pid: int, switch: KillSwitch) -> int | None:
    """None when the switch tripped and the child was SIGKILLed; its exit code when it ended by itself."""
    end = time.monotonic() + RUN_SECONDS
    try:
        while time.monotonic() < end:
            if switch.tripped.wait(0.02):
                os.kill(pid, signal.SIGKILL)
                code = launcher.exit_code(10)
                assert code == -signal.SIGKILL, f"the killed child ended with {code}"
                return None
            code = launcher.exit_code(0)
            if code is not None:
                return code
        os.kill(pid, signal.SIGKILL)
        launcher.exit_code(10)
        raise AssertionError(f"an apply ran longer than {RUN_SECONDS}s")
    finally:
        switch.release()


def _downloader(client: openai.OpenAI, server: EmulatorServer) -> Callable[[str], bytes]:
    """Through the SDK (`files.content`). OpenAI refuses to download `assistants` files; should the
    emulator ever refuse too, the bytes come from the emulator's own storage instead."""

    def download(file_id: str) -> bytes:
        try:
            return client.files.content(file_id).read()
        except (openai.BadRequestError, openai.PermissionDeniedError):
            return server.app.storage.get_blob(file_id) or b""

    return download


def _audit(root: Path, server: EmulatorServer, expected: Expected) -> Findings:
    with open_store(f"sqlite:///{root / '.reconcile' / 'state.db'}") as store:
        inventory = store.inventory(WORKSPACE)
    client = openai.OpenAI(api_key="sk-auditor", base_url=server.base_url, max_retries=0, timeout=10)
    try:
        return audit(client, expected, inventory, _downloader(client, server))
    finally:
        client.close()


def test_kill_9_at_random_points_converges_with_no_duplicate_orphan_or_wrong_content(
    tmp_path: Path, server: EmulatorServer
) -> None:
    root = tmp_path / "project"
    expected = write_project(root, server.base_url, concurrency=CONCURRENCY)
    assert expected.managed_objects >= 30
    switch = KillSwitch(server.app.handle)
    server.app.handle = switch  # type: ignore[method-assign]
    rng = random.Random(SEED)  # reproducible kill points
    started = time.monotonic()
    kills: list[KillPoint] = []
    log: list[str] = []  # runs that ended by themselves, and what each converged state held
    findings: list[str] = []
    launcher = Launcher(root)

    def context() -> str:
        setting = f"seed={SEED} concurrency={CONCURRENCY} lost_rate={LOST_RATE}"
        return (
            f"{setting} kills={[str(k) for k in kills]} log={log} elapsed={time.monotonic() - started:.0f}s"
        )

    def converged(label: str) -> None:
        """An apply succeeded: audit what the platform holds now, before anything changes again."""
        found = _audit(root, server, expected)
        log.append(f"{label}: {found.summary()}")
        if not found.clean:
            findings.append(f"{label}: {found.summary()}")

    try:
        phase = 0
        while len(kills) < KILLS:
            assert len(kills) + len(log) < MAX_RUNS, f"too many runs: {context()}"
            assert time.monotonic() - started < BUDGET_SECONDS, f"out of time: {context()}"
            point = KillPoint(len(kills) + len(log) + 1, rng.randint(1, MAX_KILL_AT), rng.random() < 0.25)
            switch.arm(point.at_write, before_handling=point.before_handling)
            pid, number = launcher.start("apply", ".", "--auto-approve")
            code = _run_until_killed(launcher, pid, switch)
            if code is None:
                point.writes = list(switch.writes)
                kills.append(point)
                continue
            if code != 0:
                log.append(f"run {point.run}: exit {code}: {launcher.tail(number)}")
                continue
            # Converged before its kill point: check it, then change the project so the kill points left
            # keep landing in real work (uploads replaced by same-name, same-size ones).
            assert phase < len(SWAPS), f"the project converged too soon for {KILLS} kill points: {context()}"
            converged(f"run {point.run} converged after {len(switch.writes)} writes, phase {phase}")
            expected = swap_contents(root, expected, SWAPS[phase])
            phase += 1

        switch.arm(None)
        for _ in range(FINAL_RUNS):
            code, number = launcher.run("apply", ".", "--auto-approve")
            log.append(f"final apply: exit {code} after {len(switch.writes)} writes")
            if code == 0:
                break
        if code != 0:
            findings.append(f"no healthy apply succeeded: {launcher.tail(number)}")
        code, number = launcher.run("plan", ".", "--detailed-exitcode")
        if code != 0:
            findings.append(f"the plan after the last apply is not empty: {launcher.plan_changes(number)}")
        converged(f"end, phase {phase}")
    finally:
        launcher.close()
        (tmp_path / "requests.log").write_text("\n".join(switch.history) + "\n", encoding="utf-8")
    print(f"kill harness: {context()}")
    assert not findings, f"{findings}; {context()}"
    assert time.monotonic() - started < BUDGET_SECONDS, f"out of time: {context()}"
