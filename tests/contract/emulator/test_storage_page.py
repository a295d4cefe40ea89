"""Storage.page (SQL keyset paging) gives exactly the pages a plain list slice gives."""

from __future__ import annotations

import random
from collections.abc import Callable

import pytest

from reconciler.emulator.storage import JSON, Storage

N = 60


def _reference(
    items: list[JSON], order: str, after: str | None, before: str | None, limit: int
) -> tuple[list[JSON], bool]:
    ordered = items if order == "asc" else items[::-1]
    ids = [o["id"] for o in ordered]
    if after is not None:
        ordered = ordered[ids.index(after) + 1 :] if after in ids else []
        return ordered[:limit], len(ordered) > limit
    if before is not None and before in ids:
        ordered = ordered[: ids.index(before)]
        return ordered[-limit:], len(ordered) > limit
    return ordered[:limit], len(ordered) > limit


@pytest.fixture(scope="module")
def storage() -> Storage:
    store = Storage()
    for i in range(N):
        store.insert("thing", {"id": f"t{i:03}", "n": i})
        store.insert("other", {"id": f"o{i:03}", "n": i})  # another kind must never leak in
    return store


def test_pages_match_the_reference(storage: Storage) -> None:
    rng = random.Random(5)
    everything = storage.all("thing")
    multiples: Callable[[JSON], bool] = lambda o: o["n"] % 3 == 0  # noqa: E731
    for _ in range(1500):
        order = rng.choice(["asc", "desc"])
        limit = rng.randint(1, 15)
        keep = rng.choice([None, multiples])
        pool = [o for o in everything if keep is None or keep(o)]
        cursor = rng.choice([None, rng.choice(pool)["id"], "t999"])
        after, before = (cursor, None) if rng.random() < 0.5 else (None, cursor)
        got = storage.page("thing", order=order, after=after, before=before, limit=limit, keep=keep)
        assert got == _reference(pool, order, after, before, limit), (order, after, before, limit, keep)


def test_a_full_walk_visits_everything_once(storage: Storage) -> None:
    seen: list[str] = []
    after = None
    for _ in range(N):  # bounded: at least one item per page
        page, has_more = storage.page("thing", order="asc", after=after, limit=7)
        seen += [o["id"] for o in page]
        if not has_more:
            break
        after = page[-1]["id"]
    assert seen == [f"t{i:03}" for i in range(N)]
