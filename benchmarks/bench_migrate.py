"""Conversation migration at the platform's rate limit (issue 17): throughput, memory, and two workers.

N conversations of 10 items each (a user message, four function_call/function_call_output pairs of
`list_expenses`, an assistant message) are seeded on version 1 of an assistant through the SDK and pinned
in the store; `list_expenses` then renames `from`/`to` to `start_date`/`end_date` with an upcaster and
version 2 is applied. `reconcile conversations migrate run` (its own process, as a user runs it) moves
them all against the emulator served by another process, whose conversations route group allows R
requests a minute (`--faults rpm=R,only=conversations`: a sliding 60 s log, 429 with Retry-After and
x-ratelimit-* headers), with `spec.conversations.requestsPerMinute: R` in the project. Seeding happens
before the limit is switched on (the emulator takes the switch on its standard input), so only the
migration's requests meet it.

Measured in one run:
- capacity: a short migration (its own assistant) with neither the limit nor the project's pace, to show
  that R binds (the migration could go faster than R).
- throughput: the platform's requests a minute after the first minute of the big migration, counted at
  the emulator (a counting fault injector in the server process: benchmark code), against R. Goal >= 0.9
  (the shared request gate sustains ~95 % of R and keeps ~4 % for a burst and 1 % for transit), and no
  request answered 429 after the first minute.
- memory: the child's VmRSS from /proc, sampled every 0.25 s; printed when 1,000 (`--quick`: a tenth)
  and when all conversations are done, and the peak from then on (VmHWM, the kernel's high-water mark of
  the whole process, is printed beside it). Goal "flat": the largest RSS after the 1,000th conversation
  <= 1.25x the RSS at it. Caches (SQLite's pages, DBOS's, the SDK's connection pool) fill in the first
  thousand; anything held per conversation past that grows with the 9,000 more (4 KB each would
  already be +36 MB, ~25 % of the process), which the threshold catches.
- two workers: a second assistant's migration (2,000 conversations) worked by `migrate run` and a
  `reconcile conversations worker` at once, on the one state store and its budget: the most requests the
  emulator admitted in any 60 s window of that phase <= R, no 429, and both processes moved
  conversations (DBOS's workflow table names each one's executor).

Everything talks to 127.0.0.1 only. The machine is shared (2 cores): CPU-bound figures vary by ~20 %.

Run: .venv/bin/python benchmarks/bench_migrate.py [--conversations N] [--rpm R] [--pair N] [--quick]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import select
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from _fixtures import PROJECT_ID

WS = "served"
MAIN, PAIR, PROBE = "Ledger", "Planner", "Probe"
KEY = "sk-bench-migrate"
PROBE_CONVERSATIONS = 400
FLAT = 1.25  # RSS after the 1,000th conversation, at most this times the RSS at it
THROUGHPUT = 0.9  # requests a minute after the first minute, at least this times R
SAMPLE_SECONDS = 0.25
TICKS = os.sysconf("SC_CLK_TCK")

# The emulator in its own process, counting the conversations group's requests (admitted and 429) with
# their wall-clock times; its standard input switches the faults (`faults SPEC`) and dumps the counts.
_SERVE = """
import json, sys, threading, time
from reconciler.emulator import EmulatorConfig
from reconciler.emulator.faults import FaultConfig, FaultInjector
from reconciler.emulator.server import EmulatorServer

seen = {"ok": [], "limited": []}

class Counting(FaultInjector):
    def rate_limit(self, group, *, admin):
        answer = super().rate_limit(group, admin=admin)
        if group == "conversations":
            seen["limited" if answer[0] else "ok"].append(time.time())
        return answer

server = EmulatorServer(EmulatorConfig(db_path=sys.argv[1], project_id=sys.argv[2]), port=0, threads=64)
server.app.faults = Counting(FaultConfig())

def control():
    for line in sys.stdin:
        command, _, argument = line.strip().partition(" ")
        if command == "faults":
            server.app.faults = Counting(FaultConfig.parse(argument))
            print("ok", flush=True)
        elif command == "dump":
            print(json.dumps(seen), flush=True)
    server.close()

