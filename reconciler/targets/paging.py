"""Walking the platform's cursor lists, and the small call wrappers the adapter shares.

Every loop here is bounded: a walk (a hinted one counts the pages of all its segments together) stops
after MAX_PAGES pages, and a cursor that comes back twice is a platform error rather than an endless walk.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import openai

from reconciler.errors import NotFound, PermanentPlatformError
from reconciler.targets.errors import call

T = TypeVar("T")

MAX_PAGES = 10_000  # a million objects per kind: beyond that a cursor loop is a platform bug, not data
SEGMENT_WORKERS = 16  # segments of a hinted walk in flight at once


def pipelined(
    fetch: Callable[[str | None], Any],
    convert: Callable[[Any], T],
    what: str,
    on_page: Callable[[Sequence[T]], None] | None = None,
) -> list[T]:
    """Walk a cursor list, requesting page k+1 as soon as page k's `last_id` is known and converting
    page k (and handing it to `on_page`) while it travels. The SDK's pager parses a whole page into
    models before it asks for the next, which put ~10 ms per page on the plan's longest chain."""
    out: list[T] = []
    seen: set[str] = set()
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="read-ahead") as ahead:
        body, own = _page(fetch, None, what), None
        for _ in range(MAX_PAGES):
            cursor = _next_cursor(body)
            if cursor is not None and cursor in seen:
                raise PermanentPlatformError(f"{what}: the cursor {cursor} came back twice (a paging loop)")
            following = ahead.submit(_follow, fetch, what, body, own) if cursor is not None else None
            converted = [convert(item) for item in body["data"]]
            out.extend(converted)
            if on_page is not None:
                on_page(converted)
            if following is None:
                return out
            seen.add(str(cursor))
            body, own = following.result(), cursor
    raise PermanentPlatformError(f"{what}: more than {MAX_PAGES} pages")


def page_cursors(ids: Sequence[str], page_size: int) -> tuple[str, ...]:
    """The cursors a full walk of a list in this order would request pages after: the last id of every
    full page but the final one (a page after the list's last object would come back empty)."""
    if page_size < 1:
        raise ValueError(f"page size must be at least 1, not {page_size}")
    return tuple(ids[page_size - 1 : len(ids) - 1 : page_size])


@dataclass(frozen=True)
class _Segment(Generic[T]):
    items: list[T]
    stop: str | None  # the hinted cursor it ran into (whose segment continues it); None at the end
    # When objects followed `stop` on the page that met it: where to walk on from if `stop` vanishes
    # before its own segment is served (the object before it, or that page's cursor).
    tail: bool = False
    resume: str | None = None


class _Walk:
    """What the segments of one hinted walk share: a page budget for all of them together, and a flag
    that stops every segment once the listing has its answer (or has failed)."""

    def __init__(self) -> None:
        self.done = threading.Event()
        self._pages = 0
        self._lock = threading.Lock()

    def take_page(self, what: str) -> None:
        with self._lock:
            self._pages += 1
            if self._pages > MAX_PAGES:
                raise PermanentPlatformError(f"{what}: more than {MAX_PAGES} pages")


def from_cursors(
    fetch: Callable[[str | None], Any],
    convert: Callable[[Any], T],
    what: str,
    cursors: Sequence[str],
    on_page: Callable[[Sequence[T]], None] | None = None,
) -> list[T]:
    """Walk a cursor list from several known cursors at once (the ones the last read's pages began at),
    so N pages take one round trip instead of N.

    Each segment starts after its cursor (the first at the list's start) and walks on until it meets
    another hinted cursor or the list's end. The result is the first segment, then the segment of the
    cursor it met, and so on: only cursors a walk actually met are followed, so the pages join up in the
    platform's own order whatever the hints say. A cursor that is gone or out of order costs extra
    requests (its segment is not used, or a neighbour walks on past it), never a missing or doubled
    object; and a segment that is not used cannot fail the listing. All segments together take at most
    MAX_PAGES pages, and once the listing returns or fails no segment requests or hands on another page
    (one already in flight ends with the client's timeout). More hints than that are not hints: the
    list is walked page by page.
    """
    starts: list[str | None] = [None, *dict.fromkeys(cursors)]
    if len(starts) > MAX_PAGES:
        return pipelined(fetch, convert, what, on_page)
    hinted = frozenset(cursors)
    walk = _Walk()
    workers = min(SEGMENT_WORKERS, len(starts))
    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="read-segment")
    try:
        segments = {
            start: pool.submit(_segment, fetch, convert, what, start, hinted, on_page, walk)
            for start in starts
        }
        out: list[T] = []
        key: str | None = None
        followed: set[str] = set()
        previous: _Segment[T] | None = None
        for _ in range(len(starts)):
            try:
                segment = segments[key].result()
            except NotFound:
                if key is None:
                    raise
                segment = _Segment([], None)  # a cursor met alive and gone since: read as an empty end
            if previous is not None and previous.tail and not segment.items and segment.stop is None:
                # The cursor was met alive with objects after it, yet its segment found nothing: it
                # was deleted in between. Walk on from the object before it instead of ending early.
                segment = _segment(fetch, convert, what, previous.resume, hinted - {key}, on_page, walk)
            out.extend(segment.items)
            previous = segment
            if segment.stop is None:
                return out
            if segment.stop in followed:
                break
            followed.add(segment.stop)
            key = segment.stop
        raise PermanentPlatformError(f"{what}: the pages from hinted cursors do not join up")
    finally:
        # Segments the result does not use (a cursor that is gone, answered slowly or with an error) are
        # not waited for, and stop before their next request or page.
        walk.done.set()
        pool.shutdown(wait=False, cancel_futures=True)


