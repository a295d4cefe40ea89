"""What a conversation migration's workers share, built from a workspace: the request gate (the project's
requests per minute, kept by every process on the store), the platform's conversation calls behind it,
and per migration the `threads.unit.Unit` (its upcast plans from each version to the target, built once).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass, field

from reconciler.calls.rate import RateGate
from reconciler.calls.retry import Retrier
from reconciler.errors import StateError, UserError
from reconciler.model.stored import VersionRecord
from reconciler.service.workspace import Workspace
from reconciler.store.base import StateStore
from reconciler.targets.assistants_v2 import AssistantsV2Target
from reconciler.targets.conversations import ConversationOps, conversation_ops
from reconciler.targets.gated import RateHints
from reconciler.threads.python_steps import project_loader
from reconciler.threads.revisions import ToolRevisions
from reconciler.threads.transform import UpcastPlan, build_upcast_plan
from reconciler.threads.unit import CopyOps, MoveOps, Unit
from reconciler.threads.upcast import NoMigrationPath

__all__ = ["StoreRateSlots", "UnitFactory", "platform_ops", "rate_gate"]


@dataclass
class StoreRateSlots:
    """`calls.rate.RateSlots` kept in the state store under one budget name."""

    store: StateStore
    budget: str
    wall_clock: Callable[[], float] = time.time

    def take(self, interval: float, burst: float) -> float:
        return self.store.take_rate_slot(self.budget, interval=interval, burst=burst, now=self.wall_clock())

    def delay(self, until: float) -> None:
        self.store.delay_budget(self.budget, until=until, now=self.wall_clock())


def budget_name(ws: Workspace) -> str:
    """One budget per platform endpoint and project id, kept in this state store: the migrations of every
    workspace on this store share it. Projects with stores of their own each keep their own budget, so
    two of them on one platform account must split `conversations.requestsPerMinute` between them (the
    platform's 429s and Retry-After still slow both)."""
    endpoint = ws.target_config.base_url or f"local:{ws.target_config.platform_db}"
    return f"requests {endpoint} {ws.target_config.project_id}"


def rate_gate(ws: Workspace) -> RateGate:
    per_minute = ws.project.config.conversations.requests_per_minute
    return RateGate.for_limit(StoreRateSlots(ws.store, budget_name(ws)), per_minute)


def platform_ops(ws: Workspace, gate: RateGate | None) -> tuple[CopyOps | None, MoveOps | None]:
    """The platform's conversation calls (Responses era) or thread calls (Assistants v2), each request
    taking its turn at `gate` and telling it what the platform said of its limits."""

    def take_turn() -> None:
        if gate is not None:
            gate()

    def on_limits(hints: RateHints) -> None:
        if gate is not None:
            gate.observe(
                retry_after_seconds=hints.retry_after_seconds,
                remaining_requests=hints.remaining_requests,
                reset_seconds=hints.reset_seconds,
            )

    if not isinstance(ws.target, AssistantsV2Target):
        raise UserError(f"the target {ws.name} has no conversations to migrate")
    # The project's retry settings, as every other platform call uses (attempts, backoff, deadline).
    retrier = Retrier(ws.project.config.retry)
    ops = conversation_ops(ws.target, gate=take_turn, on_limits=on_limits, retrier=retrier)
    if isinstance(ops, ConversationOps):
        return ops, None
    return None, ops


@dataclass
class UnitFactory:
    """`Unit`s by migration id, built once each (a worker serves every migration of its workspace)."""

    ws: Workspace
    gate: RateGate | None
    _units: dict[str, Unit] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def unit(self, migration_id: str) -> Unit:
        with self._lock:
            found = self._units.get(migration_id)
            if found is None:
                found = self._build(migration_id)
                self._units[migration_id] = found
            return found

    def upcast_plans(
        self, assistant: str, to_version: int, from_versions: Collection[int]
    ) -> dict[int, UpcastPlan]:
        """Per version in `from_versions`, how its tool calls become the target's; a user error naming the
        version when a tool's schema changed with no `migrations:` path."""
        versions = self.ws.store.versions(self.ws.name, assistant)
        target = _version(versions, to_version, assistant)
        revisions = ToolRevisions(versions)
        migrations = self.ws.project.desired.tool_migrations
        load = project_loader(self.ws.root)
        plans: dict[int, UpcastPlan] = {}
        for version in versions:
            if version.number == to_version or version.number not in from_versions:
                continue
            try:
                plans[version.number] = build_upcast_plan(
                    version, target, revisions, migrations, load_python=load
                )
            except NoMigrationPath as error:
                raise UserError(f"{assistant} version {version.number} -> {to_version}: {error}") from None
        return plans

    def check_paths(self, assistant: str, to_version: int, from_versions: Collection[int]) -> None:
        if self.ws.target_config.api != "responses":
            return  # a thread moves in place: its past tool calls are not sent again
        self.upcast_plans(assistant, to_version, from_versions)

    def _build(self, migration_id: str) -> Unit:
        record = self.ws.store.migration(migration_id)
        if record is None:
            raise StateError(f"no conversation migration {migration_id!r}")
        if record.workspace != self.ws.name:
            raise StateError(
                f"migration {migration_id} belongs to workspace {record.workspace}, not {self.ws.name}: "
                "run the worker with that target"
            )
        copies, moves = platform_ops(self.ws, self.gate)
        upcasts: dict[int, UpcastPlan] = {}
        if copies is not None:
            sources = {item.from_version for item in self.ws.store.migration_items(migration_id)}
            upcasts = self.upcast_plans(record.assistant, record.to_version, sources)
        return Unit(
            store=self.ws.store,
            migration=record,
            owner=self.ws.owner,
            upcasts=upcasts,
            copies=copies,
            moves=moves,
        )


def _version(versions: tuple[VersionRecord, ...], number: int, assistant: str) -> VersionRecord:
    for record in versions:
        if record.number == number:
            return record
    raise UserError(f"{assistant} has no version {number}")
