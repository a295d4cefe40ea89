"""Thin facade wiring the layers for the CLI and for library users: load, plan, apply, drift, unlock,
import; release pointers and gc (`rollouts`); the stop button (`stops`); the compatibility policy
(`compatibility`); manifests from an Assistants-era export (`migrate.import_export`).

Everything here is composition: manifests -> desired; target -> live; store -> stored; planner -> Plan;
executor -> ApplyReport. A library user calls these functions directly, never the CLI.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reconciler.apply.report import ApplyReport, StepResult
from reconciler.errors import UserError
from reconciler.manifest import export
from reconciler.model import labels
from reconciler.model.canonical import fingerprint
from reconciler.model.desired import Kind, ResourceKey
from reconciler.model.live import LiveState
from reconciler.model.stored import InventoryRecord, RolloutView
from reconciler.model.waits import WaitObserver
from reconciler.plan import normalise
from reconciler.plan.definition import Plan
from reconciler.rollout import events
from reconciler.service.canary import Progress, SmokeOnTarget, step_rollouts, watch_rollouts
from reconciler.service.canary_verbs import NoRollout, latest_aborted, rollout_status
from reconciler.service.canary_verbs import act as act_on_rollout
from reconciler.service.compatibility import Refusal, compatibility_refusal, refuse_violations
from reconciler.service.conversation_import import BadRows, ImportReport, import_conversations
from reconciler.service.migrate import Migrated, Migration, import_export
from reconciler.service.planning import admin_pacer, check_fresh, kinds_to_read, make_plan
from reconciler.service.rollouts import (
    Moved,
    ReleaseState,
    collect_garbage,
    list_versions,
    open_release_state,
    promote,
    resolve,
    rollback,
)
from reconciler.service.stops import StopOutcome, current_stop, start, stop, stop_history
from reconciler.service.unlock import HolderState, Unlocked, unlock
from reconciler.service.workspace import Workspace, open_workspace
from reconciler.store.identity import whoami
from reconciler.store.keeper import LeaseKeeper
from reconciler.store.lease import take_lease
from reconciler.store.records import Lease
from reconciler.targets.handlers import CODE_FILES, VECTOR_STORES, Ref, Write
from reconciler.words import count

__all__ = [
    "BadRows",
    "HolderState",
    "ImportReport",
    "Imported",
    "Migrated",
    "Migration",
    "Moved",
    "NoRollout",
    "Progress",
    "Refusal",
    "ReleaseState",
    "Reviewed",
    "RolloutView",
    "SmokeOnTarget",
    "StopOutcome",
    "Unlocked",
    "Workspace",
    "act_on_rollout",
    "admin_pacer",
    "apply",
    "check_fresh",
    "collect_garbage",
    "compatibility_refusal",
    "current_stop",
    "drift",
    "import_conversations",
    "import_export",
    "import_objects",
    "kinds_to_read",
    "latest_aborted",
    "list_versions",
    "make_plan",
    "open_release_state",
    "open_workspace",
    "promote",
    "refuse_violations",
    "resolve",
    "review",
    "rollback",
    "rollout_status",
    "start",
    "step_rollouts",
    "stop",
    "stop_history",
    "unlock",
    "watch_rollouts",
]

LOCK_TTL_SECONDS = 900.0

_log = logging.getLogger(__name__)


def apply(
    ws: Workspace,
    *,
    saved_plan: Plan | None = None,
    allow_empty: bool = False,
    dry_run: bool = False,
    lock_timeout: float = 0.0,
    confirm: Callable[[Plan], bool] | None = None,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.time,
    progress: Callable[[StepResult, int, int], None] | None = None,
    pause_gc: bool = False,
    notice: Callable[[str], None] | None = None,
    on_wait: WaitObserver | None = None,
) -> tuple[Plan, ApplyReport | None]:
    """Plan (or check a saved plan) and execute it under the workspace lock. `confirm` sees the plan
    first; returning False stops before anything is written. `pause_gc` is `make_plan`'s. A `saved_plan`
    whose content does not hash to its id (edited after it was made) is refused before anything else.

    The lock is renewed in the background while the apply runs; an apply that loses it all the same
    (taken over, `state unlock`) raises LeaseLost before its next platform call. A lock left by an apply
    on this host whose process is gone is taken over at once; `notice` (default: a logged warning) is
    told so in one line. `on_wait` hears of every wait (the lock, the Admin API's pace, shared through
    the store with other runs (`admin_pacer`), backoffs, ingestion) before it starts. `clock` and
    `sleep` time every wait but the lock's; `clock` counts epoch seconds, as the shared pace does."""
    if saved_plan is not None:
        saved_plan.verify_id()
    lease = None if dry_run else _lock(ws, lock_timeout, notice or _log.warning, on_wait)
    keeper = None if lease is None else LeaseKeeper(ws.store, lease)
    try:
        if keeper is not None:
            keeper.start()  # renews the lease however long any one step takes
        pacer = admin_pacer(ws, sleep=sleep, clock=clock, on_wait=on_wait)
        plan, stored = make_plan(
            ws,
            allow_empty=allow_empty or bool(saved_plan and saved_plan.has_changes),
            sleep=sleep,
            clock=clock,
            pacer=pacer,
            pause_gc=pause_gc,
            on_wait=on_wait,
        )
        if saved_plan is not None:
            check_fresh(saved_plan, plan)
            plan = saved_plan
        refuse_violations(plan)
        if not plan.has_changes:
            return plan, None
        if confirm is not None and not confirm(plan):
            return plan, None
        # Imported when there is something to execute: a plan with no changes (and `reconcile plan`,
        # which imports this package) never loads the executor and the step modules (~30 ms).
        from reconciler.apply.executor import Executor, ExecutorOptions

        who = whoami()
        options = ExecutorOptions(
            retry=ws.project.config.retry,
            dry_run=dry_run,
            user=who.user,
            host=who.host,
            progress=progress,
            lease_check=keeper.check if keeper is not None else None,
            pointers_changed=events.notify,  # routers in this process drop their cached answers
            on_wait=on_wait,
        )
        executor = Executor(
            ws.target, ws.store, root=ws.root, options=options, clock=clock, sleep=sleep, pacer=pacer
        )
        return plan, executor.execute(plan, stored)
    finally:
        if keeper is not None:
            # A lease taken over meanwhile has another id now: releasing ours leaves the new holder's.
            ws.store.release_lock(keeper.stop())


