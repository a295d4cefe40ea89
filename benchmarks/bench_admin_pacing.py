"""Applying 200 spend-alert creates under an emulated Admin API limit of 10 requests/minute.

The Admin API allows ~10 requests/minute and sends no rate-limit headers, so the executor must pace
itself (`retry.adminRequestsPerMinute`, 10 by default). At 10/minute 200 creates take ~20 minutes, so this
benchmark compresses time 60x on both sides: the emulator's limiter and the apply's clock and sleeps run
60x faster than the wall clock (one emulated minute = one real second), as the integration tests run the
executor on a fake clock. R = 10 per emulated minute is 600 per real minute in a 1-second window.

Printed: apply wall time beside 200/R, the 429 responses the emulator sent (goal 0), the executor's
retries, and whether a fresh plan afterwards is empty with exactly 200 alerts on the platform.

Run: .venv/bin/python benchmarks/bench_admin_pacing.py [--quick] [--pace RPM]   (--quick: 50 creates)
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from _fixtures import CountingTransport, Emulator, Shape, timed, write_project
from bench_plan_calls import summarise_routes

from reconciler.emulator.faults import FaultConfig, FaultInjector
from reconciler.model.desired import Kind
from reconciler.service import apply, make_plan

CREATES = 200
SPEEDUP = 60  # emulated minutes per real minute
REAL_ADMIN_RPM = 10  # the Admin API's limit, per emulated minute
R = REAL_ADMIN_RPM * SPEEDUP  # the same limit in requests per real minute


# Epoch seconds, as the service's clock counts: the pace's slots are kept in the state store.
START = time.time()


def emulated_clock() -> float:
    return START + (time.time() - START) * SPEEDUP


def emulated_sleep(seconds: float) -> None:
    time.sleep(seconds / SPEEDUP)


def compressed_limiter(per_emulated_minute: int) -> FaultInjector:
    return FaultInjector(FaultConfig(admin_rpm=per_emulated_minute), clock=emulated_clock)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="50 creates instead of 200")
    parser.add_argument(
        "--pace",
        type=int,
        default=REAL_ADMIN_RPM,
        metavar="RPM",
        help=f"the project's adminRequestsPerMinute, per emulated minute (default {REAL_ADMIN_RPM})",
    )
    args = parser.parse_args(argv)
    creates = 50 if args.quick else CREATES
    emulator = Emulator()
    try:
        with tempfile.TemporaryDirectory(prefix="bench-admin-pacing-") as tmp:
            root = Path(tmp)
            write_project(root, Shape(spend_alerts=creates), admin_rpm=args.pace)
            emulator.app.faults = compressed_limiter(REAL_ADMIN_RPM)
            transport = CountingTransport(emulator.app)
            with emulator.workspace(root, transport) as ws, timed() as wall:
                _, report = apply(ws, clock=emulated_clock, sleep=emulated_sleep)
                routes = summarise_routes(ws.stats.by_route)
                requests = ws.stats.requests
            if report is None:
                raise SystemExit("the apply did nothing")
            time.sleep(60 / SPEEDUP)  # one emulated minute: the check below starts with a fresh window
            check_transport = CountingTransport(emulator.app)
            with emulator.workspace(root, check_transport) as ws:
                plan, _ = make_plan(ws)
                live = ws.target.read([Kind.SPEND_ALERT])
    finally:
        emulator.close()

    rejected = transport.statuses.get(429, 0)
    floor = creates / R
    done = report.counts().get("create", 0)
    alerts = len(live.spend_alerts)
    print(f"{creates} SpendAlert creates, Admin API limited to {REAL_ADMIN_RPM}/min at {SPEEDUP}x time")
    print(f"R = {R} requests per real minute (1 s sliding window of {REAL_ADMIN_RPM});", end=" ")
    print(f"the project paces at {args.pace}/min, on the same compressed clock\n")
    print(f"{'apply wall time':<28} {wall[0]:8.2f} s")
    print(f"{f'{creates}/R':<28} {floor * 60:8.2f} s   ({floor:.3f} min)")
    print(f"{'ratio':<28} {wall[0] / (floor * 60):8.2f}x")
    print(f"{'requests sent':<28} {requests:8d}   ({routes})")
    print(f"{'429 responses (emulator)':<28} {rejected:8d}   goal 0")
    print(f"{'retries (apply report)':<28} {report.retries:8d}")
    print(f"{'failed steps':<28} {len(report.failed):8d}")
    print(f"{'creates done':<28} {done:8d}")
    after = "changes!" if plan.has_changes else "no changes"
    print(f"{'alerts on the platform':<28} {alerts:8d}   (plan afterwards: {after})")
    if report.failed:
        print(f"first failure: {report.failed[0].address}: {report.failed[0].error}")
    ok = rejected == 0 and not report.failed and alerts == creates and not plan.has_changes
    print(f"\ngoal: zero failed requests (no 429), all {creates} created: {'MET' if ok else 'MISSED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
