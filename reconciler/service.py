"""Thin facade wiring the layers for the CLI and for library users: load, plan, apply, drift, unlock.

Everything here is composition: manifests -> desired; target -> live; store -> stored; planner -> Plan;
executor -> ApplyReport. A library user calls these functions directly, never the CLI.
"""

from __future__ import annotations

import getpass
import logging
import os
import socket
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from reconciler.apply.executor import Executor, ExecutorOptions
from reconciler.apply.report import ApplyReport, StepResult
from reconciler.apply.retry import Pacer, Reads, Retrier
from reconciler.config import TargetConfig
from reconciler.errors import PlanRejected, StalePlan, StateError, UserError
from reconciler.manifest import Project, export, load_project
from reconciler.model import labels
from reconciler.model.canonical import fingerprint
from reconciler.model.desired import DesiredState, Kind, ResourceKey
from reconciler.model.live import LiveState
from reconciler.model.stored import InventoryRecord, StoredState
from reconciler.plan import normalise
from reconciler.plan.definition import Action, Plan
from reconciler.plan.gcpause import collection_paused
from reconciler.plan.planner import build_plan
from reconciler.plan.prepare import LiveCollector, Names, prepare_desired
from reconciler.store import open_store
from reconciler.store.base import StateStore
from reconciler.store.lease import SystemClock, system_sleep, wait_for_lock
from reconciler.store.records import Lease
from reconciler.targets.assistants_v2 import AssistantsV2Target
from reconciler.targets.base import RequestStats, Target
from reconciler.targets.client import Transport, build_client

_log = logging.getLogger(__name__)

LOCK_TTL_SECONDS = 900.0
PROJECT_SCOPE = "project"


@dataclass
class Workspace:
    """A project bound to one target and its state store. Close it when done."""

    project: Project
    name: str
    target_config: TargetConfig
    target: Target
    store: StateStore
    stats: RequestStats = field(default_factory=RequestStats)

    @property
    def root(self) -> Path:
        return self.project.config.root

    def close(self) -> None:
        self.target.close()
        self.store.close()

    def __enter__(self) -> Workspace:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_workspace(path: Path, *, target: str | None = None, transport: Transport | None = None) -> Workspace:
    project = load_project(path)
    name, target_config = project.config.target(target)
    stats = RequestStats()
    client = build_client(target_config, root=project.config.root, stats=stats, transport=transport)
    adapter = AssistantsV2Target(
        client,
        name=name,
        project_id=target_config.project_id,
        stats=stats,
        admin_key_env=target_config.admin_key_env,
    )
    store_dsn = project.config.state_dsn()
    if store_dsn.startswith("sqlite:///") and ":memory:" not in store_dsn:
        Path(store_dsn[len("sqlite:///") :]).parent.mkdir(parents=True, exist_ok=True)
    store = open_store(store_dsn)
    desired = _resolve_scopes(project.desired, target_config.project_id)
    project = Project(project.config, desired, project.warnings)
    return Workspace(project, name, target_config, adapter, store, stats)


def _resolve_scopes(desired: DesiredState, project_id: str) -> DesiredState:
    """`scope: project` in a manifest means the target's own project."""
    alerts = {
        n: a.model_copy(update={"scope": project_id}) if a.scope == PROJECT_SCOPE else a
        for n, a in desired.spend_alerts.items()
    }
    limits = {
        n: s.model_copy(update={"scope": project_id}) if s.scope == PROJECT_SCOPE else s
        for n, s in desired.spend_limits.items()
    }
    return desired.model_copy(update={"spend_alerts": alerts, "spend_limits": limits})


def kinds_to_read(desired: DesiredState, stored: StoredState) -> set[Kind]:
    """Only the kinds the manifests or the inventory mention: no admin calls for a project without spend."""
    kinds: set[Kind] = {r.key.kind for r in stored.inventory}
    if desired.assistants:
        kinds.add(Kind.ASSISTANT)
    if desired.vector_stores:
        kinds.add(Kind.VECTOR_STORE)
    if desired.spend_alerts:
        kinds.add(Kind.SPEND_ALERT)
    if desired.spend_limits:
        kinds.add(Kind.SPEND_LIMIT)
    kinds.discard(Kind.FILE)
    return kinds


