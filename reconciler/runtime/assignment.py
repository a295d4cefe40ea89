"""Sticky assignment of conversations to versions: which version a new conversation gets while a rollout
is active (a stable hash of the rollout and the conversation against the canary's weight), and the cache
of pins this process has seen, dropped per assistant when its rollout changes."""

from __future__ import annotations

import hashlib
from threading import Lock

from reconciler.model.rollouts import RolloutRecord
from reconciler.runtime.release import Release

__all__ = ["BUCKETS", "Pins", "bucket", "canary_choice"]

BUCKETS = 10_000  # a weight of w percent takes buckets below w * 100: steps of 0.01 %


def bucket(rollout_id: str, conversation: str) -> int:
    """Where `conversation` falls in [0, BUCKETS) for this rollout: the same in every process and every
    run (sha256, not `hash()`, which is salted per process), and independent between rollouts, so the
    conversations of one canary are not the first ones of the next."""
    digest = hashlib.sha256(f"{rollout_id}\x00{conversation}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % BUCKETS


def canary_choice(rollout: RolloutRecord | None, conversation: str) -> int | None:
    """The canary version when the active `rollout` sends this new conversation to it, else None (the
    stable pointer's version). Raising the weight only adds buckets, so a conversation that fell to the
    canary at a lower weight would fall to it again; pins make that moot for conversations already seen."""
    if rollout is None or not rollout.status.active or rollout.weight <= 0:
        return None
    return rollout.canary_version if bucket(rollout.id, conversation) < rollout.weight * 100 else None


class Pins:
    """conversation -> Release, per assistant, for conversations this router assigned or looked up.

    Reads take no lock (a dict lookup is atomic under the GIL); writes do. Each assistant holds at most
    `limit` conversations: past it the oldest entry goes (a later turn re-reads its pin from the store,
    which is the truth). `generation(name)` grows on every drop, so a miss that read the store before a
    drop does not put back a pin the drop meant to forget."""

    def __init__(self, limit: int) -> None:
        if limit < 1:
            raise ValueError("the pin cache needs room for at least one conversation")
        self._limit = limit
        self._by_name: dict[str, dict[str, Release]] = {}
        self._generations: dict[str, int] = {}
        self._lock = Lock()

    def get(self, name: str, conversation: str) -> Release | None:
        pins = self._by_name.get(name)
        return pins.get(conversation) if pins is not None else None

    def generation(self, name: str) -> int:
        return self._generations.get(name, 0)

    def put(self, name: str, conversation: str, release: Release, generation: int) -> None:
        with self._lock:
            if self._generations.get(name, 0) != generation:
                return
            pins = self._by_name.setdefault(name, {})
            pins[conversation] = release
            if len(pins) > self._limit:
                del pins[next(iter(pins))]  # insertion order: the oldest pin seen

    def drop(self, name: str) -> None:
        """Forget every pin of `name` (its rollout changed: an abort may have rewritten them)."""
        with self._lock:
            self._generations[name] = self._generations.get(name, 0) + 1
            self._by_name.pop(name, None)

    def __len__(self) -> int:
        return sum(len(p) for p in self._by_name.values())
