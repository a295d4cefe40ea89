"""The stop button for the CLI and library users: `stop` makes every `reconciler.runtime.Router` refuse
new turns for an assistant (`runtime.Stopped`, which the application turns into its fallback) until
`start`. Both are recorded with user, host, time and reason, and open the state from the project file
alone (`open_release_state`), as a rollback does: no manifests, no platform call, so the button works
while the platform or the branch is broken.

Pressing it twice changes nothing: the first stop (its time and reason) stays in force, and starting an
assistant that is not stopped records nothing.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from reconciler.model.stored import StopEvent
from reconciler.rollout.pointers import known_versions
from reconciler.service.rollouts import ReleaseState
from reconciler.store.identity import whoami

__all__ = ["StopOutcome", "current_stop", "start", "stop", "stop_history"]


@dataclass(frozen=True)
class StopOutcome:
    """What a stop or start did. `event` is the event written (`changed`), or else the stop in force
    (None for a start of an assistant that was not stopped)."""

    workspace: str
    assistant: str
    stopped: bool  # the state now
    changed: bool
    event: StopEvent | None


def stop(state: ReleaseState, name: str, *, reason: str = "") -> StopOutcome:
    """Stop NAME in this workspace, as this user, now."""
    return _press(state, name, True, reason)


def start(state: ReleaseState, name: str, *, reason: str = "") -> StopOutcome:
    """Let NAME serve again, as this user, now."""
    return _press(state, name, False, reason)


def current_stop(state: ReleaseState, name: str) -> StopEvent | None:
    """The stop in force for NAME, if any."""
    return state.store.stops(state.workspace).get(name)


def stop_history(state: ReleaseState, name: str) -> tuple[StopEvent, ...]:
    """Every stop and start of NAME, oldest first."""
    return state.store.stop_history(state.workspace, name)


def _press(state: ReleaseState, name: str, stopped: bool, reason: str) -> StopOutcome:
    known_versions(state.store, state.workspace, name)  # a typo must not look like a stop
    who = whoami()
    event = state.store.set_stopped(
        state.workspace, name, stopped, user=who.user, host=who.host, reason=reason, now=time.time()
    )
    if event is not None:
        return StopOutcome(state.workspace, name, stopped, True, event)
    return StopOutcome(state.workspace, name, stopped, False, current_stop(state, name))
