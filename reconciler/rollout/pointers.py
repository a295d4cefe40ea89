"""Release pointers over the state store: list versions, roll back, promote and resolve.

None of this calls the platform: a version is an assistant that already exists, so moving `stable` is one
atomic store write (with its history row: from, to, when, user, host, why). After every move the
in-process listeners of `rollout.events` are told, so a `runtime.Router` in this process stops serving the
old answer at once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from reconciler.errors import UserError
from reconciler.model.stored import PointerMove, VersionRecord
from reconciler.rollout import events
from reconciler.rollout.defaults import STABLE
from reconciler.store.base import StateReader, StateStore

# A caller's last word on a version before a pointer moves to it: raises when it cannot serve there.
Check = Callable[[VersionRecord], None]

__all__ = [
    "STABLE",
    "AlreadyThere",
    "AssistantNotDeployed",
    "NothingToRollBack",
    "ReleaseError",
    "RollbackWouldMoveForward",
    "UnknownAssistant",
    "UnknownVersion",
    "VersionView",
    "compat_of",
    "known_versions",
    "list_versions",
    "promote",
    "resolve",
    "rollback",
]

_DIRECTIONS = ("backward", "forward")


class ReleaseError(UserError):
    """A release command cannot do what was asked (the store is unchanged)."""


class UnknownAssistant(ReleaseError):
    """The workspace holds no versions of this assistant."""


class UnknownVersion(ReleaseError):
    """The assistant has no such version, it was deleted, or the pointer holds nothing."""


class AssistantNotDeployed(UnknownVersion):
    """The assistant has versions but the pointer names none: it was never deployed through it, or it
    was destroyed (its manifest removed and applied), which clears every pointer. What applications
    resolving a name (`reconciler.runtime`) get instead of the id of an object that is gone."""


class NothingToRollBack(ReleaseError):
    """The pointer's history names no earlier version."""


class AlreadyThere(ReleaseError):
    """The pointer already holds the requested version."""


class RollbackWouldMoveForward(NothingToRollBack):
    """A default rollback right after a move back (a rollback, or a promote to an older version): going
    to the version held before would move the pointer forward, which a rollback never does unasked."""


@dataclass(frozen=True)
class VersionView:
    """One row of `reconcile versions`. `compat` is the change against `parent`: "compatible",
    "breaking", "unknown" (not proven either way; treat as breaking) or "-" (no parent). `breaks` names
    the directions that are not proven compatible; `accepted` is the manifest's acceptBreaking reason."""

    number: int
    fingerprint: str
    created_at: float
    platform_id: str
    parent: int | None
    pointers: tuple[str, ...]
    compat: str
    breaks: tuple[str, ...] = ()
    accepted: str | None = None
    deleted: bool = False


def compat_of(record: VersionRecord) -> tuple[str, tuple[str, ...]]:
    """Breaking-ness of a version against its parent, from its stored verdict, judged both ways.

    The verdict holds `backward`/`forward` ("yes" | "no" | "unknown") at the top, per tool under `tools`,
    or both; the worst answer per direction wins. A version with a parent but no verdict is "unknown":
    nothing proved it compatible, and unknown is never shown as compatible.
    """
    if record.parent is None:
        return "-", ()
    verdict = record.verdict
    if not verdict:
        return "unknown", _DIRECTIONS
    answers: dict[str, set[str]] = {d: set() for d in _DIRECTIONS}
    for part in _verdict_parts(verdict):
        for direction in _DIRECTIONS:
            value = part.get(direction)
            if value is not None:
                answers[direction].add(str(value))
    no = tuple(d for d in _DIRECTIONS if "no" in answers[d])
    if no:
        return "breaking", no
    # anything other than a plain "yes" (unknown, or a value we do not know) is not a proof
    unsure = tuple(d for d in _DIRECTIONS if answers[d] - {"yes"})
    if unsure:
        return "unknown", unsure
    return "compatible", ()


def _verdict_parts(verdict: Mapping[str, Any]) -> Iterable[Mapping[str, Any]]:
    yield verdict
    tools = verdict.get("tools")
    if isinstance(tools, Mapping):
        for part in tools.values():
            if isinstance(part, Mapping):
                yield part


def list_versions(store: StateReader, workspace: str, assistant: str) -> list[VersionView]:
    """Every version of `assistant`, oldest first, with the pointers that hold each one."""
    versions = known_versions(store, workspace, assistant)
    held: dict[int, list[str]] = {}
    for pointer, number in sorted(store.pointers(workspace, assistant).items()):
        held.setdefault(number, []).append(pointer)
    views = []
    for v in versions:
        compat, breaks = compat_of(v)
        accepted = v.verdict.get("accepted") if compat != "compatible" else None
        views.append(
            VersionView(
                number=v.number,
                fingerprint=v.fingerprint,
                created_at=v.created_at,
                platform_id=v.platform_id,
                parent=v.parent,
                pointers=tuple(held.get(v.number, ())),
                compat=compat,
                breaks=breaks,
                accepted=str(accepted) if accepted else None,
                deleted=v.deleted,
            )
        )
    return views


def resolve(store: StateReader, workspace: str, assistant: str, pointer: str = STABLE) -> VersionRecord:
    """The version `pointer` holds. Raises UnknownAssistant / UnknownVersion when there is none."""
    versions = known_versions(store, workspace, assistant)
    number = store.pointers(workspace, assistant).get(pointer)
    if number is None:
        raise AssistantNotDeployed(_not_deployed(store, workspace, assistant, pointer))
    for v in versions:
        if v.number == number:
            return v
    raise UnknownVersion(f"{assistant}'s {pointer!r} pointer names version {number}, which the store lacks")


