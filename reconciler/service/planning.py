"""Making a plan: read the store and the platform (with the list hints the last read left), then plan.

Also the stale-plan check a saved plan goes through before it is applied, and the Admin API pacer a
run's reads and writes take turns on (its budget in the state store, shared with parallel runs).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from reconciler.calls.retry import Pacer, Reads, Retrier
from reconciler.errors import ConfigError, StalePlan, StateError
from reconciler.model.desired import DesiredState, Kind
from reconciler.model.stored import StoredState
from reconciler.model.waits import WaitObserver
from reconciler.plan.bundles import other_flavour_versions, with_bundles
from reconciler.plan.definition import Action, Plan, ResourceChange
from reconciler.plan.files import wanted_files
from reconciler.plan.payloads import AssistantPayload
from reconciler.plan.planner import build_plan
from reconciler.plan.prepare import LiveCollector, Names, prepare_desired
from reconciler.service.gcpause import collection_paused
from reconciler.service.pacing import StoreSlots, admin_budget_name
from reconciler.service.workspace import Workspace
from reconciler.targets.tuning import ReadTuning

_log = logging.getLogger(__name__)


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


def kinds_needed(desired: DesiredState) -> dict[Kind, list[str]]:
    """The target kinds the manifests ask for, each with the names of the resources that ask for it
    (uploads and attachments: for the files the stores and assistants use)."""
    needed: dict[Kind, list[str]] = {}
    for kind, names in (
        (Kind.ASSISTANT, desired.assistants),
        (Kind.VECTOR_STORE, desired.vector_stores),
        (Kind.SPEND_ALERT, desired.spend_alerts),
        (Kind.SPEND_LIMIT, desired.spend_limits),
    ):
        if names:
            needed[kind] = [f"{kind.value}/{name}" for name in names]
    stores = [f"{Kind.VECTOR_STORE.value}/{n}" for n, s in desired.vector_stores.items() if s.files]
    if stores:
        needed[Kind.VECTOR_STORE_FILE] = stores
    users = stores + [
        f"{Kind.ASSISTANT.value}/{n}" for n, a in desired.assistants.items() if a.code_interpreter_files
    ]
    if users:
        needed[Kind.FILE] = users
    return needed


def refuse_unsupported(ws: Workspace) -> None:
    """One line when the manifests ask for a kind the workspace's target has no handler for."""
    needed = kinds_needed(ws.project.desired)
    missing = [kind for kind in needed if kind not in ws.target.handlers.kinds]
    if missing:
        asking = sorted({name for kind in missing for name in needed[kind]})
        shown = ", ".join(asking[:3]) + (f" and {len(asking) - 3} more" if len(asking) > 3 else "")
        ws.target.handlers.refuse_unsupported(missing, f"; asked for by {shown}")


def refuse_in_place_bundles(ws: Workspace) -> None:
    """`versioning: in-place` updates one platform assistant; a platform that stores no assistants keeps
    each version as an immutable bundle, and updating one in place would change what running
    conversations were promised. One line, before anything is read."""
    if ws.target.versions_on_platform:
        return
    asking = sorted(n for n, a in ws.project.desired.assistants.items() if a.versioning == "in-place")
    if asking:
        names = ", ".join(f"{Kind.ASSISTANT.value}/{n}" for n in asking)
        raise ConfigError(
            f"target {ws.name!r} (api: responses) keeps every assistant version as an immutable release "
            f"bundle: `versioning: in-place` ({names}) needs api: assistants-v2; remove it to get a new "
            "version for each change of behaviour"
        )


def uploads_unrecorded(desired: DesiredState, stored: StoredState) -> bool:
    """Some file the manifests use has no upload in the inventory: a new file, or a state that lost it.
    Only then are the platform's files listed (one request): a steady project never pays for it."""
    recorded = {r.key.name for r in stored.inventory if r.key.kind is Kind.FILE}
    return any(path not in recorded for path in wanted_files(desired))