def make_plan(
    ws: Workspace,
    *,
    allow_empty: bool = False,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
    pacer: Pacer | None = None,
) -> tuple[Plan, StoredState]:
    """Read the store and the platform, and plan. Reads are retried like writes (same bounds): one 503
    or an Admin API 429 must not fail a plan. `pacer` is the apply's, so the reads count against it."""
    with collection_paused():
        return _make_plan(ws, allow_empty=allow_empty, sleep=sleep, clock=clock, pacer=pacer)


def _make_plan(
    ws: Workspace,
    *,
    allow_empty: bool,
    sleep: Callable[[float], None],
    clock: Callable[[], float],
    pacer: Pacer | None,
) -> tuple[Plan, StoredState]:
    reads = Reads(Retrier(ws.project.config.retry, clock=clock, sleep=sleep), pacer)
    desired = ws.project.desired
    # The platform read (network-bound) starts at once and the store read overlaps it; the inventory's
    # vector stores then have their files listed without waiting for the store list. Kinds that only
    # the inventory mentions (every manifest of a kind deleted) are read afterwards, which is rare.
    # Planner work that needs one object at a time (specs, fingerprints) is done while pages travel:
    # desired digests here, live ones on the reader thread as each page of assistants arrives.
    first = kinds_to_read(desired, StoredState(workspace=ws.name))
    hints = _known_hints(ws)
    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="plan") as pool:
        storing = pool.submit(ws.store.read, ws.name)

        def our_stores() -> list[str]:
            return list(Names.of(storing.result()).stores)  # the stores themselves, not attachments

        def names() -> Names | None:
            # Never waits: a reader thread asks, and waiting would delay its next page request.
            done = storing.done() and storing.exception() is None
            return Names.of(storing.result()) if done else None

        collector = LiveCollector(names)
        reading = pool.submit(
            ws.target.read,
            first,
            run=reads,
            store_ids=our_stores,
            on_assistants=collector.add,
            hints=hints,
        )
        ready = prepare_desired(desired)
        live = reading.result()
        stored = storing.result()
    _remember_hints(ws, ws.target.list_hints(live, first), hints)
    rest = kinds_to_read(desired, stored) - first
    if rest:
        live = live.merged(ws.target.read(rest, run=reads))
    prepared = collector.prepared(ready)
    plan = build_plan(
        desired, live, stored, allow_empty=allow_empty, created_at=time.time(), prepared=prepared
    )
    return plan, stored


def _known_hints(ws: Workspace) -> dict[str, tuple[str, ...]]:
    """The cursors the last read saw (one small row): with them every page of a list goes at once."""
    try:
        return ws.store.list_hints(ws.name)
    except StateError as exc:
        _log.warning("list hints not read (this plan pages one request at a time): %s", exc)
        return {}


def _remember_hints(
    ws: Workspace, fresh: Mapping[str, tuple[str, ...]], known: Mapping[str, tuple[str, ...]]
) -> None:
    """Keep the cursors this read saw for the next one, when they moved. They are only hints, so a
    store that refuses the write (read-only credentials in a PR job, say) must not fail the plan."""
    changed = {name: cursors for name, cursors in fresh.items() if known.get(name, ()) != cursors}
    if not changed:
        return
    try:
        ws.store.save_list_hints(ws.name, changed, now=time.time())
    except StateError as exc:
        _log.warning("list hints not saved (the next plan pages one request at a time): %s", exc)


