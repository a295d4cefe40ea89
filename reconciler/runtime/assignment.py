"""Sticky assignment of conversations to versions: which version a new conversation gets while a rollout
is active (`model.rollouts.canary_choice`: a stable hash of the rollout and the conversation against the
canary's weight; a conversation migration follows the same share), and the cache of pins this process has
seen, dropped per assistant when its rollout changes."""

from __future__ import annotations

from threading import Lock

from reconciler.model.rollouts import BUCKETS, bucket, canary_choice
from reconciler.runtime.release import Release

__all__ = ["BUCKETS", "Pins", "bucket", "canary_choice"]


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