def _lock(
    ws: Workspace, timeout: float, notice: Callable[[str], None], on_wait: WaitObserver | None
) -> Lease:
    """Take the workspace lock, waiting up to `timeout` seconds (`on_wait` hears of it). A lock whose
    holder ran on this host and is provably gone (killed, say) is taken over at once, and `notice` is
    told so."""
    return take_lease(
        ws.store,
        ws.name,
        who=whoami(),
        ttl_seconds=LOCK_TTL_SECONDS,
        timeout=timeout,
        notice=notice,
        observe=on_wait,
    )


@dataclass(frozen=True)
class Reviewed:
    """A plan for review (`reconcile plan`), and the compatibility policy's refusal of it, if any."""

    plan: Plan
    refusal: Refusal | None


def review(
    ws: Workspace,
    *,
    allow_empty: bool = False,
    pause_gc: bool = False,
    on_wait: WaitObserver | None = None,
) -> Reviewed:
    """Plan the workspace and judge the plan by the compatibility policy apply will enforce."""
    plan, _ = make_plan(ws, allow_empty=allow_empty, pause_gc=pause_gc, on_wait=on_wait)
    return Reviewed(plan, compatibility_refusal(plan))


def drift(ws: Workspace, *, pause_gc: bool = False, on_wait: WaitObserver | None = None) -> Plan:
    plan, _ = make_plan(ws, allow_empty=True, pause_gc=pause_gc, on_wait=on_wait)
    return plan


@dataclass(frozen=True)
class Imported:
    """One id given to `import`. `managed_as` is set (and nothing was done) when the inventory already
    records that id, under that key."""

    kind: Kind
    platform_id: str
    name: str
    written: Path | None
    note: str = ""
    managed_as: ResourceKey | None = None