def check_fresh(saved: Plan, fresh: Plan) -> None:
    """A saved plan is applied exactly, or not at all: every object it touches must be as it saw it."""
    if saved.workspace != fresh.workspace:
        raise StalePlan(f"the plan was made for target {saved.workspace!r}, not {fresh.workspace!r}")
    now = fresh.by_address()
    moved = []
    for change in saved.actionable():
        current = now.get(change.address)
        if (
            current is None
            or current.live_hash != change.live_hash
            or current.platform_id != change.platform_id
        ):
            moved.append(change.address)
        elif current.action is Action.NOOP:
            moved.append(change.address)  # someone already made this change
    if moved:
        raise StalePlan(f"objects changed since the plan was made: {', '.join(sorted(moved))}; plan again")


def apply(
    ws: Workspace,
    *,
    saved_plan: Plan | None = None,
    allow_empty: bool = False,
    dry_run: bool = False,
    lock_timeout: float = 0.0,
    confirm: Callable[[Plan], bool] | None = None,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
    progress: Callable[[StepResult, int, int], None] | None = None,
) -> tuple[Plan, ApplyReport | None]:
    """Plan (or check a saved plan) and execute it under the workspace lock. `confirm` sees the plan
    first; returning False stops before anything is written."""
    lease = None
    if not dry_run:
        lease = wait_for_lock(
            ws.store,
            ws.name,
            owner=_user(),
            host=socket.gethostname(),
            ttl_seconds=LOCK_TTL_SECONDS,
            timeout=lock_timeout,
            clock=SystemClock(),
            sleeper=system_sleep,
        )
    held: list[Lease | None] = [lease]  # the heartbeat swaps in each renewed lease
    try:
        pacer = Pacer(ws.project.config.retry.admin_requests_per_minute, clock=clock, sleep=sleep)
        plan, stored = make_plan(
            ws,
            allow_empty=allow_empty or bool(saved_plan and saved_plan.has_changes),
            sleep=sleep,
            clock=clock,
            pacer=pacer,
        )
        if saved_plan is not None:
            check_fresh(saved_plan, plan)
            plan = saved_plan
        refuse_violations(plan)
        if not plan.has_changes and not any(c.adopt for c in plan.changes):
            return plan, None
        if confirm is not None and not confirm(plan):
            return plan, None

        def heartbeat() -> None:
            if held[0] is not None:
                held[0] = ws.store.renew_lock(held[0], now=time.time())

        options = ExecutorOptions(
            retry=ws.project.config.retry,
            dry_run=dry_run,
            user=_user(),
            host=socket.gethostname(),
            progress=progress,
            heartbeat=heartbeat,
        )
        executor = Executor(
            ws.target, ws.store, root=ws.root, options=options, clock=clock, sleep=sleep, pacer=pacer
        )
        return plan, executor.execute(plan, stored)
    finally:
        if lease is not None:
            ws.store.release_lock(held[0] or lease)


def refuse_violations(plan: Plan) -> None:
    """A tool-schema change that breaks the assistant's compatibility policy needs `acceptBreaking`."""
    violations = plan.violations()
    if violations:
        raise PlanRejected(
            f"{violations[0]}"
            + (f" (+{len(violations) - 1} more)" if len(violations) > 1 else "")
            + '; set acceptBreaking: "<reason>" on the assistant to ship it anyway'
        )


def drift(ws: Workspace) -> Plan:
    plan, _ = make_plan(ws, allow_empty=True)
    return plan


def unlock(ws: Workspace, lock_id: str) -> str:
    lease = ws.store.force_unlock(ws.name, lock_id)
    return lease.holder


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return os.environ.get("USER", "unknown")


@dataclass(frozen=True)
class Imported:
    kind: Kind
    platform_id: str
    name: str
    written: Path | None
    note: str = ""


