"""Release pointers for the CLI and library users: list versions, roll back, promote, resolve and gc.

All but gc open the project file and the state store and nothing else - no manifests are loaded and no
target is built - so a rollback works while the platform is slow or the manifests on this branch are
broken, and it cannot make a platform call by accident. gc works on a whole workspace (it lists and
deletes platform assistants), under the workspace lease as apply does.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from reconciler.calls.retry import Retrier
from reconciler.errors import UserError
from reconciler.manifest.project import project_config
from reconciler.model.stored import PointerMove, VersionRecord
from reconciler.model.waits import WaitObserver
from reconciler.plan.bundles import bundle_assistant
from reconciler.rollout import gc as garbage
from reconciler.rollout import pointers
from reconciler.rollout.defaults import DEFAULT_KEEP, STABLE
from reconciler.rollout.pointers import VersionView
from reconciler.service.workspace import Workspace, state_dsn
from reconciler.store.base import StateStore
from reconciler.store.factory import missing_file, open_store
from reconciler.store.identity import whoami

__all__ = [
    "Moved",
    "ReleaseState",
    "collect_garbage",
    "list_versions",
    "open_release_state",
    "promote",
    "resolve",
    "rollback",
]


@dataclass
class ReleaseState:
    """One workspace's state store, opened from the project file alone. Close it when done."""

    store: StateStore
    workspace: str
    api: str = "responses"  # the target's flavour: which versions it can serve

    def close(self) -> None:
        self.store.close()

    def __enter__(self) -> ReleaseState:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_release_state(path: Path | None = None, *, target: str | None = None) -> ReleaseState:
    """The state store and workspace (target name) of the project at or above `path`, read from
    reconcile.yaml alone. Refuses to create a store that does not exist yet."""
    config = project_config(path)
    workspace, target_config = config.target(target)
    dsn = state_dsn(config)
    database = missing_file(dsn)
    if database is not None:
        raise UserError(f"no state store at {database}: nothing was applied to {workspace!r} yet")
    return ReleaseState(open_store(dsn), workspace, target_config.api)


def servable(state: ReleaseState) -> pointers.Check:
    """The check a version passes before a pointer moves to it: made on this target's flavour, and (a
    bundle) naming only vector stores and files the inventory still records. Rolling back to a bundle
    whose store apply has since destroyed would fail every request it serves."""
    bundles = state.api == "responses"
    inventory = {r.platform_id for r in state.store.inventory(state.workspace)}

    def check(version: VersionRecord) -> None:
        name = f"{version.assistant} version {version.number}"
        if bool(version.bundle) != bundles:
            made = "a release bundle (api: responses)" if version.bundle else "a platform assistant"
            raise UserError(
                f"{name} is {made}; target {state.workspace!r} is api: {state.api} and cannot serve it"
            )
        bundle = bundle_assistant(version)
        if bundle is None:
            return
        gone = [
            i
            for i in (*bundle.file_search_vector_store_ids, *bundle.code_interpreter_file_ids)
            if i not in inventory
        ]
        if gone:
            raise UserError(
                f"{name} uses {', '.join(gone)}, which apply has deleted since: it would fail every request. "
                "Restore the manifests that made them and apply, or choose another version"
            )

    return check


@dataclass(frozen=True)
class Moved:
    """A pointer move, and the platform assistant the pointer names now."""

    move: PointerMove
    platform_id: str

    @property
    def forward(self) -> bool:
        """A rollback `--to` a newer version than the pointer held."""
        before, after = self.move.from_version, self.move.to_version
        return before is not None and after is not None and after > before


def list_versions(state: ReleaseState, name: str) -> list[VersionView]:
    """NAME's versions: pointers, compatibility with the parent, creation time, fingerprint."""
    return pointers.list_versions(state.store, state.workspace, name)


def rollback(state: ReleaseState, name: str, *, to: int | None = None, reason: str = "") -> Moved:
    """Point NAME's stable pointer back at `to` (default: what it held before), recorded as this user."""
    return _moved(state, name, partial(pointers.rollback, to=to), reason)


def promote(state: ReleaseState, name: str, *, to: int, reason: str = "") -> Moved:
    """Point NAME's stable pointer at version `to`, recorded as this user."""
    return _moved(state, name, partial(pointers.promote, to=to), reason)


class RolloutInProgress(UserError):
    """A canary rollout owns the assistant's pointers until it ends."""


def _moved(state: ReleaseState, name: str, move: Callable[..., PointerMove], reason: str) -> Moved:
    """One pointer move as this user and now, to a version this target can serve. Refused while a canary
    rollout is active: moving stable under it would leave the rollout (and an abort's "back to stable")
    aimed at a version that no longer serves."""
    active = state.store.active_rollout(state.workspace, name)
    if active is not None:
        raise RolloutInProgress(
            f"{name} has a rollout of version {active.canary_version} in progress ({active.status.value}, "
            f"{active.weight} %): `reconcile rollout abort {name}` sends traffic back to stable version "
            f"{active.stable_version}, `reconcile rollout promote {name} --full` makes version "
            f"{active.canary_version} stable; then move stable as you like"
        )
    who = whoami()
    made = move(
        state.store,
        state.workspace,
        name,
        reason=reason,
        now=time.time(),
        user=who.user,
        host=who.host,
        check=servable(state),
    )
    return Moved(made, pointers.resolve(state.store, state.workspace, name).platform_id)


def resolve(state: ReleaseState, name: str, pointer: str = STABLE) -> VersionRecord:
    """The version NAME's `pointer` names."""
    return pointers.resolve(state.store, state.workspace, name, pointer)


def collect_garbage(
    ws: Workspace,
    *,
    keep: int = DEFAULT_KEEP,
    dry_run: bool = False,
    confirm: Callable[[list[VersionRecord]], bool] | None = None,
    on_wait: WaitObserver | None = None,
) -> garbage.GcReport:
    """`rollout.gc.collect_garbage` on a workspace, as this user, retried per the project's settings
    (`on_wait` hears of each backoff), keeping the versions of conversations seen within the project's
    `conversations.retention`."""
    who = whoami()
    return garbage.collect_garbage(
        ws.store,
        ws.target,
        ws.name,
        keep=keep,
        dry_run=dry_run,
        label_owner=ws.owner,
        owner=who.user,
        host=who.host,
        retrier=Retrier(ws.project.config.retry, observe=on_wait),
        confirm=confirm,
        retention=ws.project.config.conversations.retention_seconds,
    )
