"""The executor: walks a plan's stages in order with bounded concurrency, journals every step, and
resumes an interrupted apply of the same plan where it stopped (kopf-style persisted progress).

Creates and updates run stage by stage (files, vector stores, attachments, assistants, spend); deletes run
afterwards in the reverse order, so nothing is deleted while something still points at it. Store writes
happen on the calling thread only; workers do platform calls. A dry run walks the same plan and writes
nothing.

An apply that loses its state lease (`ExecutorOptions.lease_check` raises LeaseLost) stops: no step sends
another platform call, nothing more is scheduled or written to the store, and the journal is left open,
as a crash would leave it, for the apply that holds the lock now.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from reconciler.apply.commits import Journal
from reconciler.apply.graph import build_graph, render_stages
from reconciler.apply.outputs import Ids
from reconciler.apply.report import ApplyReport, Outcome, StepResult
from reconciler.apply.spend_steps import AlertCreate, is_alert_create
from reconciler.apply.steps import Steps
from reconciler.apply.uploads import find_upload
from reconciler.apply.walk import Walk
from reconciler.calls.retry import Pacer, Retrier
from reconciler.config import RetrySettings
from reconciler.model.desired import Kind, ResourceKey
from reconciler.model.estimates import AcceptedOverrun
from reconciler.model.stored import StoredState
from reconciler.model.waits import WaitObserver
from reconciler.plan.bundles import stored_bundles
from reconciler.plan.definition import Plan
from reconciler.store.base import StateStore
from reconciler.store.identity import whoami
from reconciler.store.records import StepStatus
from reconciler.targets.base import Target
from reconciler.targets.handlers import Ref

_log = logging.getLogger(__name__)


@dataclass
class ExecutorOptions:
    retry: RetrySettings = field(default_factory=RetrySettings)
    ingestion_deadline_seconds: float = 300.0
    dry_run: bool = False
    user: str = "unknown"
    host: str = "unknown"
    # Called after each finished step with (result, steps finished, steps in the plan): the CLI draws a
    # progress bar on a TTY from it.
    progress: Callable[[StepResult, int, int], None] | None = None
    # Raises LeaseLost once the apply no longer holds its state lease (the service's LeaseKeeper renews
    # it in the background). Called on any thread: before every platform call and every store write.
    lease_check: Callable[[], None] | None = None
    # Called with (workspace, assistant) once a step's commit moved or cleared that assistant's pointers:
    # the service tells this process's routers (`rollout.events`), which apply cannot import.
    pointers_changed: Callable[[str, str], None] | None = None
    on_wait: WaitObserver | None = None  # told what each wait (backoff, turn, ingestion) is for


class Executor:
    def __init__(
        self,
        target: Target,
        store: StateStore,
        *,
        root: Path,
        options: ExecutorOptions | None = None,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
        pacer: Pacer | None = None,
    ) -> None:
        self.target = target
        self.store = store
        self.root = root
        self.options = options or ExecutorOptions()
        self.wall_clock = wall_clock
        retry, observe = self.options.retry, self.options.on_wait
        self.retrier = Retrier(
            retry, clock=clock, sleep=sleep, guard=self.options.lease_check, observe=observe
        )
        # Shared with the plan's reads when the service passes one: their admin calls count too.
        self.pacer = pacer or Pacer(
            retry.admin_requests_per_minute, clock=clock, sleep=sleep, observe=observe
        )
        self.clock = clock
        self.sleep = sleep
        self._workspace = ""
        self._total = 0
        self._finished = 0

    def execute(self, plan: Plan, stored: StoredState) -> ApplyReport:
        if self.options.dry_run:
            return self._dry_run(plan)
        workspace = self._workspace = plan.workspace
        # Ours beyond doubt: what the inventory records and what this plan names (an adopted upload).
        known = {r.platform_id for r in stored.inventory} | {
            c.platform_id for c in plan.changes if c.platform_id
        }
        self.retrier.check()
        abandoned = self._abandon_interrupted(plan.plan_id, known)
        unfinished = self.store.unfinished_apply(workspace, plan.plan_id)
        apply_id = (
            unfinished.apply_id
            if unfinished
            else self.store.begin_apply(workspace, plan.plan_id, now=self.wall_clock())
        )
        done = {k: s for k, s in self.store.steps(apply_id).items() if s.status == StepStatus.DONE}
        ids = _known_ids(stored)
        for key, step in done.items():  # a resumed run knows what the first run created
            _learn(ids, key, step.detail.get("platform_id"))
        steps = Steps(
            self.target,
            self.root,
            self.retrier,
            self.pacer,
            ids,
            owner=plan.owner,
            ingestion_deadline_seconds=self.options.ingestion_deadline_seconds,
            clock=self.clock,
            sleep=self.sleep,
            on_wait=self.options.on_wait,
        )
        started = unfinished.steps.items() if unfinished is not None else ()
        interrupted = {k: s.detail for k, s in started if s.status == StepStatus.STARTED}
        # Uploads the dead run may have sent but never recorded: found again by their tagged name.
        steps.interrupted_uploads = {k for k in interrupted if ResourceKey.parse(k).kind is Kind.FILE}
        steps.spend.interrupted_alerts = _alert_creates(plan, abandoned, interrupted)
        steps.known_ids = known
        steps.records = {r.key: r for r in stored.inventory}
        steps.bundles = stored_bundles(stored.versions)
        report = ApplyReport(plan_id=plan.plan_id, apply_id=apply_id)
        journal = Journal(
            self.store,
            workspace,
            apply_id,
            self.options.user,
            self.options.host,
            self.wall_clock,
            self.options.pointers_changed,
        )
        graph = build_graph(plan)
        self._total = len(graph.changes)
        self._finished = 0
        walk = Walk(
            graph,
            steps,
            journal,
            self.retrier,
            concurrency=self.options.retry.concurrency,
            done_before=done,
            report=report,
            tell=self._report,
        )
        failed = walk.run()
        report.retries = self.retrier.retries
        self.retrier.check()
        if not failed:
            # Once the plan has shipped, as an acceptBreaking is recorded with the pointer move it let
            # through: an apply that died or failed records nothing, and the rerun that finishes does.
            self.store.record_overruns(accepted_overruns(plan, apply_id, at=self.wall_clock()))
        self.store.finish_apply(apply_id, "failed" if failed else "succeeded", now=self.wall_clock())
        return report

    def _report(self, report: ApplyReport, result: StepResult) -> None:
        report.steps.append(result)
        self._finished += 1
        if self.options.progress is not None:
            self.options.progress(result, self._finished, self._total)

    def _abandon_interrupted(self, plan_id: str, known: set[str]) -> dict[str, AlertCreate]:
        """Close the journals of earlier applies that died, deleting uploads they sent but never recorded
        (their tagged names prove they are ours). Alert creates they journalled are returned: an alert
        carries no label, so the snapshot is what lets this plan's equal create find one that landed."""
        creates: dict[str, AlertCreate] = {}
        for _ in range(100):  # bounded: each pass closes one journal
            prior = self.store.unfinished_apply(self._workspace)
            if prior is None or prior.plan_id == plan_id:
                return creates
            for key, step in prior.steps.items():
                if step.status != StepStatus.STARTED:
                    continue
                if ResourceKey.parse(key).kind is Kind.FILE:
                    look = partial(find_upload, self.target, step.detail, known)
                    for orphan in self.retrier.run(look):
                        self._delete_file(orphan.id)
                elif (create := AlertCreate.from_detail(step.detail)) is not None:
                    creates.setdefault(key, create)
            self.store.finish_apply(prior.apply_id, "abandoned", now=self.wall_clock())
        return creates

    def _delete_file(self, file_id: str) -> None:
        self.retrier.run(lambda: self.target.handlers[Kind.FILE].delete(Ref(file_id)))

    def _dry_run(self, plan: Plan) -> ApplyReport:
        report = ApplyReport(plan_id=plan.plan_id, apply_id=None, dry_run=True)
        for wave in render_stages(plan):
            report.steps.extend(
                StepResult(c.step_key, c.action.value, Outcome.PLANNED, platform_id=c.platform_id)
                for c in wave
            )
        return report