threading.Thread(target=control, daemon=True).start()
print(server.base_url, flush=True)
server.serve_forever()
"""

TOOL_V1 = """apiVersion: reconciler.dev/v1
kind: FunctionTool
metadata:
  name: list_expenses
spec:
  description: List the employee's recorded expenses between two dates, inclusive.
  strict: true
  parameters:
    type: object
    additionalProperties: false
    properties:
      from:
        type: string
        format: date
      to:
        type: string
        format: date
    required: [from, to]
"""
TOOL_V2 = """apiVersion: reconciler.dev/v1
kind: FunctionTool
metadata:
  name: list_expenses
spec:
  description: List the employee's recorded expenses between two dates, inclusive.
  strict: true
  parameters:
    type: object
    additionalProperties: false
    properties:
      start_date:
        type: string
        format: date
      end_date:
        type: string
        format: date
    required: [start_date, end_date]
  migrations:
    - from: 1
      to: 2
      steps:
        - rename: {from: /from, to: /start_date}
        - rename: {from: /to, to: /end_date}
"""


def assistant_doc(name: str, *, breaking: bool) -> str:
    accept = "\n  acceptBreaking: list_expenses renames from/to; we migrate" if breaking else ""
    return f"""---
apiVersion: reconciler.dev/v1
kind: Assistant
metadata:
  name: {name}
spec:
  model: gpt-5.5-2026-04-23
  instructions: You are {name}; list expenses when asked.
  tools: [list_expenses]
  versioning: immutable{accept}
  rollout: {{strategy: immediate}}
"""


def project_yaml(url: str, rpm: int) -> str:
    return f"""apiVersion: reconciler.dev/v1
kind: Project
metadata:
  name: bench-migrate
spec:
  manifests: manifests
  defaultTarget: {WS}
  state: sqlite:///.reconcile/state.db
  targets:
    {WS}:
      type: openai
      api: responses
      baseURL: {url}
      projectId: {PROJECT_ID}
  conversations:
    retention: 30d
    requestsPerMinute: {rpm}
"""


def write_project(root: Path, url: str, rpm: int, *, version: int) -> None:
    """reconcile.yaml and manifests/ for the three assistants, `list_expenses` at `version` (1 or 2)."""
    (root / "manifests").mkdir(parents=True, exist_ok=True)
    (root / "reconcile.yaml").write_text(project_yaml(url, rpm), encoding="utf-8")
    (root / "manifests" / "list-expenses.yaml").write_text(
        TOOL_V1 if version == 1 else TOOL_V2, encoding="utf-8"
    )
    assistants = "".join(assistant_doc(n, breaking=version > 1) for n in (MAIN, PAIR, PROBE))
    (root / "manifests" / "assistants.yaml").write_text(assistants, encoding="utf-8")


def conversation_items(n: int) -> list[dict[str, Any]]:
    """Ten items: a question, four list_expenses calls with their outputs, an answer."""
    items: list[dict[str, Any]] = [
        {"type": "message", "role": "user", "content": f"my expenses of 2026, quarter by quarter ({n})"}
    ]
    for q in range(4):
        call = f"call_{n}_{q}"
        arguments = {"from": f"2026-{3 * q + 1:02d}-01", "to": f"2026-{3 * q + 3:02d}-28"}
        items.append(
            {
                "type": "function_call",
                "call_id": call,
                "name": "list_expenses",
                "arguments": json.dumps(arguments),
            }
        )
        items.append({"type": "function_call_output", "call_id": call, "output": '{"expenses": []}'})
    items.append({"type": "message", "role": "assistant", "content": "You had no expenses in 2026."})
    return items


# -- the emulator process ----------------------------------------------------------------------------
class Emulator:
    def __init__(self, db: Path) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-c", _SERVE, str(db), PROJECT_ID],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self.url = self._line(60.0)
        if not self.url.startswith("http://127.0.0.1:"):
            self.process.kill()
            raise SystemExit(f"the emulator server did not start: {self.url!r}")

    def _line(self, timeout: float) -> str:
        assert self.process.stdout is not None
        ready, _, _ = select.select([self.process.stdout], [], [], timeout)
        return self.process.stdout.readline().strip() if ready else ""

    def _say(self, line: str) -> str:
        assert self.process.stdin is not None
        self.process.stdin.write(line + "\n")
        self.process.stdin.flush()
        return self._line(60.0)

    def set_faults(self, spec: str) -> None:
        if self._say(f"faults {spec}") != "ok":
            raise SystemExit("the emulator did not take the faults")

    def stamps(self) -> tuple[list[float], list[float]]:
        """Times of the conversations group's admitted requests and of its 429s, so far."""
        seen = json.loads(self._say("dump"))
        return seen["ok"], seen["limited"]

    def close(self) -> None:
        if self.process.stdin is not None:
            self.process.stdin.close()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()


