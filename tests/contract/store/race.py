"""Workers that race for the lease: run in threads or in spawned processes (so they live in an importable
module, not in the test file)."""

from __future__ import annotations

from typing import Any

from reconciler.errors import LockHeld
from reconciler.store import StateStore, open_store


def race_rounds(store: StateStore, rounds: int, barrier: Any, wins: list[int], *, stagger: bool) -> None:
    """Each round: everyone waits at the barrier, then tries to take the lease at the same `now`.
    Odd rounds (when `stagger`) start from an expired lease, so the race is over a takeover, not an insert.
    The winner releases after a second barrier, so the next round starts with no live lease."""
    for round_no in range(rounds):
        now = 1000.0 * (round_no + 1)
        barrier.wait()
        won = 0
        try:
            lease = store.acquire_lock("race", owner=f"w{id(wins)}", host="h", ttl_seconds=60, now=now)
            won = 1
        except LockHeld:
            lease = None
        wins.append(won)
        barrier.wait()
        # Takeover rounds leave the winner's lease to expire (the next round's `now` is past it);
        # the other rounds release it explicitly.
        if lease is not None and not (stagger and round_no % 2 == 1):
            store.release_lock(lease)
        barrier.wait()


def process_worker(dsn: str, rounds: int, barrier: Any, results: Any, index: int) -> None:
    """Entry point for a spawned process: its own connection, its own results list."""
    wins: list[int] = []
    with open_store(dsn) as store:
        race_rounds(store, rounds, barrier, wins, stagger=True)
    results.put((index, wins))
