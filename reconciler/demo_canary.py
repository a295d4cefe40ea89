"""`make demo`'s last act: canary rollouts on the embedded local platform, with simulated traffic from the
example application (`examples/chat_app.py`).

It works on a scratch copy of the example project (`.reconcile/canary-demo/`) whose rollout and analysis
are measured in seconds instead of minutes, so the act takes about half a minute:

1. version 1 is applied (the first version serves at once: there is nothing to compare it with);
2. a good version 2 (new instructions) starts a canary; while the example app holds conversations,
   `reconcile rollout watch` takes it 10 % → 50 % → 100 % on the analysis' verdicts;
3. a bad version 3 renames list_expenses' parameters (accepted as a breaking change) while the model keeps
   sending the old ones; its smoke checks (which do not call list_expenses) pass, and the builtin analysis
   sees the canary's invalid tool calls against stable's and aborts the rollout, with no operator.
"""

from __future__ import annotations

import runpy
import shutil
import threading
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import yaml

from reconciler.cli.main import run

SCRATCH = Path(".reconcile") / "canary-demo"
ASSISTANT = "CorporateAssist"
TRAFFIC_THREADS = 3
TRAFFIC_TURNS = (
    '/call create_meeting {"title": "Budget review", "start": "2026-12-08T10:00:00+01:00", '
    '"duration_minutes": 30, "attendees": ["ana@example.com"]}',
    '/call list_expenses {"from": "2026-11-01", "to": "2026-11-30"}',
)
# The example's timings, scaled for a demo: a measurement every 3 s instead of 5 min, pauses of 1 s.
INTERVAL = "3s"
PAUSE = "1s"


def _say(text: str) -> None:
    print(text, flush=True)  # noqa: T201


def _edit(path: Path, change: Callable[[dict[str, Any]], None]) -> None:
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(document)
    path.write_text(yaml.safe_dump(document, sort_keys=False, allow_unicode=True), encoding="utf-8")


def prepare(root: Path) -> Path:
    """A fresh copy of the project at `root` (its local target only), with the demo's timings."""
    scratch = root / SCRATCH
    shutil.rmtree(scratch, ignore_errors=True)
    shutil.copytree(root / "manifests", scratch / "manifests")
    shutil.copy(root / "reconcile.yaml", scratch / "reconcile.yaml")

    def local_only(doc: dict[str, Any]) -> None:
        doc["spec"]["targets"] = {"local": doc["spec"]["targets"]["local"]}
        doc["spec"]["defaultTarget"] = "local"

    def quick_rollout(doc: dict[str, Any]) -> None:
        for step in doc["spec"]["rollout"]["steps"]:
            if "pause" in step and step["pause"] != "indefinite":
                step["pause"] = PAUSE

    def quick_analysis(doc: dict[str, Any]) -> None:
        for metric in doc["spec"]["metrics"]:
            metric["interval"] = INTERVAL
            metric["count"] = 2
            metric["failureLimit"] = 0
            metric["minSamples"] = 3

    _edit(scratch / "reconcile.yaml", local_only)
    _edit(scratch / "manifests" / "corporate-assist.yaml", quick_rollout)
    _edit(scratch / "manifests" / "tool-health.yaml", quick_analysis)
    return scratch


def good_change(scratch: Path) -> None:
    def instructions(doc: dict[str, Any]) -> None:
        doc["spec"]["instructions"] += "Answer in the language of the question.\n"

    _edit(scratch / "manifests" / "corporate-assist.yaml", instructions)


def bad_change(scratch: Path) -> None:
    """list_expenses takes `start_date`/`end_date` now; the model (and the app's turns) still send
    `from`/`to`, which the new strict schema refuses."""

    def rename(doc: dict[str, Any]) -> None:
        parameters = doc["spec"]["parameters"]
        props = parameters["properties"]
        props["start_date"] = props.pop("from")
        props["end_date"] = props.pop("to")
        parameters["required"] = ["start_date", "end_date"]

    def accept(doc: dict[str, Any]) -> None:
        doc["spec"]["acceptBreaking"] = "demo: a bad release, for the canary to catch"

    _edit(scratch / "manifests" / "list-expenses.yaml", rename)
    _edit(scratch / "manifests" / "corporate-assist.yaml", accept)


@contextmanager
def traffic(root: Path, scratch: Path) -> Iterator[list[int]]:
    """Threads of the example app holding conversations on the scratch project until the block ends;
    yields a one-item list counting the conversations held."""
    app = runpy.run_path(str(root / "examples" / "chat_app.py"))
    from reconciler.runtime import Router

    state = f"sqlite:///{(scratch / '.reconcile' / 'state.db').resolve()}"
    done = threading.Event()
    held = [0]
    lock = threading.Lock()

    def talk(client: Any) -> None:
        with Router(state, "local", flush_seconds=0.25) as router:
            while not done.is_set():
                app["converse"](client, router, ASSISTANT, TRAFFIC_TURNS)
                with lock:
                    held[0] += 1

    with ExitStack() as clients:
        # One platform client per thread, made here one after the other: building the emulator compiles
        # its URL rules with `ast.parse`, which CPython 3.11 does not make safe across threads.
        platform = scratch / ".reconcile" / "local-platform.db"
        made = [clients.enter_context(app["local_client"](platform)) for _ in range(TRAFFIC_THREADS)]
        threads = [threading.Thread(target=talk, args=(client,), daemon=True) for client in made]
        for thread in threads:
            thread.start()
        try:
            yield held
        finally:
            done.set()
            for thread in threads:
                thread.join(timeout=30)


def _reconcile(*args: str) -> int:
    _say(f"\n$ reconcile {' '.join(args)}")
    return run(list(args))


def main(root: Path | None = None) -> int:
    root = root or Path.cwd()
    scratch = prepare(root)
    where = str(scratch)
    _say(f"\n# Canary rollouts, on a copy of the example project ({SCRATCH.as_posix()}), in seconds")
    if _reconcile("apply", where, "--auto-approve") != 0:
        return 1
    good_change(scratch)
    _say("\n# A good version 2: new instructions")
    if _reconcile("apply", where, "--auto-approve") != 0:
        return 1
    with traffic(root, scratch) as held:
        good = _reconcile("rollout", "watch", ASSISTANT, "-C", where, "--timeout", "90")
    _say(f"(the example app held {held[0]} conversations meanwhile)")
    if good != 0:
        return good
    bad_change(scratch)
    _say("\n# A bad version 3: list_expenses' parameters renamed; the model still sends the old ones")
    if _reconcile("apply", where, "--auto-approve") != 0:
        return 1
    with traffic(root, scratch) as held:
        bad = _reconcile("rollout", "watch", ASSISTANT, "-C", where, "--timeout", "90")
    _say(f"(the example app held {held[0]} conversations meanwhile)")
    _reconcile("rollout", "status", ASSISTANT, "-C", where)
    if bad == 0:
        _say("the bad version was not aborted: the demo failed")
        return 1
    return _reconcile("versions", ASSISTANT, where)
