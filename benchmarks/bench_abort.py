"""An abort's reach into another process (issue 16 item 7): how long after `reconcile rollout abort`
commits does a runtime Router in a different process pin its first new conversation to stable, and does
it ever hand a new conversation to the canary after that.

Each trial starts a canary rollout of a fresh version over stable version 1 through the store, as apply
and the controller do (`store.transitions.start` + `commit`, then a step to weight 100 and an indefinite
pause, so every new conversation goes to the canary while the rollout is active). A child process runs a
`Router` (ttl_seconds=3600, so no TTL can help) in a tight loop of `assign(name, <new conversation id>)`
- each a new conversation, so none is a cached pin - and says when it first gets the canary. At a random
moment 5-25 ms later the parent aborts through the operators' verb (`service.canary_verbs.act(state,
name, "abort")`, `onAbort: stable`), noting the time the commit returned. The child reports, on the shared
monotonic clock, when its first assignment to stable returned and when the last assignment that got the
canary had begun; then it assigns `--after` more new conversations (default 100), every one of which must
get stable. Propagation is child-saw minus commit-returned (and, printed with it, how much of that the
call already in flight at the commit took to finish); median and p99 over `--trials` (default 50)
on SQLite (a WAL file: the child's watch reads `PRAGMA data_version` on each call) and on PostgreSQL
(LISTEN/NOTIFY; at 127.0.0.1:5432, user postgres, db test, or RECONCILE_TEST_PG, in a fresh schema;
skipped with the reason when unreachable, unless CI=true, which makes that a miss).

Goals, as for the stop button (`bench_stop.py`): propagation p99 under 100 ms on both backends; no new
conversation gets the canary once the child has seen the abort; and on SQLite "within one store check":
no assignment begun after the abort's commit returned gets the canary. Also printed, not judged: how many
new conversations were pinned to the canary by an assignment that read the rollout before the abort and
wrote its pin after it (the abort's `onAbort: stable` moved the canary's conversations back in its own
transaction, so those stay on the aborted canary).

    .venv/bin/python benchmarks/bench_abort.py [--trials N] [--after N]
"""

from __future__ import annotations

import argparse
import itertools
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from _fixtures import pg_schema

from reconciler.model.rollouts import CanaryStep, Rollout
from reconciler.model.stored import VersionRecord
from reconciler.runtime import Router
from reconciler.service import ReleaseState
from reconciler.service.canary_verbs import act
from reconciler.store import StateStore, open_store, transitions

WS = "bench"
NAME = "CorporateAssist"
STABLE = 1
GOAL_PROPAGATION_S = 0.100
WAIT_S = 10.0  # the child gives up waiting for a rollout or an abort to reach it
ROLLOUT = Rollout(
    strategy="canary", steps=(CanaryStep(weight=100), CanaryStep(pause_indefinitely=True)), on_abort="stable"
)


def child(dsn: str, trials: int, after: int) -> int:
    """The other process: new conversations assigned in a tight loop; each trial starts on "go"."""
    with Router(dsn, WS, ttl_seconds=3600) as router:
        conversations = itertools.count()

        def assign() -> int:  # a new conversation each call: never a cached pin
            return router.assign(NAME, f"c{next(conversations)}").version

        assign()
        print("ready", flush=True)
        for _ in range(trials):
            if not sys.stdin.readline():  # "go": this trial's rollout is committed (EOF: the parent gave up)
                return 1
            deadline = time.monotonic() + WAIT_S
            while True:  # until this process sees the rollout
                began = time.monotonic()
                if assign() != STABLE:
                    break
                if began > deadline:
                    print("timeout: no new conversation went to the canary", flush=True)
                    return 1
            print("canary", flush=True)
            deadline = time.monotonic() + WAIT_S
            while True:  # until it sees the abort
                last_canary_began, began = began, time.monotonic()
                if assign() == STABLE:
                    print(f"stable {time.monotonic()!r} {last_canary_began!r} {began!r}", flush=True)
                    break
                if began > deadline:
                    print("timeout: new conversations still go to the canary", flush=True)
                    return 1
            wrong = sum(assign() != STABLE for _ in range(after))
            print(f"checked {after} {wrong}", flush=True)
    return 0


def seed(dsn: str, trials: int) -> None:
    """Stable version 1, and a version per trial for its canary."""
    with open_store(dsn) as store:
        for n in range(1, trials + 2):
            record = VersionRecord(assistant=NAME, number=n, platform_id=f"b_{n}", fingerprint=f"f{n}")
            store.add_version(WS, record)
        store.move_pointer(WS, NAME, "stable", STABLE, user="bench", host="bench", reason="", now=1.0)


def start_rollout(store: StateStore, canary: int) -> None:
    """A rollout of `canary` started (as apply does) and moved to weight 100 (as the controller does)."""
    now = time.time()
    move = transitions.start(
        NAME, uuid.uuid4().hex, stable=STABLE, canary=canary, rollout=ROLLOUT, on_abort="stable", now=now
    )
    started = transitions.commit(store, WS, move, user="bench", host="bench", now=now)
    weighted = started.model_copy(update={"step_index": 1, "weight": 100, "step_started_at": now})
    step = transitions.Transition(weighted, "step", "weight 100 %", expect_revision=started.revision)
    transitions.commit(store, WS, step, user="bench", host="bench", now=now)