# -- set-up ------------------------------------------------------------------------------------------
def apply(root: Path, log: Path) -> None:
    """`reconcile apply` as its own process; exits the benchmark when it fails."""
    with open(log, "a") as out:
        done = subprocess.run(
            [sys.executable, "-m", "reconciler", "apply", str(root), "--auto-approve"],
            stdout=out,
            stderr=subprocess.STDOUT,
            check=False,
            timeout=3600,
        )
    if done.returncode != 0:
        raise SystemExit(f"reconcile apply exited {done.returncode}\n{log.read_text()[-2000:]}")


def seed(url: str, root: Path, counts: dict[str, int]) -> float:
    """Create each assistant's conversations through the SDK (8 at once) and pin them to version 1;
    returns the seconds it took."""
    import openai

    from reconciler.store import open_store

    client = openai.OpenAI(base_url=url, api_key=KEY, max_retries=5)
    started = time.perf_counter()
    made: dict[str, list[str]] = {}
    with ThreadPoolExecutor(max_workers=8) as pool:
        for name, count in counts.items():

            def one(n: int, name: str = name) -> str:
                items = conversation_items(n)
                return client.conversations.create(items=items, metadata={"reconciler/name": name}).id  # type: ignore[arg-type]

            made[name] = list(pool.map(one, range(count)))
    with open_store(state_dsn(root)) as store:
        now = time.time()
        for name, ids in made.items():
            for conversation in ids:
                store.assign_conversation(WS, name, conversation, 1, now=now)
    return time.perf_counter() - started


def state_dsn(root: Path) -> str:
    return f"sqlite:///{root / '.reconcile' / 'state.db'}"


# -- one migration, watched --------------------------------------------------------------------------
@dataclass
class Watched:
    seconds: float  # the run process's wall time
    done: int
    total: int
    rss_mark: int  # kB when `mark` conversations were done
    rss_end: int  # kB at the last sample (all done)
    rss_peak_after_mark: int  # kB, the largest sample from the mark on
    hwm: int  # kB, VmHWM at the last sample
    mark_seconds: float  # when the mark was reached, from the start
    samples: list[Sample] = field(default_factory=list)

    def cpu_between(self, start: float, end: float) -> tuple[float, float]:
        """(CPU seconds the process used, wall seconds) between the samples nearest `start` and `end`."""
        inside = [s for s in self.samples if start <= s.at <= end]
        if len(inside) < 2:
            return 0.0, 0.0
        return inside[-1].cpu - inside[0].cpu, inside[-1].at - inside[0].at

    def load_between(self, start: float, end: float) -> float:
        """The mean one-minute load average over the samples between `start` and `end`."""
        inside = [s.load for s in self.samples if start <= s.at <= end]
        return sum(inside) / len(inside) if inside else 0.0


@dataclass(frozen=True)
class Sample:
    at: float  # time.time()
    done: int  # conversations settled
    rss: int  # kB
    cpu: float  # the process's CPU seconds so far (user + system)
    load: float  # the machine's one-minute load average