def admin_pacer(
    ws: Workspace,
    *,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.time,
    on_wait: WaitObserver | None = None,
) -> Pacer:
    """The pacer of a run's Admin API calls. Its budget is kept in the state store under the target's
    endpoint, so every run on this store (parallel CI jobs, other targets of the same platform) takes
    turns within the one limit; `clock` times the slots there, so it counts epoch seconds."""
    return Pacer(
        ws.project.config.retry.admin_requests_per_minute,
        clock=clock,
        sleep=sleep,
        shared=StoreSlots(ws.store, admin_budget_name(ws.target_config), clock=clock),
        observe=on_wait,
    )


def make_plan(
    ws: Workspace,
    *,
    allow_empty: bool = False,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.time,
    pacer: Pacer | None = None,
    pause_gc: bool = False,
    on_wait: WaitObserver | None = None,
) -> tuple[Plan, StoredState]:
    """Read the store and the platform, and plan. Reads are retried like writes (same bounds): one 503
    or an Admin API 429 must not fail a plan. Admin reads take turns on `pacer` (the apply's, so the
    writes that follow count them; by default `admin_pacer`'s, shared with other runs on the store).
    `on_wait` is told what each wait is for and how long it lasts (the CLI prints it). `clock` counts
    epoch seconds (a fake one in tests, with `sleep`): the pace's slots are compared across processes.

    `pause_gc` pauses Python's cyclic garbage collector while the plan is made (`service.gcpause`): a
    process-wide switch, so only a caller that owns its process turns it on (the CLI does)."""
    timing = _Timing(sleep, clock, pacer, on_wait)
    if not pause_gc:
        return _make_plan(ws, allow_empty=allow_empty, timing=timing)
    with collection_paused():
        return _make_plan(ws, allow_empty=allow_empty, timing=timing)


@dataclass(frozen=True)
class _Timing:
    """How a plan's reads wait: sleep and clock, the pacer (None: `admin_pacer`'s), who hears of waits."""

    sleep: Callable[[float], None]
    clock: Callable[[], float]
    pacer: Pacer | None
    on_wait: WaitObserver | None

    def reads(self, ws: Workspace) -> Reads:
        retrier = Retrier(ws.project.config.retry, clock=self.clock, sleep=self.sleep, observe=self.on_wait)
        pacer = self.pacer or admin_pacer(ws, sleep=self.sleep, clock=self.clock, on_wait=self.on_wait)
        return Reads(retrier, pacer)


def _make_plan(ws: Workspace, *, allow_empty: bool, timing: _Timing) -> tuple[Plan, StoredState]:
    refuse_unsupported(ws)
    refuse_in_place_bundles(ws)
    reads = timing.reads(ws)
    desired = ws.project.desired
    # The platform read (network-bound) starts once the list hints are read (one query: a row per list
    # longer than a page), and the store read overlaps it; the inventory's vector stores then have
    # their files listed without waiting for the store list. Kinds that only the inventory mentions
    # (every manifest of a kind deleted) are read afterwards, which is rare. Planner work that needs one
    # object at a time (specs, fingerprints) is done while pages travel: desired digests here, live ones
    # on reader threads as each page of assistants arrives. The plan's only write is the hints, after
    # the plan is made.
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
        tuning = ReadTuning(run=reads, hints=hints, known_stores=our_stores, on_assistants=collector.add)
        reading = pool.submit(ws.target.read, first, tuning)
        ready = prepare_desired(desired)
        live = reading.result()
        stored = with_live_conversations(ws, storing.result(), now=timing.clock())
    seen = tuning.seen
    rest = kinds_to_read(desired, stored) - first
    if uploads_unrecorded(desired, stored):
        rest.add(Kind.FILE)  # our uploads the inventory lost are adopted, not sent again: list them
    if rest:
        live = live.merged(ws.target.read(rest, ReadTuning(run=reads)))
    if not ws.target.versions_on_platform:
        live = with_bundles(live, stored)  # the versions the platform does not store: ours
    refuse_other_flavour(ws, stored)
    prepared = collector.prepared(ready)
    plan = build_plan(
        desired,
        live,
        stored,
        allow_empty=allow_empty,
        created_at=time.time(),
        prepared=prepared,
        owner=ws.owner,
        bundles=not ws.target.versions_on_platform,
        project_id=ws.target_config.project_id,
    )
    _remember_hints(ws, seen, hints)
    return plan, stored


