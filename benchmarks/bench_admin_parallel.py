"""K applies at once, in K processes, on one Admin API limit: they share its pace through the state store.

Each process applies N SpendAlert creates to its own workspace (a target on its own platform project),
all on one state store (an SQLite file) and one emulator server (its own process) whose Admin API allows
R = 10 requests a minute. The Admin API limits the organization, however many processes call it: each
run's own pacer used to admit its 9 a minute, so K runs drew 429s (and, once retries ran out, failed).
With the budget in the store they take turns.

Time is compressed 12x on both sides, as in bench_admin_pacing.py: the emulator's limiter and each
apply's clock and sleeps run on one emulated clock (one emulated minute = five real seconds), started
from a common epoch so every process agrees. The processes start their applies at the same instant.
Not 60x: every request here crosses loopback HTTP between processes, and its real latency is stretched
by the same factor; at 60x a 50 ms request lasts 3 emulated seconds, longer than the 2 s the pacer
allows for a request in transit, which no real platform's latency comes near.

Printed per K: the admin requests the emulator answered, the 429s among them (goal 0), failed runs and
steps (goal 0), and the time from the first apply's start to the last one's end beside K*N/R (the
creates alone at the Admin API's limit) and beside all admin requests (reads too) at R. The waits the
runs announced (what the CLI prints) are counted too.

Run: .venv/bin/python benchmarks/bench_admin_parallel.py [--quick] [--runs 1,2,4] [--creates N]
"""

from __future__ import annotations

import argparse
import json
import os
import select
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from _fixtures import spend_alert_doc

SPEEDUP = 12.0  # emulated seconds per real second
R = 10  # the Admin API's limit, requests per emulated minute
KEYS = {"OPENAI_API_KEY": "sk-local-emulator", "OPENAI_ADMIN_KEY": "sk-admin-bench-parallel"}

_SERVE = """
import json, signal, sys, time
from reconciler.emulator import EmulatorConfig
from reconciler.emulator.faults import FaultConfig, FaultInjector
from reconciler.emulator.resources.admin import PROJECT
from reconciler.emulator.server import EmulatorServer

epoch, speedup, rpm, projects = float(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3]), sys.argv[4:]
clock = lambda: epoch + (time.time() - epoch) * speedup
seen = {"admin": 0, "limited": 0}

class Counting(FaultInjector):
    def rate_limit(self, group, *, admin):
        limited, *rest = super().rate_limit(group, admin=admin)
        if admin:
            seen["admin"] += 1
            seen["limited"] += int(limited)
        return (limited, *rest)

server = EmulatorServer(EmulatorConfig(), port=0, threads=32)
server.app.faults = Counting(FaultConfig(admin_rpm=rpm), clock=clock)
for pid in projects:
    server.app.storage.insert(PROJECT, {
        "id": pid, "object": "organization.project", "name": pid, "created_at": 0,
        "archived_at": None, "status": "active", "external_key_id": None,
    })

def stop(*_):
    print(json.dumps(seen), flush=True)
    sys.exit(0)

signal.signal(signal.SIGTERM, stop)
print(server.base_url, flush=True)
server.serve_forever()
"""


def _project(root: Path, url: str, runs: int, creates: int, tag: str) -> list[str]:
    """One project, `runs` targets on one state file, each on its own platform project."""
    (root / "manifests").mkdir(parents=True)
    ids = [f"proj_{tag}_{i}" for i in range(runs)]
    targets = "".join(
        f"    ci{i}:\n      type: openai\n      baseURL: {url}\n      projectId: {pid}\n"
        for i, pid in enumerate(ids)
    )
    (root / "reconcile.yaml").write_text(
        "apiVersion: reconciler.dev/v1\nkind: Project\nmetadata:\n  name: parallel\nspec:\n"
        "  manifests: manifests\n  defaultTarget: ci0\n  state: sqlite:///.reconcile/state.db\n"
        f"  retry:\n    adminRequestsPerMinute: {R}\n  targets:\n{targets}"
    )
    docs = "".join(spend_alert_doc(f"alert-{i:03d}", 100 + i) for i in range(creates))
    (root / "manifests" / "spend.yaml").write_text(docs)
    return ids


def worker(root: str, target: str, epoch: float, go_at: float) -> None:
    """One CI job: open the workspace, wait for the common start, apply; print what happened as JSON."""
    from reconciler.model.waits import Wait
    from reconciler.service import apply, open_workspace

    def clock() -> float:
        return epoch + (time.time() - epoch) * SPEEDUP

    def sleep(seconds: float) -> None:
        time.sleep(max(0.0, seconds) / SPEEDUP)

    waits: list[Wait] = []
    with open_workspace(Path(root), target=target) as ws:
        time.sleep(max(0.0, go_at - time.time()))
        start = clock()
        try:
            _, report = apply(ws, clock=clock, sleep=sleep, on_wait=waits.append)
        except Exception as exc:  # one line for the parent: this run failed
            print(json.dumps({"error": f"{type(exc).__name__}: {exc}"[:300], "start": start, "end": clock()}))
            return
    done = report.counts().get("create", 0) if report is not None else 0
    failed = len(report.failed) if report is not None else 0
    print(
        json.dumps({"start": start, "end": clock(), "creates": done, "failed": failed, "waits": len(waits)})
    )


