"""What a conversation migration's workers share, built from a workspace: the request gate (the project's
requests per minute, kept by every process on the store), the platform's conversation calls behind it,
and per migration the `threads.unit.Unit` (its upcast plans from each version to the target, built once).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from reconciler.calls.rate import RateGate
from reconciler.errors import StateError, UserError
from reconciler.model.stored import VersionRecord
from reconciler.service.workspace import Workspace
from reconciler.store.base import StateStore
from reconciler.targets.conversations import RateHints
from reconciler.threads.revisions import ToolRevisions
from reconciler.threads.transform import NoMigrationPath, UpcastPlan, build_upcast_plan
from reconciler.threads.unit import CopyOps, MoveOps, Unit
from reconciler.threads.upcast import python_loader

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
    """One budget per platform endpoint and project: every migration of every workspace on it shares it,
    as they share the platform's limit."""
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

    ops = ws.target.conversation_ops(gate=take_turn, on_limits=on_limits)
    if ws.target_config.api == "responses":
        return ops, None  # type: ignore[return-value]
    return None, ops  # type: ignore[return-value]


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

    def upcast_plans(self, assistant: str, to_version: int) -> dict[int, UpcastPlan]:
        """Per version other than the target, how its tool calls become the target's; raises
        `NoMigrationPath` (a user error) when a tool's schema changed with no `migrations:` path."""
        versions = self.ws.store.versions(self.ws.name, assistant)
        target = _version(versions, to_version, assistant)
        revisions = ToolRevisions(versions)
        migrations = self.ws.project.desired.tool_migrations
        load = python_loader(self.ws.root)
        return {
            v.number: build_upcast_plan(v, target, revisions, migrations, load_python=load)
            for v in versions
            if v.number != to_version
        }

    def check_paths(self, assistant: str, to_version: int) -> None:
        if self.ws.target_config.api != "responses":
            return  # a thread moves in place: its past tool calls are not sent again
        try:
            self.upcast_plans(assistant, to_version)
        except NoMigrationPath as error:
            raise UserError(str(error)) from None

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
        upcasts = {} if copies is None else self.upcast_plans(record.assistant, record.to_version)
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