def _segment(
    fetch: Callable[[str | None], Any],
    convert: Callable[[Any], T],
    what: str,
    start: str | None,
    hinted: frozenset[str],
    on_page: Callable[[Sequence[T]], None] | None,
    walk: _Walk,
) -> _Segment[T]:
    items: list[T] = []
    seen: set[str] = set()
    body: dict[str, Any] | None = None
    own = start
    for _ in range(MAX_PAGES):
        if walk.done.is_set():
            return _Segment(items, None)  # the listing no longer needs this segment
        walk.take_page(what)
        if body is None:
            body = _page(fetch, start, what)
        else:
            body, own = _follow(fetch, what, body, own), _next_cursor(body)
        data = body["data"]
        met = next((i for i, item in enumerate(data) if item.get("id") in hinted), None)
        converted = [convert(item) for item in (data if met is None else data[: met + 1])]
        items.extend(converted)
        if on_page is not None and not walk.done.is_set():
            on_page(converted)
        if met is not None:
            tail = met + 1 < len(data) or bool(body.get("has_more"))
            resume = str(data[met - 1]["id"]) if met > 0 else own
            return _Segment(items, str(data[met]["id"]), tail, resume)
        cursor = _next_cursor(body)
        if cursor is None:
            return _Segment(items, None)
        if cursor in seen:
            raise PermanentPlatformError(f"{what}: the cursor {cursor} came back twice (a paging loop)")
        seen.add(cursor)
    raise PermanentPlatformError(f"{what}: more than {MAX_PAGES} pages")


def _follow(
    fetch: Callable[[str | None], Any], what: str, body: dict[str, Any], own: str | None
) -> dict[str, Any]:
    """The page after `body`, a page that said more objects follow it (`own`: the cursor it was fetched
    after). If the answer is empty (or 404), the object the cursor names was deleted in between and the
    platform read the unknown cursor as the list's end: the page is asked for again after an earlier
    object of `body` (or `own`), without the objects `body` already gave, so one concurrent delete
    cannot end the walk early. Bounded by the page's length."""
    data = body["data"]
    known = {item.get("id") for item in data}
    first = _next_cursor(body)
    candidates = [first, *(str(item.get("id")) for item in reversed(data[:-1])), own]
    page: dict[str, Any] = {"data": [], "has_more": False}
    for candidate in candidates:
        try:
            page = _page(fetch, candidate, what)
        except NotFound:
            continue
        if page["data"] or page.get("has_more"):
            if candidate != first:
                page["last_id"] = page.get("last_id") or page["data"][-1].get("id")
                page["data"] = [item for item in page["data"] if item.get("id") not in known]
            return page
    return page


def _page(fetch: Callable[[str | None], Any], cursor: str | None, what: str) -> dict[str, Any]:
    raw = call(what, lambda: fetch(cursor))
    try:
        body = raw.http_response.json()
    except ValueError as exc:  # a 200 that is not JSON (a proxy's error page) is the platform's fault
        raise PermanentPlatformError(f"{what}: the platform's answer is not JSON") from exc
    data = body.get("data") if isinstance(body, dict) else None
    if not isinstance(data, list) or not all(isinstance(item, dict) for item in data):
        raise PermanentPlatformError(f"{what}: the platform answered a list without `data` objects")
    return dict(body)


def _next_cursor(body: dict[str, Any]) -> str | None:
    """The cursor of the page after this one, or None when this page is the last."""
    data = body["data"]
    cursor = body.get("last_id") or (data[-1].get("id") if data else None)
    return str(cursor) if body.get("has_more") and cursor else None


def walk(pages: Any, what: str) -> Iterable[Any]:
    """Iterate an SDK cursor page across pages; page fetch errors are translated like any call."""
    return call(what, lambda: list(pages))


def ignore_missing(fn: Any) -> None:
    """Deleting what is already gone succeeds: deletes are retried after lost responses."""
    try:
        fn()
    except NotFound:
        return


def cursor_pages(list_raw: Callable[..., Any], page_size: int) -> Callable[[str | None], Any]:
    """One page of a raw cursor list after `after` (the first page for None), `page_size` objects long."""

    def fetch(after: str | None) -> Any:
        return list_raw(limit=page_size, order="asc", after=after or openai.omit)

    return fetch
