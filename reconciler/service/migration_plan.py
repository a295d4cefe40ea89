"""`reconcile conversations migrate plan`: the dry run of a migration. How many conversations each version
holds, which tools' calls change on the way (the upcaster chain per tool), a sample of items before and
after, and every conversation whose upcast fails (with its item and JSON pointer). It reads every covered
conversation (through the same request gate as a run) and writes nothing.
"""

from __future__ import annotations

import json
import threading
from collections import Counter
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from reconciler.errors import NotFound, PermanentPlatformError
from reconciler.service.conversation_migrations import MigrationRequest, covered_conversations
from reconciler.service.migration_units import UnitFactory, platform_ops, rate_gate
from reconciler.service.workspace import Workspace
from reconciler.threads.reports import MigrationPlan, Sample
from reconciler.threads.transform import ItemUpcastError, UpcastPlan, transform_items
from reconciler.threads.unit import CopyOps

__all__ = ["MigrationPlan", "Sample", "plan_migration"]

MAX_FAILURES_KEPT = 1_000  # every failure is counted; this many are listed


def plan_migration(
    ws: Workspace,
    request: MigrationRequest,
    *,
    samples: int = 3,
    workers: int = 8,
    on_read: Callable[[int, int], None] | None = None,
) -> MigrationPlan:
    covered = covered_conversations(ws, request)
    notes = _notes(ws, request)
    counts = Counter(version for _, version in covered)
    flavour = "responses" if ws.target_config.api == "responses" else "assistants-v2"
    if flavour != "responses":
        return MigrationPlan(request.assistant, request.to_version, flavour, dict(sorted(counts.items())),
                             {}, 0, 0, 0, (), (), 0, 0, notes)  # fmt: skip
    gate = rate_gate(ws)
    factory = UnitFactory(ws, gate=gate)
    plans = factory.upcast_plans(request.assistant, request.to_version, set(counts))
    copies, _ = platform_ops(ws, gate)
    assert copies is not None
    tally = _Tally(samples)
    done = 0

    def one(entry: tuple[str, int]) -> None:
        conversation, version = entry
        tally.add(conversation, _read(copies, conversation), plans[version])

    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="migrate-plan") as pool:
        for _ in pool.map(one, covered):
            done += 1
            if on_read is not None:
                on_read(done, len(covered))
    return MigrationPlan(
        assistant=request.assistant,
        to_version=request.to_version,
        flavour=flavour,
        counts=dict(sorted(counts.items())),
        paths={v: plan.describe() for v, plan in sorted(plans.items()) if v in counts},
        read=done,
        function_calls=tally.calls,
        changed_calls=tally.changed,
        samples=tuple(tally.samples),
        failures=tuple(sorted(tally.failures)[:MAX_FAILURES_KEPT]),
        failed=len(tally.failures),
        gone=tally.gone,
        notes=notes,
    )


def _notes(ws: Workspace, request: MigrationRequest) -> tuple[str, ...]:
    active = ws.store.active_rollout(ws.name, request.assistant)
    if active is None or active.canary_version != request.to_version:
        return ()
    return (
        f"version {request.to_version} is the canary of a rollout at weight {active.weight}%: `migrate run` "
        "needs --follow-rollout (the canary's share moves, more as its weight rises)",
    )


def _read(copies: CopyOps, conversation: str) -> list[dict[str, Any]] | None:
    try:
        if copies.metadata(conversation) is None:
            return None
        return copies.read_items(conversation)
    except NotFound:
        return None
    except PermanentPlatformError as error:
        raise PermanentPlatformError(f"conversation {conversation}: {error}") from error


class _Tally:
    def __init__(self, samples: int) -> None:
        self.want = samples
        self.samples: list[Sample] = []
        self.failures: list[tuple[str, str]] = []
        self.calls = 0
        self.changed = 0
        self.gone = 0
        self._lock = threading.Lock()  # `add` runs on the pool's threads

    def add(self, conversation: str, items: list[dict[str, Any]] | None, plan: UpcastPlan) -> None:
        if items is None:
            with self._lock:
                self.gone += 1
            return
        try:
            after = transform_items(conversation, items, plan)
        except ItemUpcastError as error:
            with self._lock:
                self.failures.append((conversation, str(error)))
            return
        with self._lock:
            self._count(conversation, items, after)

    def _count(self, conversation: str, items: list[dict[str, Any]], after: list[dict[str, Any]]) -> None:
        for index, (old, new) in enumerate(zip(items, after, strict=True)):
            if old.get("type") != "function_call":
                continue
            self.calls += 1
            if _arguments(old) != _arguments(new):
                self.changed += 1
                if len(self.samples) < self.want:
                    self.samples.append(
                        Sample(
                            conversation,
                            index,
                            str(old.get("name")),
                            str(old["arguments"]),
                            str(new["arguments"]),
                        )
                    )


def _arguments(item: Mapping[str, Any]) -> Any:
    try:
        return json.loads(item.get("arguments") or "null")
    except ValueError:
        return item.get("arguments")