def _serve(epoch: float, projects: list[str]) -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen(
        [sys.executable, "-c", _SERVE, str(epoch), str(SPEEDUP), str(R), *projects],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    ready, _, _ = select.select([process.stdout], [], [], 60.0)
    url = process.stdout.readline().strip() if ready else ""
    if not url.startswith("http://127.0.0.1:"):
        process.kill()
        raise SystemExit(f"the emulator server did not start: {url!r}")
    return process, url


@dataclass(frozen=True)
class Outcome:
    admin: int  # admin requests the emulator answered
    limited: int  # of which 429
    failed_runs: int
    failed_steps: int
    creates: int
    waits: int  # waits the runs announced
    minutes: float  # first apply's start to last apply's end, emulated
    first_error: str


def measure(runs: int, creates: int) -> Outcome:
    epoch = time.time()
    with tempfile.TemporaryDirectory(prefix="bench-admin-parallel-") as tmp:
        root = Path(tmp)
        projects = [f"proj_k{runs}_{i}" for i in range(runs)]
        server, url = _serve(epoch, projects)
        try:
            _project(root, url, runs, creates, f"k{runs}")
            go_at = time.time() + 3.0 + 1.5 * runs  # every process imported and ready by then
            env = {**os.environ, **KEYS}
            procs = [
                subprocess.Popen(
                    [sys.executable, __file__, "--worker", str(root), f"ci{i}", str(epoch), str(go_at)],
                    stdout=subprocess.PIPE,
                    text=True,
                    env=env,
                )
                for i in range(runs)
            ]
            results = [json.loads(p.communicate(timeout=900)[0].strip().splitlines()[-1]) for p in procs]
        finally:
            server.terminate()
            out, _ = server.communicate(timeout=30)
        seen = json.loads(out.strip().splitlines()[-1])
    errors = [str(r["error"]) for r in results if "error" in r]
    return Outcome(
        admin=int(seen["admin"]),
        limited=int(seen["limited"]),
        failed_runs=len(errors),
        failed_steps=sum(int(r.get("failed", 0)) for r in results),
        creates=sum(int(r.get("creates", 0)) for r in results),
        waits=sum(int(r.get("waits", 0)) for r in results),
        minutes=(max(r["end"] for r in results) - min(r["start"] for r in results)) / 60.0,
        first_error=errors[0] if errors else "",
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="K = 1, 3 with 5 creates each")
    parser.add_argument("--runs", default="1,2,4", help="the K values, comma-separated (default 1,2,4)")
    parser.add_argument("--creates", type=int, default=10, help="N, creates per run (default 10)")
    parser.add_argument("--worker", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        root, target, epoch, go_at = args.worker
        worker(root, target, float(epoch), float(go_at))
        return 0
    ks = [1, 3] if args.quick else [int(k) for k in args.runs.split(",")]
    creates = 5 if args.quick else args.creates
    print(f"K processes x N = {creates} SpendAlert creates, one state store, Admin API limited to {R}/min")
    print(f"at {SPEEDUP:g}x time; the runs pace at the default adminRequestsPerMinute: {R}\n")
    header = f"{'K':>3} {'admin req':>9} {'429s':>5} {'failed':>6} {'creates':>7} {'waits':>5}"
    header += f" {'minutes':>8} {'K*N/R':>6} {'ratio':>6} {'all/R':>6} {'ratio':>6}"
    print(header)
    ok = True
    for k in ks:
        m = measure(k, creates)
        floor = k * creates / R
        every = m.admin / R
        row = f"{k:>3} {m.admin:>9} {m.limited:>5} {m.failed_runs + m.failed_steps:>6} {m.creates:>7}"
        row += f" {m.waits:>5} {m.minutes:>8.2f} {floor:>6.2f} {m.minutes / floor:>5.2f}x"
        row += f" {every:>6.2f} {m.minutes / every:>5.2f}x"
        print(row)
        if m.first_error:
            print(f"    first failure: {m.first_error}")
        ok = ok and m.limited == 0 and not m.failed_runs and not m.failed_steps and m.creates == k * creates
    print("\nK*N/R: the creates alone at the limit; all/R: every admin request (the plans' reads too) at it")
    print(f"goal: K parallel runs, zero 429s and every create done: {'MET' if ok else 'MISSED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
