"""Walking the platform's cursor lists, and the small call wrappers the adapter shares.

Every loop here is bounded: a list stops after MAX_PAGES pages, and a cursor that comes back twice is a
platform error rather than an endless walk.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from reconciler.errors import NotFound, PermanentPlatformError
from reconciler.targets.errors import call

T = TypeVar("T")

MAX_PAGES = 10_000  # a million objects per kind: beyond that a cursor loop is a platform bug, not data


def pipelined(
    fetch: Callable[[str | None], Any],
    convert: Callable[[Any], T],
    what: str,
    on_page: Callable[[Sequence[T]], None] | None = None,
) -> list[T]:
    """Walk a cursor list, requesting page k+1 as soon as page k's `last_id` is known and converting
    page k (and handing it to `on_page`) while it travels. The SDK's pager parses a whole page into
    models before it asks for the next, which put ~10 ms per page on the plan's longest chain."""

    def page(cursor: str | None) -> dict[str, Any]:
        raw = call(what, lambda: fetch(cursor))
        try:
            body = raw.http_response.json()
        except ValueError as exc:  # a 200 that is not JSON (a proxy's error page) is the platform's fault
            raise PermanentPlatformError(f"{what}: the platform's answer is not JSON") from exc
        data = body.get("data") if isinstance(body, dict) else None
        if not isinstance(data, list) or not all(isinstance(item, dict) for item in data):
            raise PermanentPlatformError(f"{what}: the platform answered a list without `data` objects")
        return dict(body)

    out: list[T] = []
    seen: set[str] = set()
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="read-ahead") as ahead:
        body = page(None)
        for _ in range(MAX_PAGES):
            cursor = body.get("last_id") or (body["data"][-1].get("id") if body["data"] else None)
            more = bool(body.get("has_more")) and bool(cursor)
            if more and cursor in seen:
                raise PermanentPlatformError(f"{what}: the cursor {cursor} came back twice (a paging loop)")
            following = ahead.submit(page, cursor) if more else None
            converted = [convert(item) for item in body["data"]]
            out.extend(converted)
            if on_page is not None:
                on_page(converted)
            if following is None:
                return out
            seen.add(str(cursor))
            body = following.result()
    raise PermanentPlatformError(f"{what}: more than {MAX_PAGES} pages")


def walk(pages: Any, what: str) -> Iterable[Any]:
    """Iterate an SDK cursor page across pages; page fetch errors are translated like any call."""
    return call(what, lambda: list(pages))


def ignore_missing(fn: Any) -> None:
    """Deleting what is already gone succeeds: deletes are retried after lost responses."""
    try:
        fn()
    except NotFound:
        return