def _said(line: str, word: str) -> list[str]:
    parts = line.split()
    if not parts or parts[0] != word:
        raise SystemExit(f"the child said {line!r}, expected {word!r}")
    return parts[1:]


@dataclass
class Trials:
    propagation: list[float] = field(default_factory=list)  # child saw stable - commit returned (s)
    in_flight: list[float] = field(default_factory=list)  # first stable assignment began - commit returned
    late_canary: list[float] = field(default_factory=list)  # last canary assignment began - commit returned
    checked: int = 0  # new conversations assigned after the child saw the abort
    wrong: int = 0  # ...of which got the canary
    stragglers: int = 0  # conversations left pinned to an aborted canary


def measure(dsn: str, trials: int, after: int) -> Trials:
    seed(dsn, trials)
    proc = subprocess.Popen(
        [sys.executable, __file__, "--child", dsn, "--trials", str(trials), "--after", str(after)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
    )
    assert proc.stdin is not None and proc.stdout is not None
    out = Trials()
    rng = random.Random(16)
    try:
        _said(proc.stdout.readline(), "ready")
        with ReleaseState(open_store(dsn), WS) as state:
            for trial in range(trials):
                canary = STABLE + 1 + trial
                start_rollout(state.store, canary)
                proc.stdin.write("go\n")
                proc.stdin.flush()
                _said(proc.stdout.readline(), "canary")
                time.sleep(rng.uniform(0.005, 0.025))
                act(state, NAME, "abort", reason="bench")
                committed = time.monotonic()
                saw, last_canary, stable_began = map(float, _said(proc.stdout.readline(), "stable"))
                out.propagation.append(saw - committed)
                out.in_flight.append(stable_began - committed)
                out.late_canary.append(last_canary - committed)
                checked, wrong = map(int, _said(proc.stdout.readline(), "checked"))
                out.checked += checked
                out.wrong += wrong
                out.stragglers += state.store.conversation_counts(WS, NAME).get(canary, 0)
    finally:  # an error in flight (what the child said) is the one to report
        proc.stdin.close()
        proc.stdout.close()
        code = proc.wait(timeout=30)
    if code != 0:
        raise SystemExit(f"the child exited {code}")
    return out


def _p99(values: list[float]) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[98]


def report(backend: str, dsn: str, trials: int, after: int) -> bool:
    got = measure(dsn, trials, after)
    values = got.propagation
    median, p99 = statistics.median(values), _p99(values)
    fast = p99 < GOAL_PROPAGATION_S
    print(
        f"{backend:10} abort -> other process: median {median * 1000:6.2f} ms  p99 {p99 * 1000:6.2f} ms"
        f"  (max {max(values) * 1000:.2f} ms, {len(values)} trials)   goal p99 < "
        f"{GOAL_PROPAGATION_S * 1000:.0f} ms  {'ok' if fast else 'MISSED'}"
    )
    ms = [v * 1000 for v in got.in_flight]
    print(
        f"{backend:10}   of which the call in flight at the commit: median {statistics.median(ms):6.2f} ms"
        f"  p99 {_p99(ms):6.2f} ms (the rest is the first call that got stable)"
    )
    late = [v for v in got.late_canary if v > 0]
    latest = f"the latest began {max(late) * 1000:.2f} ms after" if late else "none"
    # On SQLite the watch is read at the start of every call: one begun after the commit must see it.
    one_check = backend != "sqlite" or not late
    goal = f"goal none (one store check)  {'ok' if one_check else 'MISSED'}" if backend == "sqlite" else ""
    print(
        f"{backend:10} trials with a canary assignment begun after the abort's commit returned: "
        f"{len(late)} of {trials} ({latest})   {goal}".rstrip()
    )
    right = got.wrong == 0
    print(
        f"{backend:10} new conversations after the abort was seen: {got.checked}, {got.wrong} to the "
        f"canary   goal 0  {'ok' if right else 'MISSED'}"
    )
    kept = got.stragglers == 0
    print(
        f"{backend:10} conversations left pinned to an aborted canary (pinned after its abort, which "
        f"moved the others back): {got.stragglers}   goal 0  {'ok' if kept else 'MISSED'}"
    )
    return fast and one_check and right and kept


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=50)
    parser.add_argument("--after", type=int, default=100)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        return child(args.child, args.trials, args.after)
    with tempfile.TemporaryDirectory() as tmp:
        ok = report("sqlite", f"sqlite:///{Path(tmp) / 'state.db'}", args.trials, args.after)
    with pg_schema("bench_abort") as pg_dsn:
        if pg_dsn is not None:
            ok &= report("postgresql", pg_dsn, args.trials, args.after)
        elif os.environ.get("CI") == "true":
            print("postgresql: unreachable under CI=true   MISSED")
            ok = False
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