def _not_deployed(store: StateReader, workspace: str, assistant: str, pointer: str) -> str:
    history = store.pointer_history(workspace, assistant)
    last = next((m for m in reversed(history) if m.pointer == pointer), None)
    if last is None or not last.cleared:
        return f"{assistant} has no {pointer!r} pointer in {workspace} yet; apply first"
    when = datetime.fromtimestamp(last.at, UTC).strftime("%Y-%m-%d %H:%M:%SZ")
    return (
        f"{assistant} is not deployed in {workspace}: it was destroyed at {when} by {last.user}@{last.host} "
        f"({last.reason}), which cleared its {pointer!r} pointer (version {last.from_version}); "
        "restore its manifest and apply to deploy it again"
    )


def rollback(
    store: StateStore,
    workspace: str,
    assistant: str,
    *,
    to: int | None = None,
    user: str,
    host: str,
    reason: str = "",
    now: float,
    pointer: str = STABLE,
    check: Check | None = None,
) -> PointerMove:
    """Move `pointer` back: to version `to`, or by default to the version it held before its current one
    (the `from` of the move that brought it there). When that version is newer (the pointer was just
    rolled back), the default is refused, saying so: moving forward takes `promote` or an explicit `to`."""
    versions = known_versions(store, workspace, assistant)
    current = store.pointers(workspace, assistant).get(pointer)
    if to is None:
        history = store.pointer_history(workspace, assistant)
        to = _previous(history, pointer, current)
        if to is not None and current is not None and to > current:
            raise RollbackWouldMoveForward(_forward(assistant, pointer, history, versions, current, to))
        if to is None:
            where = f"version {current}" if current is not None else "no version"
            raise NothingToRollBack(
                f"{assistant}'s {pointer!r} pointer ({where}) has no earlier version in its history; "
                "name one with --to"
            )
    return _move(store, workspace, assistant, pointer, to, versions, current, user, host, reason, now, check)


def promote(
    store: StateStore,
    workspace: str,
    assistant: str,
    *,
    to: int,
    user: str,
    host: str,
    reason: str = "",
    now: float,
    pointer: str = STABLE,
    check: Check | None = None,
) -> PointerMove:
    """Point `pointer` at version `to` (newer or older: the store keeps the history either way)."""
    versions = known_versions(store, workspace, assistant)
    current = store.pointers(workspace, assistant).get(pointer)
    return _move(store, workspace, assistant, pointer, to, versions, current, user, host, reason, now, check)


def _forward(
    assistant: str,
    pointer: str,
    history: Iterable[PointerMove],
    versions: tuple[VersionRecord, ...],
    current: int,
    newer: int,
) -> str:
    """Why a default rollback is refused: the last move went back from `newer` to `current`."""
    last = next(
        m
        for m in reversed(tuple(history))
        if m.pointer == pointer and m.to_version == current and m.from_version != current
    )
    when = datetime.fromtimestamp(last.at, UTC).strftime("%Y-%m-%d %H:%M:%SZ")
    older = [str(v.number) for v in versions if v.number < current and not v.deleted]
    back = f"`reconcile rollback {assistant} --to N` goes further back (versions {', '.join(older)})"
    return (
        f"{assistant}'s {pointer!r} pointer was moved back from version {newer} to version {current} at "
        f"{when} by {last.user}@{last.host}; rolling back again would move it forward, to version {newer}, "
        f"so nothing was changed: `reconcile promote {assistant} --to {newer}` undoes that rollback"
        + (f", and {back}" if older else "")
    )


def _previous(history: Iterable[PointerMove], pointer: str, current: int | None) -> int | None:
    """The `from` of the latest move of `pointer` that landed on `current`."""
    if current is None:
        return None
    for move in reversed(tuple(history)):
        if move.pointer == pointer and move.to_version == current and move.from_version != current:
            return move.from_version
    return None


def _move(
    store: StateStore,
    workspace: str,
    assistant: str,
    pointer: str,
    to: int,
    versions: tuple[VersionRecord, ...],
    current: int | None,
    user: str,
    host: str,
    reason: str,
    now: float,
    check: Check | None = None,
) -> PointerMove:
    target = next((v for v in versions if v.number == to), None)
    if target is None:
        known = ", ".join(str(v.number) for v in versions)
        raise UnknownVersion(f"{assistant} has no version {to} in {workspace} (versions: {known})")
    if target.deleted:
        raise UnknownVersion(
            f"{assistant} version {to} was deleted (by gc, or when the assistant was destroyed); it "
            "cannot serve traffic"
        )
    if check is not None:
        check(target)  # raises when the version cannot serve on this target (the caller knows why)
    if current == to:
        raise AlreadyThere(f"{assistant}'s {pointer!r} pointer already holds version {to}")
    # The store re-checks existence and deletion inside its transaction, so a concurrent gc cannot
    # slip a deleted version under the pointer between our check and the write.
    move = store.move_pointer(workspace, assistant, pointer, to, user=user, host=host, reason=reason, now=now)
    events.notify(workspace, assistant)
    return move


def known_versions(store: StateReader, workspace: str, assistant: str) -> tuple[VersionRecord, ...]:
    """The assistant's versions; `UnknownAssistant` when it has none (a typo must not read as an empty
    answer: no rollout, nothing to stop, nothing to do)."""
    versions = store.versions(workspace, assistant)
    if not versions:
        raise UnknownAssistant(f"{assistant!r} has no versions in {workspace} (is the name right? applied?)")
    return versions