def with_live_conversations(ws: Workspace, stored: StoredState, *, now: float) -> StoredState:
    """`stored` with the conversations seen within the project's `conversations.retention` (migrated
    ones not counted) per assistant and version: the versions each new version is also judged against."""
    since = now - ws.project.config.conversations.retention_seconds
    live = ws.store.live_conversations(ws.name, seen_since=since)
    return stored.model_copy(update={"live_conversations": live}) if live else stored


def _known_hints(ws: Workspace) -> dict[str, tuple[str, ...]]:
    """The cursors the last read saw (one query): with them every page of a list goes at once."""
    try:
        return ws.store.list_hints(ws.name)
    except StateError as exc:
        _log.warning("list hints not read (this plan pages one request at a time): %s", exc)
        return {}


def _remember_hints(
    ws: Workspace, fresh: Mapping[str, tuple[str, ...]], known: Mapping[str, tuple[str, ...]]
) -> None:
    """Keep the cursors this read saw for the next one, when they moved (a steady project writes
    nothing), and forget the rest: lists of one page, stores gone or no longer ours, another base URL's
    lists. So the rows are what the last plan saw, no more. They are only hints: a store that refuses
    the write (busy with another writer, say) costs the next plan round trips, and must not fail this one."""
    changed = {name: cursors for name, cursors in fresh.items() if cursors and known.get(name) != cursors}
    gone = [name for name in known if not fresh.get(name)]
    if not changed and not gone:
        return
    try:
        ws.store.save_list_hints(ws.name, changed, now=time.time(), drop=gone)
    except StateError as exc:
        _log.warning("list hints not saved (the next plan starts from older ones, or none): %s", exc)


def _as_bundle(change: ResourceChange) -> bool | None:
    """Whether the version a change makes is a release bundle; None when it makes none."""
    if not isinstance(change.payload, AssistantPayload) or change.payload.version is None:
        return None
    return change.payload.version.bundle


def refuse_other_flavour(ws: Workspace, stored: StoredState) -> None:
    """Versions made on the other flavour cannot be served, rolled back to or deleted by this one: a
    platform assistant is no bundle, and a bundle is nothing an Assistants-v2 server knows. One line,
    naming them and the ways out, before anything is planned."""
    bundles = not ws.target.versions_on_platform
    other = other_flavour_versions(stored, bundles=bundles)
    if not other:
        return
    now, then = ("responses", "assistants-v2") if bundles else ("assistants-v2", "responses")
    made = "; ".join(
        f"{Kind.ASSISTANT.value}/{n} v{', v'.join(map(str, v))}" for n, v in sorted(other.items())
    )
    raise ConfigError(
        f"target {ws.name!r} is api: {now}, but versions were made on api: {then} ({made}). Set "
        f"`api: {then}` back, or retire those assistants there first (remove their manifests and apply), "
        f"then switch and apply to make their first {now} versions"
    )


def check_fresh(saved: Plan, fresh: Plan) -> None:
    """A saved plan is applied exactly, or not at all: every object it touches must be as it saw it."""
    if saved.workspace != fresh.workspace:
        raise StalePlan(f"the plan was made for target {saved.workspace!r}, not {fresh.workspace!r}")
    if saved.owner != fresh.owner:
        # A plan from another project, or from a reconciler before owner labels: it would label for them.
        raise StalePlan(f"the plan was made for owner {saved.owner or '(none)'!r}, not {fresh.owner!r}")
    now = fresh.by_address()
    moved = []
    for change in saved.actionable():
        current = now.get(change.address)
        if current is not None and _as_bundle(current) != _as_bundle(change):
            made_for = "responses" if _as_bundle(change) else "assistants-v2"
            raise StalePlan(
                f"the plan was made for api: {made_for} ({change.address}); the target's flavour changed "
                "since: plan again"
            )
        if (
            current is None
            or current.live_hash != change.live_hash
            or current.platform_id != change.platform_id
        ):
            moved.append(str(change.address))
        elif current.action is Action.NOOP:
            moved.append(str(change.address))  # someone already made this change
    if moved:
        raise StalePlan(f"objects changed since the plan was made: {', '.join(sorted(moved))}; plan again")
