"""Wall time of a first apply of N resources at 50 ms per request, beside what the concurrency allows.

Same projects as bench_plan_calls (90% assistants, 10% vector stores with 2 files each). The emulator
serves over loopback HTTP from its own process (`served_emulator`, as a remote platform is: its CPU off
our interpreter) and sleeps 50 ms in every handler. A fresh project is planned and applied once
(`service.apply`, the whole command: lock, plan, execute), with the default 8 workers.

Printed per N: the requests the apply sent (plan reads included), its wall time, the goal
1.2 x (requests x latency / concurrency) and the ratio wall / that floor; and the state store's
statements per apply step (every statement the store ran during the apply, journal, inventory, versions,
pointers, lock and hints alike, divided by the steps), goal <= 2 amortised.

Goal: ratio <= 1.2 and statements per step <= 2, at every N.

`--profile` runs cProfile on the main thread (the scheduler; workers are not profiled) and prints its
top functions by cumulative time: where the thread that must stay free spends it.

Run: .venv/bin/python benchmarks/bench_apply.py [--sizes 1000,3000] [--profile]
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import sys
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from _fixtures import served_emulator, timed, write_project
from bench_plan_calls import shape_for

from reconciler.service import apply, open_workspace

LATENCY_MS = 50.0
CONCURRENCY = 8
GOAL_RATIO = 1.2
GOAL_STATEMENTS = 2.0
SIZES = (1_000, 3_000)


@dataclass
class Row:
    n: int
    requests: int
    wall: float
    steps: int
    statements: int

    @property
    def floor(self) -> float:
        return self.requests * LATENCY_MS / 1000 / CONCURRENCY

    @property
    def ratio(self) -> float:
        return self.wall / self.floor

    @property
    def per_step(self) -> float:
        return self.statements / max(1, self.steps)

    @property
    def ok(self) -> bool:
        return self.ratio <= GOAL_RATIO and self.per_step <= GOAL_STATEMENTS


def _count_statements() -> tuple[list[int], Any]:
    """Patch each backend's `_run`/`_run_many` to count calls; returns the counter and an undo."""
    from reconciler.store.postgres import PostgresStore
    from reconciler.store.sqlite import SqliteStore

    counter = [0]
    lock = threading.Lock()
    undo: list[tuple[type, str, Any]] = []
    for cls in (SqliteStore, PostgresStore):
        for name in ("_run", "_run_many"):
            original = cls.__dict__.get(name)
            if original is None:
                continue

            def counted(self: Any, *args: Any, _original: Any = original) -> Any:
                with lock:
                    counter[0] += 1
                return _original(self, *args)

            setattr(cls, name, counted)
            undo.append((cls, name, original))

    def restore() -> None:
        for cls, name, original in undo:
            setattr(cls, name, original)

    return counter, restore


def measure(n: int, *, profile: bool) -> tuple[Row, str]:
    os.environ.setdefault("OPENAI_API_KEY", "sk-local-emulator")  # the emulator accepts any key
    with tempfile.TemporaryDirectory(prefix="bench-apply-") as tmp:
        root = Path(tmp) / "project"
        with served_emulator(Path(tmp) / "platform.db", f"latency_ms={LATENCY_MS}") as url:
            write_project(root, shape_for(n), concurrency=CONCURRENCY, served_url=url)
            counter, restore = _count_statements()
            profiler = cProfile.Profile() if profile else None
            try:
                with open_workspace(root, target="served") as ws:
                    before = counter[0]
                    if profiler is not None:
                        profiler.enable()
                    with timed() as wall:
                        _, report = apply(ws, pause_gc=True)
                    if profiler is not None:
                        profiler.disable()
                    statements = counter[0] - before
                    requests = ws.stats.requests
            finally:
                restore()
        if report is None or not report.ok:
            raise SystemExit(f"N={n}: the apply failed")
        text = ""
        if profiler is not None:
            out = io.StringIO()
            pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(25)
            text = out.getvalue()
        return Row(n, requests, wall[0], len(report.steps), statements), text


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default=",".join(str(s) for s in SIZES), help="comma-separated N")
    parser.add_argument("--profile", action="store_true", help="cProfile the main thread, print the top")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]
    print(f"First apply of N resources, emulator served over HTTP, {LATENCY_MS:.0f} ms per request,")
    print(f"concurrency {CONCURRENCY}; 90% assistants, 10% vector stores with 2 files each\n")
    header = ("N", "requests", "wall s", "floor s", "ratio", "steps", "stmts", "/step")
    print(" ".join(f"{h:>{w}}" for h, w in zip(header, (6, 9, 8, 8, 6, 6, 7, 6), strict=True)))
    rows: list[Row] = []
    for n in sizes:
        row, profile = measure(n, profile=args.profile)
        rows.append(row)
        print(
            f"{row.n:>6} {row.requests:>9} {row.wall:>8.2f} {row.floor:>8.2f} {row.ratio:>6.2f} "
            f"{row.steps:>6} {row.statements:>7} {row.per_step:>6.2f}"
        )
        if profile:
            print(profile)
    print()
    print("floor s = requests x latency / concurrency; ratio = wall s / floor s (goal <= 1.2);")
    print("stmts = statements the state store ran during the apply; /step = stmts / steps (goal <= 2)")
    met = all(r.ok for r in rows)
    print(
        f"goal: ratio <= {GOAL_RATIO} and statements per step <= {GOAL_STATEMENTS} at every N: "
        f"{'MET' if met else 'MISSED'}"
    )
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