def import_objects(
    ws: Workspace, kind: Kind, ids: list[str], *, write_dir: Path | None = None
) -> list[Imported]:
    """Adopt unmanaged assistants or vector stores: label them, record them, and write their manifests.

    Like `terraform import`, only what you name is touched; files inside an imported vector store stay
    unmanaged (their project paths cannot be known), and the written store lists none.
    """
    if kind not in (Kind.ASSISTANT, Kind.VECTOR_STORE):
        raise UserError(f"import supports Assistant and VectorStore, not {kind.value}")
    stored = ws.store.read(ws.name)
    live = ws.target.read([kind])
    known = {r.platform_id for r in stored.inventory}
    store_names = {r.platform_id: r.key.name for r in stored.inventory if r.key.kind is Kind.VECTOR_STORE}
    file_paths = {r.platform_id: r.key.name for r in stored.inventory if r.key.kind is Kind.FILE}
    out: list[Imported] = []
    for platform_id in ids:
        if platform_id in known:
            out.append(Imported(kind, platform_id, "", None, "already managed"))
            continue
        if kind is Kind.ASSISTANT:
            out.append(_import_assistant(ws, live, platform_id, store_names, file_paths, write_dir))
        else:
            out.append(_import_store(ws, live, platform_id, write_dir))
    return out


def _import_assistant(
    ws: Workspace,
    live: LiveState,
    platform_id: str,
    store_names: dict[str, str],
    file_paths: dict[str, str],
    write_dir: Path | None,
) -> Imported:
    obj = live.assistants.get(platform_id)
    if obj is None:
        raise UserError(f"no assistant {platform_id} on target {ws.name!r}")
    name = export.document_name(obj.name, platform_id)
    metadata = labels.with_labels(labels.user_metadata(obj.metadata), name=name)
    spec = normalise.assistant_spec(obj, store_names, file_paths)
    labelled = ws.target.update_assistant(
        platform_id,
        {**spec, "name": obj.name or name},
        metadata=metadata,
        vector_store_ids=obj.file_search_vector_store_ids,
        code_interpreter_file_ids=obj.code_interpreter_file_ids,
    )
    live_spec = normalise.assistant_spec(labelled, store_names, file_paths)
    ws.store.upsert_inventory(
        ws.name,
        InventoryRecord(
            key=ResourceKey(kind=Kind.ASSISTANT, name=name),
            platform_id=platform_id,
            fingerprint=fingerprint(live_spec),
            live_hash=fingerprint(live_spec),
            attributes={"spec": live_spec, "imported": True},
        ),
    )
    written = None
    if write_dir is not None:
        docs = export.assistant_documents(name, live_spec, store_names)
        written = export.write_documents(write_dir, f"{name}.yaml", docs, root=ws.root)
    return Imported(Kind.ASSISTANT, platform_id, name, written)


def _import_store(ws: Workspace, live: LiveState, platform_id: str, write_dir: Path | None) -> Imported:
    obj = live.vector_stores.get(platform_id)
    if obj is None:
        raise UserError(f"no vector store {platform_id} on target {ws.name!r}")
    name = export.document_name(obj.name, platform_id)
    user_metadata = labels.user_metadata(obj.metadata)
    spec = {"name": obj.name or name, "expires_after_days": obj.expires_after_days, "metadata": user_metadata}
    labelled = ws.target.update_vector_store(
        platform_id, spec, metadata=labels.with_labels(user_metadata, name=name)
    )
    live_spec = normalise.vector_store_spec(labelled, {"type": "auto"})
    ws.store.upsert_inventory(
        ws.name,
        InventoryRecord(
            key=ResourceKey(kind=Kind.VECTOR_STORE, name=name),
            platform_id=platform_id,
            fingerprint=fingerprint(live_spec),
            live_hash=fingerprint(live_spec),
            attributes={"spec": live_spec, "imported": True},
        ),
    )
    written = None
    if write_dir is not None:
        documents = [export.vector_store_document(name, live_spec)]
        written = export.write_documents(write_dir, f"{name}.yaml", documents, root=ws.root)
    note = f"{len(obj.files)} attached files stay unmanaged" if obj.files else ""
    return Imported(Kind.VECTOR_STORE, platform_id, name, written, note)
