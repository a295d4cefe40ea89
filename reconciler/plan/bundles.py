"""Release bundles as the planner sees them: on a platform that stores no assistant versions, the live
assistants are the bundles our store holds (every version not deleted), so planning, reuse on revert and
compatibility verdicts work as they do against platform assistants. Bundles cannot drift: they are what
apply wrote.
"""

from __future__ import annotations

from collections.abc import Iterable

from reconciler.model.live import LiveAssistant, LiveState
from reconciler.model.stored import StoredState, VersionRecord


def bundle_assistant(version: VersionRecord) -> LiveAssistant | None:
    """The version's bundle as the assistant it stands for; None for a platform assistant's version."""
    if version.deleted or not version.bundle:
        return None
    return LiveAssistant.model_validate(version.bundle)


def stored_bundles(versions: Iterable[VersionRecord]) -> dict[str, LiveAssistant]:
    """Platform id -> bundle of every live version."""
    return {b.id: b for v in versions if (b := bundle_assistant(v)) is not None}


def other_flavour_versions(stored: StoredState, *, bundles: bool) -> dict[str, list[int]]:
    """Assistant -> numbers of its live versions made on the other flavour: platform assistants when the
    target keeps bundles, bundles when it keeps platform assistants."""
    other: dict[str, list[int]] = {}
    for version in stored.versions:
        if not version.deleted and bool(version.bundle) != bundles:
            other.setdefault(version.assistant, []).append(version.number)
    return other


def with_bundles(live: LiveState, stored: StoredState) -> LiveState:
    """The platform read, with the store's bundles as its assistants."""
    return live.model_copy(update={"assistants": {**live.assistants, **stored_bundles(stored.versions)}})
