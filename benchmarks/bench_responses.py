"""The Responses-era target (issue 15): a no-op plan's API calls at N = 1,000 assistants and 50 vector
stores (bundles cost no platform call, so the minimum is the vector-store list pages and one file page per
store), beside the same project on Assistants v2 (which also lists its assistants); and the runtime's
cached bundle lookup (`Router.release`) beside a plain dict lookup, as medians of single timed calls.

Goals: calls / minimum = 1.00 on the Responses flavour, an empty plan; `Router.release` cached median
under 20 µs.

Run: .venv/bin/python benchmarks/bench_responses.py [--quick]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from _fixtures import Emulator, Shape, pages, timed, write_project

from reconciler.runtime import Router
from reconciler.service import apply, make_plan

LOOKUPS = 20_000
GOAL_US = 20.0


def minimum_calls(shape: Shape, *, assistants_listed: bool) -> int:
    listed = pages(shape.assistants) if assistants_listed else 0
    return listed + pages(shape.vector_stores) + shape.vector_stores * pages(shape.files_per_store)


def plan_calls(shape: Shape, api: str) -> tuple[int, int, float, bool, Path, str]:
    """Apply once, then count a fresh no-op plan's requests. Returns the state DSN for the router."""
    emulator = Emulator()
    tmp = tempfile.mkdtemp(prefix=f"bench-responses-{api}-")
    root = Path(tmp)
    try:
        write_project(root, shape, api=api)
        with emulator.workspace(root) as ws:
            _, report = apply(ws)
            if report is None or not report.ok:
                raise SystemExit(f"{api}: the first apply failed")
        with emulator.workspace(root) as ws:
            before = ws.stats.requests
            with timed() as planned:
                plan, _ = make_plan(ws)
            calls = ws.stats.requests - before
            minimum = minimum_calls(shape, assistants_listed=api != "responses")
            return calls, minimum, planned[0], plan.has_changes, root, ws.name
    finally:
        emulator.close()


def lookup_medians(root: Path, workspace: str) -> tuple[float, float]:
    """Median µs of a cached `Router.release` and of a dict lookup, one timed call each sample."""
    names = [f"bench-assistant-{a:04d}" for a in range(10)]
    plain = {n: object() for n in names}
    clock = time.perf_counter_ns
    with Router(f"sqlite:///{root / '.reconcile' / 'state.db'}", workspace, ttl_seconds=3600) as router:
        for n in names:
            router.release(n)  # fill the cache: the figure is the cached path
        ours, base = [], []
        for i in range(LOOKUPS):
            name = names[i % len(names)]
            t0 = clock()
            router.release(name)
            t1 = clock()
            plain[name]
            t2 = clock()
            ours.append(t1 - t0)
            base.append(t2 - t1)
    return statistics.median(ours) / 1000, statistics.median(base) / 1000


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="N = 100 assistants and 5 stores")
    args = parser.parse_args(argv)
    shape = Shape(assistants=100, vector_stores=5, files_per_store=2)
    if not args.quick:
        shape = Shape(assistants=1000, vector_stores=50, files_per_store=2)
    print(f"No-op plan after one apply, {shape.assistants} assistants, {shape.vector_stores} vector stores")
    print(f"{'flavour':<14} {'calls':>6} {'minimum':>8} {'ratio':>6} {'plan s':>7}")
    ok = True
    results = {}
    for api in ("responses", "assistants-v2"):
        calls, minimum, seconds, changes, root, workspace = plan_calls(shape, api)
        results[api] = (root, workspace)
        ratio = calls / minimum
        if api == "responses":
            ok = ok and ratio == 1.0 and not changes
        note = "  (PLAN NOT EMPTY)" if changes else ""
        print(f"{api:<14} {calls:>6} {minimum:>8} {ratio:>6.2f} {seconds:>7.2f}{note}")
    ours, base = lookup_medians(*results["responses"])
    for root, _ in results.values():
        shutil.rmtree(root, ignore_errors=True)
    print(f"\nRouter.release (cached), median of {LOOKUPS:,}: {ours:.2f} µs; dict lookup: {base:.2f} µs")
    print(f"ratio to the 20 µs goal: {ours / GOAL_US:.3f}; to a dict lookup: {ours / base:.1f}x")
    ok = ok and ours < GOAL_US
    print(f"\ngoal: Responses ratio 1.00 with an empty plan, lookup under 20 µs: {'MET' if ok else 'MISSED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
