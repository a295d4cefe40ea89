"""Issue 19: estimating the cost of 1,000 assistants adds under 5 % to plan time.

A generated project of 1,000 assistants (with file_search and code_interpreter), 10 vector stores of 5
files and 2 spend alerts, on the Responses-era local platform (in-process emulator), applied once. Then
no-op plans, each on a fresh workspace as each `reconcile plan` is, alternating between the project file
without cost settings (no estimate is made) and with a project-wide `usage` and `budget` (every assistant
and store is priced, the budget and alerts checked, the cost section carried in the plan and its id).
Each plan runs as `reconcile plan` does (the collector paused for the whole command, the project loaded
inside the timing). Printed: both medians and the overhead between them (the goal), and
`plan.costs.estimate_costs` alone on the same inputs, as a share of the plan without it.

Run: .venv/bin/python benchmarks/bench_costs.py [--repeat K] [--assistants N]
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import tempfile
import time
from pathlib import Path

from reconciler.plan.bundles import with_bundles
from reconciler.plan.costs import estimate_costs
from reconciler.service import apply, make_plan
from reconciler.service.gcpause import collection_paused
from reconciler.service.planning import kinds_to_read

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _fixtures import Emulator, Shape, timed, write_project

GOAL = 0.05
COSTS = """  usage:
    conversationsPerMonth: 800
    turnsPerConversation: 6
    inputTokensPerTurn: 2500
    outputTokensPerTurn: 350
    cachedInputShare: 0.6
    fileSearchCallsPerTurn: 0.5
    codeInterpreterSessionsPerConversation: 0.2
  budget:
    monthlyUSD: 1000000
"""


def set_costs(root: Path, on: bool, plain: str) -> None:
    head, found, tail = plain.partition("  targets:\n")
    assert found, "the generated project file has no targets block"
    (root / "reconcile.yaml").write_text(head + (COSTS if on else "") + found + tail, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=21)
    parser.add_argument("--assistants", type=int, default=1000)
    args = parser.parse_args(argv)
    shape = Shape(assistants=args.assistants, vector_stores=10, files_per_store=5, spend_alerts=2)
    emulator = Emulator()
    try:
        with tempfile.TemporaryDirectory(prefix="bench-costs-") as tmp:
            root = Path(tmp)
            write_project(root, shape, admin_rpm=6000, api="responses")
            plain = (root / "reconcile.yaml").read_text(encoding="utf-8")
            set_costs(root, True, plain)
            with emulator.workspace(root) as ws:
                _, report = apply(ws)
            if report is None or not report.ok:
                raise SystemExit("the first apply failed")
            walls: dict[bool, list[float]] = {False: [], True: []}
            cpus: dict[bool, list[float]] = {False: [], True: []}
            lines = 0
            # One pair first, not counted (caches warm up); then the order alternates (ABBA), so neither
            # kind always runs first.
            orders = [(False, True)] + [((False, True), (True, False))[i % 2] for i in range(args.repeat)]
            for index, order in enumerate(orders):
                for on in order:
                    set_costs(root, on, plain)
                    # As `reconcile plan` runs: the collector paused for the whole command, the project
                    # loaded inside the timing (its usage is read for every assistant).
                    gc.collect()
                    cpu = time.process_time()
                    with timed() as wall, collection_paused(), emulator.workspace(root) as ws:
                        plan, _ = make_plan(ws)
                    if index:
                        cpus[on].append(time.process_time() - cpu)
                    if plan.has_changes:
                        raise SystemExit("the plan after apply is not empty")
                    if on:
                        assert plan.costs is not None
                        lines = len(plan.costs.lines) + plan.costs.unchanged
                    else:
                        assert plan.costs is None
                    if index:
                        walls[on].append(wall[0])
            set_costs(root, True, plain)
            with emulator.workspace(root) as ws:
                stored = ws.store.read(ws.name)
                live = with_bundles(ws.target.read(kinds_to_read(ws.project.desired, stored)), stored)
                desired = ws.project.desired
                alone: list[float] = []
                estimate_costs(desired, live, stored)  # the first run pays for warming caches up
                for _ in range(20):
                    with collection_paused():
                        start = time.perf_counter()
                        estimate = estimate_costs(desired, live, stored)
                        alone.append(time.perf_counter() - start)
            assert estimate is not None and estimate.unknown == 0
    finally:
        emulator.close()
    # CPU time is the judge: the emulator runs in this process, so a plan's CPU is all the work there is,
    # and it is not stretched by whatever else the machine runs (wall time is printed beside it). Each
    # repeat is a pair run back to back; the overhead is the median of the pairs' differences, which
    # cancels the drift a busy machine adds to both.
    without, with_costs = statistics.median(cpus[False]), statistics.median(cpus[True])
    overhead = statistics.median(b - a for a, b in zip(cpus[False], cpus[True], strict=True)) / without
    share = statistics.median(alone) / without
    wall_without, wall_with = statistics.median(walls[False]), statistics.median(walls[True])
    wall_overhead = (
        statistics.median(b - a for a, b in zip(walls[False], walls[True], strict=True)) / wall_without
    )
    print(f"{args.assistants} assistants, {lines} priced resources, {args.repeat} no-op plans of each kind:")
    print(f"  plan without cost settings   median {without:.3f} s CPU ({wall_without:.3f} s wall)")
    print(f"  plan with the estimate       median {with_costs:.3f} s CPU ({wall_with:.3f} s wall)")
    print(f"  overhead                     {overhead:+.1%} of the plan's CPU (goal: under {GOAL:.0%})")
    print(f"  overhead, wall               {wall_overhead:+.1%}")
    alone_ms = statistics.median(alone) * 1000
    print(f"  estimate_costs alone         {alone_ms:.1f} ms = {share:.1%} of the plan's CPU")
    print(f"  estimate: {estimate.after:,.2f} USD a month")
    met = overhead < GOAL
    print("goal met" if met else "goal MISSED")
    return 0 if met else 1


if __name__ == "__main__":
    raise SystemExit(main())
