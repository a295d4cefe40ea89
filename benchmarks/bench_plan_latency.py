"""Wall time of a no-op plan with 50 ms injected per request, beside the longest chain of dependent pages.

Same projects as bench_plan_calls (90% assistants, 10% vector stores with 2 files each), applied with
no faults; then the emulator sleeps 50 ms in every handler and a fresh workspace plans. Requests that do
not depend on each other can overlap (the adapter reads kinds on a thread pool; the in-process
transport runs each request, sleep included, on the calling thread), so the floor is the longest chain
of page fetches that must happen one after another: the assistant pages (cursor pagination), or the
vector-store pages followed by one store's file pages. Goal: plan wall time <= 1.5x that chain.

Also printed, to show where the time goes: the same plan with no latency (CPU: planner, SDK and the
in-process emulator) and the live read alone (`target.read`) at 50 ms.

Run: .venv/bin/python benchmarks/bench_plan_latency.py [--quick]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from _fixtures import Emulator, Shape, pages, timed, write_project
from bench_plan_calls import SIZES, shape_for

from reconciler.emulator.faults import FaultConfig
from reconciler.service import apply, kinds_to_read, make_plan

LATENCY_MS = 50.0
GOAL = 1.5


def chain_pages(shape: Shape) -> int:
    """Page fetches that must run one after another: the longest dependency chain."""
    store_chain = pages(shape.vector_stores) + pages(shape.files_per_store) if shape.vector_stores else 0
    return max(pages(shape.assistants) if shape.assistants else 0, store_chain)


@dataclass
class Row:
    n: int
    shape: Shape
    calls: int
    plan_0ms: float
    plan_50ms: float
    read_50ms: float


def measure(n: int) -> Row:
    shape = shape_for(n)
    emulator = Emulator()
    try:
        with tempfile.TemporaryDirectory(prefix="bench-plan-latency-") as tmp:
            root = Path(tmp)
            write_project(root, shape)
            with emulator.workspace(root) as ws:
                _, report = apply(ws)
            if report is None or not report.ok:
                raise SystemExit(f"N={n}: the first apply failed")
            with emulator.workspace(root) as ws, timed() as plan_0ms:
                make_plan(ws)
            emulator.set_faults(FaultConfig(latency_ms=LATENCY_MS))
            with emulator.workspace(root) as ws:
                with timed() as plan_50ms:
                    plan, _ = make_plan(ws)
                calls = ws.stats.requests
                if plan.has_changes:
                    raise SystemExit(f"N={n}: the plan after apply is not empty")
            with emulator.workspace(root) as ws:
                stored = ws.store.read(ws.name)
                with timed() as read_50ms:
                    ws.target.read(kinds_to_read(ws.project.desired, stored))
            return Row(n, shape, calls, plan_0ms[0], plan_50ms[0], read_50ms[0])
    finally:
        emulator.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="N = 10 and 100 only")
    args = parser.parse_args(argv)
    sizes = SIZES[:2] if args.quick else SIZES
    print(f"No-op plan wall time at {LATENCY_MS:.0f} ms per request vs the longest chain of dependent pages")
    print("shape: 90% assistants, 10% vector stores with 2 files each; in-process emulator\n")
    print(
        f"{'N':>5} {'calls':>6} {'chain':>6} {'chain s':>8} {'plan s':>7} {'ratio':>6}"
        f" {'read s':>7} {'read ratio':>10} {'plan@0ms s':>11}"
    )
    ok = True
    for n in sizes:
        row = measure(n)
        chain = chain_pages(row.shape)
        chain_s = chain * LATENCY_MS / 1000
        ratio = row.plan_50ms / chain_s
        ok = ok and ratio <= GOAL
        print(
            f"{row.n:>5} {row.calls:>6} {chain:>6} {chain_s:>8.2f} {row.plan_50ms:>7.2f} {ratio:>5.2f}x"
            f" {row.read_50ms:>7.2f} {row.read_50ms / chain_s:>9.2f}x {row.plan_0ms:>11.2f}"
        )
    print("\nchain = pages fetched one after another; ratio = plan s / chain s; read = target.read alone;")
    print("plan@0ms = the same plan with no injected latency (CPU only)")
    print(f"goal: ratio <= {GOAL}x at every N: {'MET' if ok else 'MISSED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
