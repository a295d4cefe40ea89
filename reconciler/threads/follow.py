"""Which conversations a migration may move now. Migrated conversations are the canary's: a migration to
a version under a canary rollout (`--follow-rollout`) moves only the conversations the rollout's weight
gives the canary (the runtime's own hash, `model.rollouts.canary_choice`, so a conversation goes where a
new one of the same id would), more as the weight rises, all of them once the version is stable; an abort
of that rollout stops the migration. Without following, everything may move now."""

from __future__ import annotations

from dataclasses import dataclass

from reconciler.model.rollouts import RolloutRecord, RolloutStatus, canary_choice
from reconciler.store.base import StateReader

__all__ = ["Share", "share_now"]

STABLE = "stable"


@dataclass(frozen=True)
class Share:
    everything: bool  # not following, or the version is stable now
    rollout: RolloutRecord | None = None  # the active rollout of the version, while following one
    aborted: str = ""  # the version's rollout was aborted (why): nothing more may move

    def admits(self, conversation: str) -> bool:
        if self.everything:
            return True
        if self.rollout is None:
            return False
        return canary_choice(self.rollout, conversation) == self.rollout.canary_version

    @property
    def waiting(self) -> str:
        """What the migration waits for, for a person ('' when nothing)."""
        if self.everything or self.aborted or self.rollout is None:
            return ""
        return (
            f"following the rollout of version {self.rollout.canary_version} at weight {self.rollout.weight}%"
        )


def share_now(store: StateReader, workspace: str, assistant: str, to_version: int, *, follow: bool) -> Share:
    if not follow:
        return Share(everything=True)
    active = store.active_rollout(workspace, assistant)
    if active is not None and active.canary_version == to_version:
        return Share(everything=False, rollout=active)
    if store.pointers(workspace, assistant).get(STABLE) == to_version:
        return Share(everything=True)
    ended = [r for r in store.rollouts(workspace, assistant) if r.canary_version == to_version]
    if ended and ended[-1].status is RolloutStatus.ABORTED:
        return Share(everything=False, aborted=ended[-1].message or "aborted")
    return Share(everything=False, aborted=f"version {to_version} is neither stable nor under a rollout")
