"""API calls of a no-op plan at N = 10, 100 and 1,000 managed resources, beside the minimum possible.

Each project is 90% assistants and 10% vector stores (2 files each), applied once against an in-process
emulator; then a fresh workspace makes a plan (which must show no changes) and we count the HTTP
requests `make_plan` sent. The minimum is the list pages needed: ceil(n/100) per kind (at least one),
plus one file page per managed vector store (ceil(files/100)). A one-GET-per-resource design needs N GETs
(and still the list calls to find the objects; not counted in its favour here). Goal: ratio 1.0.

Run: .venv/bin/python benchmarks/bench_plan_calls.py [--quick]
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from _fixtures import Emulator, Shape, pages, timed, write_project

from reconciler.service import apply, make_plan

SIZES = (10, 100, 1000)
ID = re.compile(r"^(asst_|vs_|file-|proj_|spa_)")  # platform ids in paths, grouped as {id}
FILES_PER_STORE = 2


def shape_for(n: int) -> Shape:
    stores = max(1, n // 10)
    return Shape(assistants=n - stores, vector_stores=stores, files_per_store=FILES_PER_STORE)


def minimum_calls(shape: Shape) -> int:
    store_files = shape.vector_stores * pages(shape.files_per_store)
    return pages(shape.assistants) + pages(shape.vector_stores) + store_files


@dataclass
class Row:
    n: int
    shape: Shape
    apply_seconds: float
    plan_seconds: float
    calls: int
    by_route: dict[str, int]
    changes: bool


def measure(n: int) -> Row:
    shape = shape_for(n)
    emulator = Emulator()
    try:
        with tempfile.TemporaryDirectory(prefix="bench-plan-calls-") as tmp:
            root = Path(tmp)
            write_project(root, shape)
            with emulator.workspace(root) as ws, timed() as applied:
                _, report = apply(ws)
            if report is None or not report.ok:
                raise SystemExit(f"N={n}: the first apply failed: {report.failed if report else 'no report'}")
            with emulator.workspace(root) as ws:
                before = ws.stats.requests
                with timed() as planned:
                    plan, _ = make_plan(ws)
                calls = ws.stats.requests - before
                by_route = dict(ws.stats.by_route)
            return Row(n, shape, applied[0], planned[0], calls, by_route, plan.has_changes)
    finally:
        emulator.close()


def summarise_routes(by_route: dict[str, int]) -> str:
    grouped: dict[str, int] = {}
    for route, count in by_route.items():
        method, _, path = route.partition(" ")
        parts = [p if i < 3 or not ID.match(p) else "{id}" for i, p in enumerate(path.split("/"))]
        key = f"{method} {'/'.join(parts)}"
        grouped[key] = grouped.get(key, 0) + count
    return ", ".join(f"{k}: {v}" for k, v in sorted(grouped.items()))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="N = 10 and 100 only")
    args = parser.parse_args(argv)
    sizes = SIZES[:2] if args.quick else SIZES
    print("No-op plan: API calls vs the minimum (list pages), after one apply; in-process emulator")
    print(f"shape: 90% assistants, 10% vector stores with {FILES_PER_STORE} files each; page size 100\n")
    header = f"{'N':>5} {'asst':>5} {'vs':>4} {'calls':>6} {'minimum':>8} {'ratio':>6}"
    header += f" {'1-GET/res':>10} {'saved':>6} {'apply s':>8} {'plan s':>7}"
    print(header)
    rows = [measure(n) for n in sizes]
    ok = True
    for row in rows:
        minimum = minimum_calls(row.shape)
        ratio = row.calls / minimum
        ok = ok and ratio == 1.0 and not row.changes
        per_resource = row.n  # N GETs, one per managed resource
        print(
            f"{row.n:>5} {row.shape.assistants:>5} {row.shape.vector_stores:>4} {row.calls:>6} {minimum:>8}"
            f" {ratio:>6.2f} {per_resource:>10} {per_resource / row.calls:>5.1f}x"
            f" {row.apply_seconds:>8.2f} {row.plan_seconds:>7.2f}"
            + ("  (PLAN NOT EMPTY)" if row.changes else "")
        )
    print()
    for row in rows:
        print(f"N={row.n} requests by route: {summarise_routes(row.by_route)}")
    print(f"\ngoal: ratio 1.00 at every N, empty plans: {'MET' if ok else 'MISSED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
