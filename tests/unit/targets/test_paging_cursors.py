"""Hinted cursor walks (`from_cursors`) and the hints themselves (`page_cursors`): with fresh hints every
page goes at once and no request is wasted; with stale, shuffled, doubled or foreign hints the listing is
still exactly the platform's list, in its order; only an error in a segment the listing needs fails it."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any, Literal

import pytest

from reconciler.errors import NotFound, PermanentPlatformError, TemporaryPlatformError
from reconciler.targets import paging
from tests.unit.targets.support import Raw as _Raw
from tests.unit.targets.support import Sink

SIZE = 3  # a small page, so a short list spans many pages

Missing = Literal["empty", "404"]


class _List:
    """An in-memory cursor list in a fixed order, `size` per page, honouring `after` like the emulator:
    an unknown `after` gives an empty last page, or (`missing="404"`) NotFound as some platforms answer.
    `fail` maps a cursor to the error fetching the page after it raises; every cursor asked for is kept."""

    def __init__(self, ids: Sequence[str], size: int = SIZE, *, missing: Missing = "empty") -> None:
        self.ids = list(ids)
        self.size = size
        self.missing = missing
        self.fail: dict[str | None, Exception] = {}
        self.loop = False  # answer the first page whatever the cursor: a platform that ignores `after`
        self.gate: threading.Barrier | None = None  # when set, every fetch waits there for the others
        self.cursors: list[str | None] = []
        self._lock = threading.Lock()

    def __call__(self, after: str | None) -> _Raw:
        with self._lock:
            self.cursors.append(after)
        if self.gate is not None:
            self.gate.wait()
        if after in self.fail:
            raise self.fail[after]
        if after is None or self.loop:
            start = 0
        elif after in self.ids:
            start = self.ids.index(after) + 1
        elif self.missing == "404":
            raise NotFound(f"list things: HTTP 404: No object with id {after}", status=404)
        else:
            return _Raw({"object": "list", "data": [], "has_more": False, "first_id": None, "last_id": None})
        data = [{"id": i, "object": "thing"} for i in self.ids[start : start + self.size]]
        return _Raw(
            {
                "object": "list",
                "data": data,
                "has_more": self.loop or start + self.size < len(self.ids),
                "first_id": data[0]["id"] if data else None,
                "last_id": data[-1]["id"] if data else None,
            }
        )

    def delete(self, *ids: str) -> None:
        for i in ids:
            self.ids.remove(i)


def _ids(n: int, prefix: str = "id") -> list[str]:
    return [f"{prefix}_{i:03d}" for i in range(n)]


def _ident(item: dict[str, Any]) -> str:
    return str(item["id"])


def _sequential_fetches(ids: Sequence[str], size: int = SIZE) -> list[str | None]:
    """The cursors a plain one-page-after-another walk of this list asks for."""
    plain = _List(ids, size)
    assert paging.pipelined(plain, _ident, "list things") == list(ids)
    return plain.cursors


# -- page_cursors ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("n", "size", "expected"),
    [
        (0, 3, []),
        (1, 3, []),
        (2, 3, []),
        (3, 3, []),  # exactly one page: nothing follows it
        (4, 3, [2]),
        (6, 3, [2]),  # two full pages: the last id of the list starts no page
        (7, 3, [2, 5]),
        (9, 3, [2, 5]),
        (10, 3, [2, 5, 8]),
        (3, 1, [0, 1]),
        (250, 100, [99, 199]),
    ],
)
def test_page_cursors_are_the_last_ids_of_the_full_pages_but_the_final_one(
    n: int, size: int, expected: list[int]
) -> None:
    ids = _ids(n)
    assert paging.page_cursors(ids, size) == tuple(ids[i] for i in expected)


@pytest.mark.parametrize("size", [1, 2, 3, 5])
@pytest.mark.parametrize("n", range(13))
def test_page_cursors_are_exactly_what_a_sequential_walk_asks_for(n: int, size: int) -> None:
    ids = _ids(n)
    asked = _sequential_fetches(ids, size)
    assert asked[0] is None
    assert paging.page_cursors(ids, size) == tuple(asked[1:])


# -- fresh hints -----------------------------------------------------------------------------------


@pytest.mark.parametrize("n", [0, 1, 3, 4, 8, 9, 10, 26])
def test_fresh_hints_give_the_whole_list_with_one_request_per_page(n: int) -> None:
    pages = _List(_ids(n))
    hints = paging.page_cursors(pages.ids, SIZE)
    got = paging.from_cursors(pages, _ident, "list things", hints)
    assert got == pages.ids
    # Exactly the requests a sequential walk makes: each segment is one page, none is empty or extra.
    assert len(pages.cursors) == len(_sequential_fetches(pages.ids)) == max(1, -(-n // SIZE))
    assert Counter(pages.cursors) == Counter([None, *hints])


def test_fresh_hints_request_every_page_at_once() -> None:
    pages = _List(_ids(15))  # 5 pages, fewer than the segment workers
    hints = paging.page_cursors(pages.ids, SIZE)
    # Every fetch waits until all five are in flight: a walk that asked one page after another would
    # break the barrier (BrokenBarrierError) instead of listing.
    pages.gate = threading.Barrier(len(hints) + 1, timeout=10)
    assert paging.from_cursors(pages, _ident, "list things", hints) == pages.ids
    assert sorted(pages.cursors, key=str) == sorted([None, *hints], key=str)


def test_duplicate_hints_ask_for_each_page_once() -> None:
    pages = _List(_ids(10))
    hints = paging.page_cursors(pages.ids, SIZE)
    assert paging.from_cursors(pages, _ident, "list things", (*hints, *reversed(hints))) == pages.ids
    assert Counter(pages.cursors) == Counter([None, *hints])


def test_no_hints_walk_the_list_like_a_plain_walk() -> None:
    pages = _List(_ids(10))
    assert paging.from_cursors(pages, _ident, "list things", ()) == pages.ids
    assert pages.cursors == _sequential_fetches(pages.ids)


# -- stale hints -----------------------------------------------------------------------------------


def _added_at_the_end(pages: _List, hints: tuple[str, ...]) -> tuple[str, ...]:
    pages.ids.extend(_ids(7, "new"))
    return hints


def _deleted_in_the_middle(pages: _List, hints: tuple[str, ...]) -> tuple[str, ...]:
    pages.delete("id_001", "id_004", "id_006", "id_007", "id_010")  # none of them a hinted cursor
    return hints


def _a_hinted_cursor_deleted(pages: _List, hints: tuple[str, ...]) -> tuple[str, ...]:
    pages.delete(hints[1])
    return hints


def _two_neighbouring_hinted_cursors_deleted(pages: _List, hints: tuple[str, ...]) -> tuple[str, ...]:
    pages.delete(hints[1], hints[2], "id_003")
    return hints


def _every_hinted_cursor_deleted(pages: _List, hints: tuple[str, ...]) -> tuple[str, ...]:
    pages.delete(*hints)
    return hints


def _the_tail_deleted(pages: _List, hints: tuple[str, ...]) -> tuple[str, ...]:
    pages.delete(*pages.ids[9:])  # the last hinted cursor is now the last object: its page is empty
    return hints


def _the_list_emptied(pages: _List, hints: tuple[str, ...]) -> tuple[str, ...]:
    pages.ids.clear()
    return hints


def _deleted_and_added(pages: _List, hints: tuple[str, ...]) -> tuple[str, ...]:
    pages.delete(hints[0], "id_007", pages.ids[-1])
    pages.ids.extend(_ids(5, "new"))
    return hints


def _out_of_order(pages: _List, hints: tuple[str, ...]) -> tuple[str, ...]:
    return (hints[2], hints[0], hints[1])


def _reversed(pages: _List, hints: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(reversed(hints))


def _duplicated(pages: _List, hints: tuple[str, ...]) -> tuple[str, ...]:
    return (hints[1], *hints, hints[0], *hints, hints[1])


def _from_another_list(pages: _List, hints: tuple[str, ...]) -> tuple[str, ...]:
    return paging.page_cursors(_ids(12, "other"), SIZE)


def _foreign_among_live(pages: _List, hints: tuple[str, ...]) -> tuple[str, ...]:
    return ("other_000", hints[1], "other_001", hints[0])


def _mid_page(pages: _List, hints: tuple[str, ...]) -> tuple[str, ...]:
    return paging.page_cursors(pages.ids, 2)  # pages of another size: cursors fall mid-page


def _the_last_id(pages: _List, hints: tuple[str, ...]) -> tuple[str, ...]:
    return (*hints, pages.ids[-1])  # a cursor after which the page is empty


def _the_first_id(pages: _List, hints: tuple[str, ...]) -> tuple[str, ...]:
    return (pages.ids[0],)


STALE: list[Callable[[_List, tuple[str, ...]], tuple[str, ...]]] = [
    _added_at_the_end,
    _deleted_in_the_middle,
    _a_hinted_cursor_deleted,
    _two_neighbouring_hinted_cursors_deleted,
    _every_hinted_cursor_deleted,
    _the_tail_deleted,
    _the_list_emptied,
    _deleted_and_added,
    _out_of_order,
    _reversed,
    _duplicated,
    _from_another_list,
    _foreign_among_live,
    _mid_page,
    _the_last_id,
    _the_first_id,
]


@pytest.mark.parametrize("missing", ["empty", "404"])
@pytest.mark.parametrize("stale", STALE, ids=lambda f: f.__name__.strip("_"))
def test_stale_hints_still_list_exactly_the_whole_list_in_order(
    stale: Callable[[_List, tuple[str, ...]], tuple[str, ...]], missing: Missing
) -> None:
    pages = _List(_ids(13), missing=missing)  # 5 pages; hints id_002, id_005, id_008, id_011
    hints = stale(pages, paging.page_cursors(pages.ids, SIZE))
    sink: Sink[str] = Sink()
    got = paging.from_cursors(pages, _ident, "list things", hints, sink)
    seen = sink.seen
    assert got == pages.ids  # nothing missing, nothing doubled, the platform's order
    assert len(set(got)) == len(got)
    assert not Counter(got) - Counter(seen)  # the sink saw every object of the result


# -- errors ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("where", [None, "id_002", "id_005", "id_011"])
def test_an_error_in_a_segment_the_listing_needs_fails_it(where: str | None) -> None:
    pages = _List(_ids(13))
    pages.fail[where] = TemporaryPlatformError("list things: HTTP 503: overloaded", status=503)
    with pytest.raises(TemporaryPlatformError, match="503"):
        paging.from_cursors(pages, _ident, "list things", paging.page_cursors(pages.ids, SIZE))


def test_an_error_further_along_a_needed_segment_fails_the_listing() -> None:
    pages = _List(_ids(9))
    hints = paging.page_cursors(pages.ids, SIZE)  # id_002, id_005
    pages.ids.extend(_ids(6, "new"))  # the last segment now walks on past its first page
    pages.fail["id_008"] = TemporaryPlatformError("list things: connection reset")
    with pytest.raises(TemporaryPlatformError, match="connection reset"):
        paging.from_cursors(pages, _ident, "list things", hints)
    assert "id_008" in pages.cursors


def test_an_error_in_a_segment_the_listing_does_not_need_is_ignored() -> None:
    pages = _List(_ids(13))
    hints = paging.page_cursors(pages.ids, SIZE)
    pages.delete(hints[1])  # its segment is not used, whatever the platform says about it
    pages.fail[hints[1]] = TemporaryPlatformError("list things: HTTP 500: boom", status=500)
    pages.fail["other_000"] = PermanentPlatformError("list things: HTTP 400: bad cursor", status=400)
    got = paging.from_cursors(pages, _ident, "list things", (*hints, "other_000"))
    assert got == pages.ids  # whether or not those segments had been asked for by then


def test_pages_that_do_not_join_up_are_a_platform_error_not_an_endless_walk() -> None:
    pages = _List(_ids(9))
    hints = paging.page_cursors(pages.ids, SIZE)
    pages.loop = True  # every page is the first one: the segment after id_002 meets id_002 again
    with pytest.raises(PermanentPlatformError, match="do not join up"):
        paging.from_cursors(pages, _ident, "list things", hints)


def test_a_cursor_that_comes_back_in_a_segment_is_a_platform_error() -> None:
    pages = _List(_ids(9))
    pages.loop = True
    with pytest.raises(PermanentPlatformError, match="came back twice"):
        paging.from_cursors(pages, _ident, "list things", ["other_000"])


# -- the page sink ---------------------------------------------------------------------------------


class _Thing:
    """A converted object compared by identity, as the planner reuses digests of the very objects."""

    def __init__(self, item: dict[str, Any]) -> None:
        self.id = str(item["id"])


@pytest.mark.parametrize("stale", [False, True])
def test_the_sink_sees_the_very_objects_of_the_result(stale: bool) -> None:
    pages = _List(_ids(13), missing="404")
    hints = paging.page_cursors(pages.ids, SIZE)
    if stale:
        pages.delete(hints[0], "id_004")
        pages.ids.extend(_ids(4, "new"))
        hints = (hints[2], "other_000", *hints)
    sink: Sink[_Thing] = Sink()
    got = paging.from_cursors(pages, _Thing, "list things", hints, sink)
    seen = sink.seen
    assert [t.id for t in got] == pages.ids
    # Unused segments may have been handed over too, but every object returned was handed over itself.
    assert {id(t) for t in got} <= {id(t) for t in seen}
    if not stale:
        assert sorted(id(t) for t in seen) == sorted(id(t) for t in got)  # fresh hints: nothing extra


def test_a_segment_the_listing_does_not_need_is_not_waited_for() -> None:
    ids = _ids(9)
    gone = "id_gone"  # a hinted cursor deleted since: its segment is never followed
    release = threading.Event()
    listing = _List(ids)
    slow = listing.__call__

    def fetch(after: str | None) -> _Raw:
        if after == gone:
            release.wait(timeout=30)  # a platform slow to say "no such object"
        return slow(after)

    try:
        got = paging.from_cursors(fetch, _ident, "list things", [ids[2], gone, ids[5]])
        assert got == ids
        assert not release.is_set()  # returned while the unneeded request was still in flight
    finally:
        release.set()


def test_page_cursors_refuse_a_page_size_below_one() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        paging.page_cursors(_ids(3), 0)


def test_unused_segments_stop_walking_once_the_listing_returns() -> None:
    ids = _ids(300)
    lock = threading.Lock()
    requests: list[str | None] = []
    sunk: list[str] = []

    def fetch(after: str | None) -> _Raw:
        with lock:
            requests.append(after)
        if after not in ids:  # a platform that answers an unknown cursor with the list's start...
            threading.Event().wait(0.01)  # ...slowly, so the listing returns while this walk goes on
        start = ids.index(after) + 1 if after in ids else 0
        data = [{"id": i} for i in ids[start : start + SIZE]]
        return _Raw({"data": data, "has_more": start + SIZE < len(ids)})

    got = paging.from_cursors(fetch, _ident, "list things", ["other_000"], sunk.extend)
    assert got == ids
    with lock:
        at_return, sunk_at_return = len(requests), len(sunk)
    threading.Event().wait(0.3)
    assert len(requests) <= at_return + 1  # at most the request that was in flight
    assert len(sunk) == sunk_at_return  # and nothing more reaches the sink


def test_all_segments_together_keep_to_the_page_bound(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(paging, "MAX_PAGES", 20)
    pages = _FromStart(_List(_ids(60)))  # 20 pages; each foreign hint walks the list from its start
    with pytest.raises(PermanentPlatformError, match="more than 20 pages"):
        paging.from_cursors(pages, _ident, "list things", [f"other_{i}" for i in range(5)])
    assert len(pages.pages.cursors) <= 20  # six walks of 20 pages would have been 120 requests


class _FromStart:
    """A platform that answers an unknown `after` with the first page, 1 ms per page (so walks overlap)."""

    def __init__(self, pages: _List) -> None:
        self.pages = pages

    def __call__(self, after: str | None) -> _Raw:
        threading.Event().wait(0.001)
        return self.pages(after if after in self.pages.ids else None)


@pytest.mark.parametrize("missing", ["empty", "404"])
@pytest.mark.parametrize("walk", ["plain", "hinted"])
def test_an_object_deleted_at_a_page_boundary_mid_read_does_not_end_the_walk(
    walk: str, missing: Missing
) -> None:
    """Someone deletes the object a page ends on after that page is served and before the page after it
    is asked for: the platform then reads the cursor as unknown (an empty end, or 404). The walk asks
    again after the object before it, so the objects behind it (ours, say) are still listed."""
    pages = _List(_ids(9), missing=missing)
    hints = paging.page_cursors(pages.ids, SIZE)  # id_002, id_005
    boundary = hints[0]
    first_served = threading.Event()

    def fetch(after: str | None) -> _Raw:
        if after == boundary:
            assert first_served.wait(timeout=10)  # served after the page that holds it
        page = pages(after)
        if after is None:
            pages.delete(boundary)
            first_served.set()
        return page

    got = (
        paging.pipelined(fetch, _ident, "list things")
        if walk == "plain"
        else paging.from_cursors(fetch, _ident, "list things", hints)
    )
    assert [i for i in got if i != boundary] == pages.ids  # every live object, once, in order


def test_a_list_that_really_ended_after_a_page_ends_the_walk() -> None:
    pages = _List(_ids(6))
    first_served = threading.Event()

    def fetch(after: str | None) -> _Raw:
        page = pages(after)
        if after is None:
            pages.delete("id_002", "id_003", "id_004", "id_005")  # the page's last object and all after
            first_served.set()
        return page

    assert paging.pipelined(fetch, _ident, "list things") == ["id_000", "id_001", "id_002"]
    assert len(pages.cursors) <= 4  # the first page, the empty answer, and at most two re-asks
