"""The Admin API's costs endpoint (`GET /organization/costs`) read through the SDK: every page of daily
buckets of a `model.spend.CostQuery`, as neutral `CostBucket`s.

Each page is one call through the caller's `ReadRunner` marked `admin`, so it is retried and takes its
turn on the Admin API pace like every other admin call. At most `query.max_pages` pages are read; a
platform still saying `has_more` after that, or handing back a cursor it already gave, is an error rather
than a longer walk. Amounts arrive as floats and leave as `Decimal(str(value))`: never summed as floats.
An admin key that is not set fails in one line before any turn is taken (`Admin.api`).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from functools import partial
from typing import Any

from reconciler.errors import PermanentPlatformError
from reconciler.model.spend import CostBucket, CostGrouping, CostQuery, SpentLine
from reconciler.targets.admin import Admin
from reconciler.targets.errors import call
from reconciler.targets.tuning import ReadRunner, run_once

__all__ = ["BUCKETS_PER_PAGE", "CostReader"]

BUCKETS_PER_PAGE = 180  # the largest `limit` the endpoint accepts (1 to 180 days a page)
_WIRE_GROUP = {CostGrouping.LINE_ITEM: "line_item", CostGrouping.PROJECT: "project_id"}
_COSTS_RESULT = "organization.costs.result"
_WHAT = "read organization costs"


@dataclass(frozen=True)
class _Page:
    buckets: tuple[CostBucket, ...]
    next_page: str | None


class CostReader:
    """The costs of the organization (or of some of its projects) through one target's admin key."""

    def __init__(self, admin: Admin) -> None:
        self.admin = admin

    def check(self) -> None:
        """Fail now, in one line, when the target's admin key is not set."""
        self.admin.api()

    def read(self, query: CostQuery, run: ReadRunner = run_once) -> tuple[CostBucket, ...]:
        """Every bucket from `query.start_time` to now, oldest first, in at most `query.max_pages` pages."""
        self.check()
        _ = self.admin.client.admin.organization.usage  # built before a paced turn (see `Admin.warm`)
        found: list[CostBucket] = []
        cursor: str | None = None
        seen: set[str] = set()
        for _page in range(max(1, query.max_pages)):
            page = run(partial(self._page, query, cursor), admin=True)
            found.extend(page.buckets)
            if page.next_page is None:
                return tuple(found)
            if page.next_page in seen:
                raise PermanentPlatformError(f"{_WHAT}: the page cursor {page.next_page} came back twice")
            seen.add(page.next_page)
            cursor = page.next_page
        raise PermanentPlatformError(
            f"{_WHAT}: more than {query.max_pages} pages of {BUCKETS_PER_PAGE} days for the days asked for"
        )

    def _page(self, query: CostQuery, cursor: str | None) -> _Page:
        api = self.admin.api()
        params: dict[str, Any] = {
            "start_time": query.start_time,
            "bucket_width": "1d",
            "limit": BUCKETS_PER_PAGE,
        }
        if query.by is not None:
            params["group_by"] = [_WIRE_GROUP[query.by]]
        if query.project_ids:
            params["project_ids"] = list(query.project_ids)
        if cursor is not None:
            params["page"] = cursor
        raw = call(_WHAT, lambda: api.usage.costs(**params))
        buckets = tuple(_bucket(b) for b in raw.data)
        # `has_more` decides; a page that says more without a cursor could only be asked for again.
        if raw.has_more and not raw.next_page:
            raise PermanentPlatformError(f"{_WHAT}: the platform said there is more but gave no page cursor")
        return _Page(buckets, raw.next_page if raw.has_more else None)


def _bucket(raw: Any) -> CostBucket:
    return CostBucket(
        start=int(raw.start_time), end=int(raw.end_time), lines=tuple(_line(r) for r in raw.results)
    )


def _line(raw: Any) -> SpentLine:
    if getattr(raw, "object", None) != _COSTS_RESULT:
        raise PermanentPlatformError(
            f"{_WHAT}: a result of type {getattr(raw, 'object', None)!r}, not a cost"
        )
    amount = raw.amount
    value = amount.value if amount is not None else None
    currency = (amount.currency if amount is not None else None) or "usd"
    return SpentLine(
        amount=_decimal(value) if value is not None else Decimal(0),
        currency=currency.lower(),
        line_item=raw.line_item,
        project_id=raw.project_id,
        quantity=_quantity(raw.quantity) if raw.quantity is not None else None,
        quantity_unit=raw.quantity_unit,
    )


def _decimal(value: float | int) -> Decimal:
    """The number as the platform wrote it (its shortest float spelling), as a Decimal."""
    return Decimal(str(value))


def _quantity(value: float | int) -> Decimal:
    """A count (tokens, images) the SDK hands over as a float: 16, not 16.0."""
    return Decimal(int(value)) if float(value).is_integer() else _decimal(value)
