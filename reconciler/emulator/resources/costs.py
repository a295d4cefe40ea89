"""Admin: `GET /organization/costs` (operationId `usage-costs`; UsageResponse of UsageTimeBucket with
CostsResult), built from the usage that runs and responses recorded (emulator.usage), priced by
emulator.pricing.

Buckets are UTC days (`bucket_width=1d`, the only width the API offers): the first is the day holding
`start_time`, the last the day holding `end_time - 1` (`end_time` defaults to now); every day is listed,
with `results: []` when nothing was spent. Only usage in `[start_time, end_time)` counts. `limit`
(1-180, default 7) buckets per page; `next_page` is an opaque cursor for `page`.
`group_by[]`: `project_id`, `line_item` (`"<model>, input"` / `"<model>, output"`, with `quantity` in
tokens), `api_key_id` (always null here: usage is not attributed to keys). Filters: `project_ids[]`,
`line_items[]`, `api_key_ids[]` (matches nothing, for the same reason).
"""

from __future__ import annotations

from decimal import Decimal

from werkzeug.wrappers import Request, Response

from reconciler.emulator import pricing, usage
from reconciler.emulator.http import ApiError, json_response, query_list
from reconciler.emulator.router import Context, Router
from reconciler.emulator.storage import JSON

DAY = 86_400
MAX_LIMIT = 180
_GROUPS = ("project_id", "line_item", "api_key_id")
_CURSOR = "page_"

# One priced piece of usage: (project_id, line_item, tokens, cost, at).
_Piece = tuple[str, str, int, Decimal, float]


def register(router: Router) -> None:
    router.add("GET", "/v1/organization/costs", get_costs, group="admin", admin=True)


def get_costs(ctx: Context, request: Request) -> Response:
    args = request.args
    start = _int_arg(request, "start_time", required=True)
    assert start is not None  # required=True raised otherwise
    end = _int_arg(request, "end_time", required=False)
    if end is None:
        end = int(ctx.clock()) + 1  # exclusive, so usage recorded this second counts
    if args.get("bucket_width", "1d") != "1d":
        raise ApiError(400, "Invalid 'bucket_width': only '1d' is supported for costs.", param="bucket_width")
    limit = _int_arg(request, "limit", required=False)
    limit = 7 if limit is None else limit
    if not 1 <= limit <= MAX_LIMIT:
        raise ApiError(400, f"Invalid 'limit': expected an integer between 1 and {MAX_LIMIT}.", param="limit")
    group_by = query_list(args, "group_by")
    for field in group_by:
        if field not in _GROUPS:
            raise ApiError(400, f"Invalid 'group_by' value: '{field}'.", param="group_by")
    if end <= start:
        raise ApiError(400, "Invalid 'end_time': must be later than 'start_time'.", param="end_time")

    first_day = start - start % DAY
    page = args.get("page")
    day = _from_cursor(page, first_day, end) if page else first_day
    pieces = _priced(ctx, request, start, end)
    buckets: list[JSON] = []
    while day < end and len(buckets) < limit:
        todays = [p for p in pieces if day <= p[4] < day + DAY]
        buckets.append(
            {
                "object": "bucket",
                "start_time": day,
                "end_time": day + DAY,
                "results": _results(todays, group_by),
            }
        )
        day += DAY
    has_more = day < end
    return json_response(
        {
            "object": "page",
            "data": buckets,
            "has_more": has_more,
            "next_page": f"{_CURSOR}{day}" if has_more else None,
        }
    )


def _priced(ctx: Context, request: Request, start: int, end: int) -> list[_Piece]:
    projects = set(query_list(request.args, "project_ids"))
    line_items = set(query_list(request.args, "line_items"))
    if query_list(request.args, "api_key_ids"):
        return []  # usage carries no api key, so an api-key filter matches nothing
    pieces: list[_Piece] = []
    for entry in usage.records(ctx.storage, start=start, end=end):
        if projects and entry.project_id not in projects:
            continue
        input_cost, output_cost = pricing.cost(entry.model, entry.input_tokens, entry.output_tokens)
        for line_item, tokens, amount in (
            (f"{entry.model}, input", entry.input_tokens, input_cost),
            (f"{entry.model}, output", entry.output_tokens, output_cost),
        ):
            if line_items and line_item not in line_items:
                continue
            pieces.append((entry.project_id, line_item, tokens, amount, entry.at))
    return pieces


def _results(pieces: list[_Piece], group_by: list[str]) -> list[JSON]:
    """One CostsResult per group (one in all when ungrouped), in a stable order."""
    by_line = "line_item" in group_by
    by_project = "project_id" in group_by
    totals: dict[tuple[str | None, str | None], tuple[Decimal, int]] = {}
    for project_id, line_item, tokens, amount, _ in pieces:
        key = (project_id if by_project else None, line_item if by_line else None)
        previous_amount, previous_tokens = totals.get(key, (Decimal(0), 0))
        totals[key] = (previous_amount + amount, previous_tokens + tokens)
    results: list[JSON] = []
    for (group_project, group_line), (amount, tokens) in sorted(
        totals.items(), key=lambda kv: (kv[0][0] or "", kv[0][1] or "")
    ):
        result: JSON = {
            "object": "organization.costs.result",
            "amount": {"value": float(amount), "currency": "usd"},
            "line_item": group_line,
            "project_id": group_project,
            "api_key_id": None,
        }
        if by_line:
            result["quantity"] = tokens
            result["quantity_unit"] = "tokens"
        results.append(result)
    return results


def _int_arg(request: Request, name: str, *, required: bool) -> int | None:
    raw = request.args.get(name)
    if raw is None:
        if required:
            raise ApiError(400, f"Missing required parameter: '{name}'.", param=name)
        return None
    try:
        return int(raw)
    except ValueError:
        raise ApiError(400, f"Invalid '{name}': expected an integer.", param=name) from None


def _from_cursor(page: str, first_day: int, end: int) -> int:
    day = page.removeprefix(_CURSOR)
    if not page.startswith(_CURSOR) or not day.isdigit() or not first_day <= int(day) < end or int(day) % DAY:
        raise ApiError(400, f"Invalid 'page': '{page}' is not a page of this query.", param="page")
    return int(day)