def import_objects(
    ws: Workspace, kind: Kind, ids: list[str], *, write_dir: Path | None = None
) -> list[Imported]:
    """Adopt unmanaged assistants or vector stores: label them, record them, and write their manifests.

    Like `terraform import`, only what you name is touched; files inside an imported vector store stay
    unmanaged (their project paths cannot be known), and the written store lists none.
    """
    if kind not in (Kind.ASSISTANT, Kind.VECTOR_STORE):
        raise UserError(f"import supports Assistant and VectorStore, not {kind.value}")
    if kind is Kind.ASSISTANT and not ws.target.versions_on_platform:
        raise UserError(
            f"target {ws.name!r} (api: responses) holds no assistants to import: a version is a release "
            "bundle in the state store. Import an Assistants-era export with `import --from-export FILE`, "
            "or write the Assistant manifest"
        )
    if write_dir is not None:  # before any object is labelled: refused, nothing is half imported
        export.check_write_directory(write_dir, ws.root)
    stored = ws.store.read(ws.name)
    live = ws.target.read([kind])
    known = {r.platform_id: r.key for r in stored.inventory}
    store_names = {r.platform_id: r.key.name for r in stored.inventory if r.key.kind is Kind.VECTOR_STORE}
    file_paths = {r.platform_id: r.key.name for r in stored.inventory if r.key.kind is Kind.FILE}
    out: list[Imported] = []
    for platform_id in ids:
        if platform_id in known:
            key = known[platform_id]
            out.append(Imported(kind, platform_id, key.name, None, managed_as=key))
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
    _refuse_foreign(ws, platform_id, obj.metadata)
    name = export.document_name(obj.name, platform_id)
    metadata = labels.with_labels(labels.user_metadata(obj.metadata), owner=ws.owner, name=name)
    spec = normalise.assistant_spec(obj, store_names, file_paths)
    labelled = ws.target.handlers[Kind.ASSISTANT].update(
        Ref(platform_id),
        Write(
            {**spec, "name": obj.name or name},
            metadata,
            {VECTOR_STORES: obj.file_search_vector_store_ids, CODE_FILES: obj.code_interpreter_file_ids},
        ),
    )
    live_spec = normalise.assistant_spec(labelled, store_names, file_paths)
    _record_import(ws, ResourceKey(kind=Kind.ASSISTANT, name=name), platform_id, live_spec)
    written = None
    if write_dir is not None:
        docs = export.assistant_documents(name, live_spec, store_names)
        written = export.write_documents(write_dir, f"{name}.yaml", docs, root=ws.root)
    return Imported(Kind.ASSISTANT, platform_id, name, written)


def _import_store(ws: Workspace, live: LiveState, platform_id: str, write_dir: Path | None) -> Imported:
    obj = live.vector_stores.get(platform_id)
    if obj is None:
        raise UserError(f"no vector store {platform_id} on target {ws.name!r}")
    _refuse_foreign(ws, platform_id, obj.metadata)
    name = export.document_name(obj.name, platform_id)
    user_metadata = labels.user_metadata(obj.metadata)
    spec = {"name": obj.name or name, "expires_after_days": obj.expires_after_days, "metadata": user_metadata}
    labelled = ws.target.handlers[Kind.VECTOR_STORE].update(
        Ref(platform_id), Write(spec, labels.with_labels(user_metadata, owner=ws.owner, name=name))
    )
    live_spec = normalise.vector_store_spec(labelled, {"type": "auto"})
    _record_import(ws, ResourceKey(kind=Kind.VECTOR_STORE, name=name), platform_id, live_spec)
    written = None
    if write_dir is not None:
        documents = [export.vector_store_document(name, live_spec)]
        written = export.write_documents(write_dir, f"{name}.yaml", documents, root=ws.root)
    stay = "stays" if len(obj.files) == 1 else "stay"
    note = f"{count(len(obj.files), 'attached file')} {stay} unmanaged" if obj.files else ""
    return Imported(Kind.VECTOR_STORE, platform_id, name, written, note)


def _refuse_foreign(ws: Workspace, platform_id: str, metadata: Mapping[str, str]) -> None:
    other = labels.foreign_owner(metadata, ws.owner)
    if other is not None:
        raise UserError(f"{platform_id} is owned by {other!r}, not by {ws.owner!r}; not imported")


def _record_import(ws: Workspace, key: ResourceKey, platform_id: str, live_spec: dict[str, Any]) -> None:
    """An adopted object enters the inventory as applied: its live spec is both fingerprint and hash."""
    applied = fingerprint(live_spec)
    ws.store.upsert_inventory(
        ws.name,
        InventoryRecord(
            key=key,
            platform_id=platform_id,
            fingerprint=applied,
            live_hash=applied,
            attributes={"spec": live_spec, "imported": True},
        ),
    )