def _alert_creates(
    plan: Plan, abandoned: Mapping[str, AlertCreate], interrupted: Mapping[str, Mapping[str, Any]]
) -> dict[str, AlertCreate]:
    """The journalled alert creates of dead runs, by the address in this plan that creates the same
    alert: this plan's own (a resume), else an abandoned plan's with the same spec (under any name).
    One an abandoned plan made that this plan does not create again is left alone, and said so: with no
    label, deleting it could delete an alert someone made by hand meanwhile."""
    pending = dict(abandoned)
    pending.update((k, c) for k, d in interrupted.items() if (c := AlertCreate.from_detail(d)) is not None)
    out: dict[str, AlertCreate] = {}
    for change in sorted((c for c in plan.changes if is_alert_create(c)), key=lambda c: c.address):
        match = pending.get(change.step_key)
        if match is None or not match.same_spec(change.spec):
            match = next((p for p in pending.values() if p.same_spec(change.spec)), None)
        if match is not None:
            out[change.step_key] = match
            pending = {k: p for k, p in pending.items() if p is not match}
    for address, left in sorted(pending.items()):
        _log.warning(
            "%s: an apply that died while creating this alert may have left it at %s; reconciler does not "
            "manage it (alerts carry no label): delete it if it is an alert nobody made by hand",
            address,
            left.scope,
        )
    return out


def accepted_overruns(plan: Plan, apply_id: str, *, at: float) -> tuple[AcceptedOverrun, ...]:
    """The budget overruns `plan` ships under `acceptOver`, as the store records them."""
    if plan.costs is None:
        return ()
    who = whoami()
    return tuple(
        AcceptedOverrun(
            workspace=plan.workspace,
            apply_id=apply_id,
            plan_id=plan.plan_id,
            scope=check.scope,
            monthly=check.monthly,
            estimate=check.estimate,
            up_to=check.up_to,
            reason=check.reason,
            at=at,
            user=who.user,
            host=who.host,
        )
        for check in plan.costs.accepted()
        if check.estimate is not None and check.up_to is not None
    )


def _known_ids(stored: StoredState) -> Ids:
    ids = Ids()
    for rec in stored.inventory:
        if rec.key.kind is Kind.VECTOR_STORE:
            ids.stores[rec.key.name] = rec.platform_id
        elif rec.key.kind is Kind.FILE:
            ids.files[rec.key.name] = rec.platform_id
    return ids


def _learn(ids: Ids, address: str, platform_id: object) -> None:
    if not isinstance(platform_id, str):
        return
    key = ResourceKey.parse(address)
    if key.kind is Kind.VECTOR_STORE:
        ids.stores[key.name] = platform_id
    elif key.kind is Kind.FILE:
        ids.files[key.name] = platform_id