def _proc_status(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM (kB) and `ticks`, the CPU time used (user + system, clock ticks); {} once gone."""
    found: dict[str, int] = {}
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                key, _, value = line.partition(":")
                if key in ("VmRSS", "VmHWM"):
                    found[key] = int(value.split()[0])
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rpartition(")")[2].split()
        found["ticks"] = int(fields[11]) + int(fields[12])  # utime, stime: fields 14 and 15 of stat
    except (FileNotFoundError, ProcessLookupError, IndexError, ValueError):
        return {}
    return found


def cpu_seconds(pid: int) -> float:
    return _proc_status(pid).get("ticks", 0) / TICKS


def _migration_id(root: Path, assistant: str) -> str | None:
    with closing(sqlite3.connect(root / ".reconcile" / "state.db", timeout=30)) as db:
        try:
            row = db.execute(
                "SELECT id FROM conversation_migrations WHERE assistant = ? ORDER BY created_at DESC LIMIT 1",
                (assistant,),
            ).fetchone()
        except sqlite3.OperationalError:
            return None
    return str(row[0]) if row else None


def _settled(root: Path, migration: str) -> int:
    with closing(sqlite3.connect(root / ".reconcile" / "state.db", timeout=30)) as db:
        row = db.execute(
            "SELECT COUNT(*) FROM migration_items WHERE migration_id = ? AND status != 'pending'",
            (migration,),
        ).fetchone()
    return int(row[0])


def watch_run(
    root: Path, assistant: str, total: int, mark: int, log: Path, extra: Sequence[str] = ()
) -> Watched:
    """`migrate run` as a child; its RSS and the store's progress sampled until it exits."""
    started = time.perf_counter()
    child = subprocess.Popen(
        [sys.executable, "-m", "reconciler", "conversations", "migrate", "run", assistant, "--to", "2",
         *extra, "-C", str(root)],
        stdout=open(log, "w"),  # noqa: SIM115
        stderr=subprocess.STDOUT,
    )  # fmt: skip
    migration: str | None = None
    done = 0
    rss_mark = rss_end = peak = hwm = 0
    mark_at = 0.0
    samples: list[Sample] = []
    while child.poll() is None:
        time.sleep(SAMPLE_SECONDS)
        status = _proc_status(child.pid)
        if "VmRSS" not in status:
            continue  # gone, or exited and not yet reaped (a zombie has no memory)
        if migration is None:
            migration = _migration_id(root, assistant)
        if migration is not None:
            with contextlib.suppress(sqlite3.OperationalError):  # busy for 30 s: keep the last count
                done = _settled(root, migration)
        now = time.perf_counter() - started
        rss, hwm = status["VmRSS"], max(hwm, status.get("VmHWM", 0))
        samples.append(Sample(time.time(), done, rss, status["ticks"] / TICKS, os.getloadavg()[0]))
        if done >= mark and not rss_mark:
            rss_mark, mark_at = rss, now
        if rss_mark:
            peak = max(peak, rss)
        rss_end = rss
    seconds = time.perf_counter() - started
    if child.returncode != 0:
        raise SystemExit(f"migrate run {assistant} exited {child.returncode}\n{log.read_text()[-3000:]}")
    if migration is not None:
        done = _settled(root, migration)
    return Watched(seconds, done, total, rss_mark, rss_end, peak, hwm, mark_at, samples)


# -- the platform's side -----------------------------------------------------------------------------
def window_max(stamps: Sequence[float], seconds: float = 60.0) -> int:
    """The most stamps in any half-open window of `seconds`."""
    best, lo = 0, 0
    for hi, t in enumerate(stamps):
        while t - stamps[lo] >= seconds:
            lo += 1
        best = max(best, hi - lo + 1)
    return best


def between(stamps: Sequence[float], start: float, end: float) -> list[float]:
    return [t for t in stamps if start <= t <= end]


def executors(root: Path, migration: str) -> dict[str, int]:
    """Workflows of the migration by the process (executor id) that ran them: DBOS's own table."""
    with closing(sqlite3.connect(root / ".reconcile" / "workflows.sqlite", timeout=30)) as db:
        tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        table = next(t for t in tables if t.endswith("workflow_status"))
        rows = db.execute(
            f'SELECT executor_id, COUNT(*) FROM "{table}" WHERE workflow_uuid LIKE ? '
            "AND status = 'SUCCESS' GROUP BY executor_id",
            (f"{migration}/%",),
        ).fetchall()
    return {str(r[0]): int(r[1]) for r in rows}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", type=int, default=10_000, help="N (default 10,000)")
    parser.add_argument("--rpm", type=int, default=4_000, help="R, requests a minute (default 4,000)")
    parser.add_argument("--pair", type=int, default=2_000, help="conversations of the two-worker phase")
    parser.add_argument("--quick", action="store_true", help="N = 1,500, R = 3,000, 400 for two workers")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory (printed)")
    args = parser.parse_args(argv)
    n, rpm, pair = (1_500, 3_000, 400) if args.quick else (args.conversations, args.rpm, args.pair)
    mark = 1_000 if n >= 2_000 else max(1, n // 10)
    os.environ["OPENAI_API_KEY"] = KEY
    tmp = tempfile.mkdtemp(prefix="bench-migrate-")
    root = Path(tmp) / "project"
    logs = Path(tmp)
    print(f"{n:,} conversations of 10 items moved to a new tool schema; the platform allows R = {rpm:,}")
    print(f"requests a minute on conversations; the project paces at requestsPerMinute: {rpm:,}")
    print(f"load average at start: {', '.join(f'{x:.2f}' for x in os.getloadavg())}; directory {tmp}\n")
    emulator = Emulator(Path(tmp) / "platform.db")
    try:
        return _run(emulator, root, logs, n, rpm, pair, mark)
    finally:
        emulator.close()
        if not args.keep:
            import shutil

            shutil.rmtree(tmp, ignore_errors=True)


def _run(emulator: Emulator, root: Path, logs: Path, n: int, rpm: int, pair: int, mark: int) -> int:
    unbounded = 1_000_000
    write_project(root, emulator.url, unbounded, version=1)
    apply(root, logs / "apply.log")
    seconds = seed(emulator.url, root, {MAIN: n, PAIR: pair, PROBE: PROBE_CONVERSATIONS})
    total = n + pair + PROBE_CONVERSATIONS
    print(
        f"seeded {total:,} conversations ({n:,} + {pair:,} + {PROBE_CONVERSATIONS}) in {seconds:.0f} s, "
        "no limit"
    )
    write_project(root, emulator.url, unbounded, version=2)
    apply(root, logs / "apply.log")

    # Capacity: neither the platform's limit nor the project's pace.
    ok0, _ = emulator.stamps()
    probe = watch_run(root, PROBE, PROBE_CONVERSATIONS, 1, logs / "probe.log")
    ok1, _ = emulator.stamps()
    stamps = ok1[len(ok0) :]
    span = max(1e-9, stamps[-1] - stamps[0]) if stamps else 1e-9
    capacity = len(stamps) / span * 60.0
    print(
        f"capacity, unlimited: {PROBE_CONVERSATIONS} conversations, {len(stamps):,} requests in "
        f"{span:.1f} s = "
        f"{capacity:,.0f} requests/min ({PROBE_CONVERSATIONS / span:.1f} conversations/s); "
        f"R = {rpm:,} is {rpm / capacity:.2f}x of it"
    )
    del probe

    # The big migration at the limit.
    write_project(root, emulator.url, rpm, version=2)
    emulator.set_faults(f"rpm={rpm},only=conversations")
    begin, server_cpu = time.time(), cpu_seconds(emulator.process.pid)
    run = watch_run(root, MAIN, n, mark, logs / "run.log")
    end, server_cpu = time.time(), cpu_seconds(emulator.process.pid) - server_cpu
    ok, limited = emulator.stamps()
    ok_main, limited_main = between(ok, begin, end), between(limited, begin, end)
    first = ok_main[0] if ok_main else begin
    last = ok_main[-1] if ok_main else end
    steady = between(ok_main, first + 60.0, last)
    steady_minutes = (last - first - 60.0) / 60.0
    per_minute = len(steady) / steady_minutes if steady_minutes > 0 else 0.0
    late_429 = len(between(limited_main, first + 60.0, end))
    throughput_ok = steady_minutes > 0 and per_minute >= THROUGHPUT * rpm and late_429 == 0
    flat_ratio = run.rss_peak_after_mark / run.rss_mark if run.rss_mark else float("inf")
    flat_ok = run.done == n and flat_ratio <= FLAT

    # Two workers on one budget: a worker first (it idles until there is work), then `migrate run`.
    worker_log = open(logs / "worker.log", "w")  # noqa: SIM115
    worker = subprocess.Popen(
        [sys.executable, "-m", "reconciler", "conversations", "worker", "--worker-id", "w2", "-C", str(root)],
        stdout=worker_log,
        stderr=subprocess.STDOUT,
    )
    try:
        time.sleep(3.0)
        begin2 = time.time()
        both = watch_run(root, PAIR, pair, 1, logs / "pair.log", extra=("--worker-id", "w1"))
        end2 = time.time()
    finally:
        worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(timeout=60)
        except subprocess.TimeoutExpired:
            worker.kill()
        worker_log.close()
    ok, limited = emulator.stamps()
    ok_pair, limited_pair = between(ok, begin2, end2), between(limited, begin2, end2)
    pair_window = window_max(ok_pair)
    pair_migration = _migration_id(root, PAIR)
    by = executors(root, pair_migration) if pair_migration else {}
    pair_ok = (
        both.done == pair
        and pair_window <= rpm
        and not limited_pair
        and by.get("w1", 0) > 0
        and by.get("w2", 0) > 0
    )

    mb = 1024.0
    print(
        f"\nmigrate run {MAIN}: {run.done:,} of {n:,} moved in {run.seconds:.0f} s "
        f"({run.done / run.seconds:.1f}/s)"
    )
    print(
        f"  platform: {len(ok_main):,} requests admitted, {len(limited_main)} answered 429 "
        f"(the first minute: {len(limited_main) - late_429}); busiest 60 s: {window_max(ok_main):,}"
    )
    print(
        f"  after the first minute: {len(steady):,} requests in {steady_minutes:.2f} min = "
        f"{per_minute:,.0f}/min = {per_minute / rpm:.3f} x R "
        f"({len(ok_main) / max(1, run.done):.2f} requests a conversation)"
    )
    cpu, wall = run.cpu_between(first + 60.0, last)
    print(
        f"  CPU after the first minute: migrate run {cpu:.0f} s in {wall:.0f} s ({cpu / max(wall, 1e-9):.2f} "
        f"of a core); the emulator {server_cpu / max(end - begin, 1e-9):.2f} of a core over the run; "
        f"mean load average {run.load_between(first + 60.0, last):.1f} on {os.cpu_count()} cores"
    )
    print(
        f"  RSS: {run.rss_mark / mb:.1f} MB at {mark:,} done ({run.mark_seconds:.0f} s), "
        f"{run.rss_end / mb:.1f} MB at {run.done:,} done; largest after {mark:,}: "
        f"{run.rss_peak_after_mark / mb:.1f} MB = {flat_ratio:.3f}x; VmHWM {run.hwm / mb:.1f} MB"
    )
    print(
        f"\ntwo workers, {PAIR}: {both.done:,} of {pair:,} moved in {both.seconds:.0f} s; by process: "
        f"{', '.join(f'{k} {v:,}' for k, v in sorted(by.items())) or 'none'}"
    )
    print(
        f"  platform: {len(ok_pair):,} requests admitted, {len(limited_pair)} answered 429; "
        f"busiest 60 s: {pair_window:,} = {pair_window / rpm:.3f} x R"
    )

    verdict = {True: "met", False: "MISSED"}
    print(f"\n{'goal':<60} {'measured':>22}  ")
    rows = [
        (
            f"throughput after the first minute >= {THROUGHPUT} x R, 0 x 429",
            f"{per_minute / rpm:.3f} x R, {late_429} x 429",
            throughput_ok,
        ),
        (f"RSS flat: largest after {mark:,} <= {FLAT} x RSS at {mark:,}", f"{flat_ratio:.3f}x", flat_ok),
        (
            "two workers, one limit: busiest 60 s <= R, 0 x 429, both work",
            f"{pair_window / rpm:.3f} x R, {len(limited_pair)} x 429",
            pair_ok,
        ),
    ]
    for goal, measured, met in rows:
        print(f"{goal:<60} {measured:>22}  {verdict[met]}")
    if rpm < 0.9 * capacity:
        print(f"R is {rpm / capacity:.2f}x of the unlimited capacity: the limit binds")
    else:
        print(f"R is {rpm / capacity:.2f}x of the unlimited capacity: the limit may not bind (lower --rpm)")
    ok_all = throughput_ok and flat_ok and pair_ok
    print(f"goal: migration at the rate limit (issue 17): {'MET' if ok_all else 'MISSED'}")
    return 0 if ok_all else 1


if __name__ == "__main__":
    sys.exit(main())
