"""The plan's cost estimate: each assistant's and vector store's monthly cost as served now (before) and as
the manifests ask (after), the budgets checked against it, and the spend alerts and limits it passes.
Pure, like the planner that calls it, and linear in the number of resources.

- An assistant costs its usage's turns times its model's token prices, plus its file_search calls and
  code-interpreter sessions when it has those tools. Before and after use the same usage assumptions (as
  Infracost prices the base and the change with one usage file), so the delta is what the change does.
  Before is the version the `stable` pointer names (else the object the inventory records).
- A vector store costs its files' bytes (10^9 bytes a GB) for 30 days at the storage price; the free
  allowance is the project's, shared out in proportion to each store's bytes. The platform bills the
  parsed, embedded size, which the plan cannot know: the files' own size stands for it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from functools import partial
from typing import NamedTuple

from reconciler.model.costs import Budget, CostSettings, Usage, round_cents, usd
from reconciler.model.desired import BuiltinTool, DesiredState, Kind, ResourceKey
from reconciler.model.estimates import BudgetCheck, BudgetStatus, CostEstimate, CostLine
from reconciler.model.live import LiveAssistant, LiveState
from reconciler.model.prices import PriceBook
from reconciler.model.stored import StoredState

__all__ = ["estimate_costs"]

DAYS_PER_MONTH = Decimal(30)
GB = Decimal(10**9)
PER_TOKENS = Decimal(1_000_000)
ORGANIZATION = "organization"


def estimate_costs(desired: DesiredState, live: LiveState, stored: StoredState) -> CostEstimate | None:
    """The estimate, or None when the project declares no usage, budget or prices (no cost section)."""
    settings = desired.costs
    if not settings.declared:
        return None
    book = settings.prices.book()
    rows = (
        *_assistant_lines(desired, live, stored, settings.usage, book),
        *_store_lines(desired, live, stored, book),
    )
    unchanged = [row for row in rows if not row.changed]
    estimate = CostEstimate(
        lines=tuple(row.line() for row in rows if row.changed),
        unchanged=len(unchanged),
        unchanged_cost=sum((row.after for row in unchanged if row.after is not None), Decimal(0)),
        prices_checked=_prices_note(book),
    )
    return estimate.model_copy(
        update={
            "budgets": _budgets(settings, estimate, rows),
            "warnings": _passed_controls(desired, estimate),
        }
    )


class _Row(NamedTuple):
    """A resource's line before it is known to be shown (most are not: they do not change)."""

    kind: Kind
    name: str
    before: Decimal | None
    after: Decimal | None
    basis: str
    unknown: str

    @property
    def changed(self) -> bool:
        return self.before is None or self.after is None or self.before != self.after

    def line(self) -> CostLine:
        # Built from values already typed and checked here: validating a thousand lines again would cost
        # more than estimating them.
        address = ResourceKey.model_construct(kind=self.kind, name=self.name)
        return CostLine.model_construct(
            address=address, before=self.before, after=self.after, basis=self.basis, unknown=self.unknown
        )


# --- assistants --------------------------------------------------------------------------------------


def _assistant_lines(
    desired: DesiredState, live: LiveState, stored: StoredState, usage: Mapping[str, Usage], book: PriceBook
) -> list[_Row]:
    records = _records(stored, Kind.ASSISTANT)
    names = sorted(set(desired.assistants) | set(records) | set(stored.pointers))
    versions = {(v.assistant, v.number): v.platform_id for v in stored.versions if not v.deleted}
    lines: list[_Row] = []
    # Assistants mostly share a model, tools and usage: each distinct combination is priced once.
    priced: dict[tuple[str, frozenset[str], int], _Cost] = {}

    def cost(model: str, tools: frozenset[str], assumed: Usage | None) -> _Cost:
        key = (model, tools, id(assumed))  # the same Usage object (the project's default) for most
        if key not in priced:
            priced[key] = _assistant_cost(model, tools, assumed, book)
        return priced[key]

    for name in names:
        assumed = usage.get(name)
        want = desired.assistants.get(name)
        after: _Cost = _ZERO
        if want is not None:
            after = cost(want.model, frozenset(want.builtins), assumed)  # StrEnum: equal to their values
        serving = _serving(name, live, stored, versions, records)
        before: _Cost = _ZERO
        if serving is not None:
            before = cost(serving.model, frozenset(str(t.get("type")) for t in serving.tools), assumed)
        if want is None and serving is None:
            continue  # recorded, but gone from the platform: nothing is served or asked for
        lines.append(_line(Kind.ASSISTANT, name, before, after))
    return lines


_Cost = tuple[Decimal | None, str, str]  # (USD a month or None, basis, why unknown)
_ZERO: _Cost = (Decimal(0), "", "")


def _assistant_cost(model: str, tools: frozenset[str], usage: Usage | None, book: PriceBook) -> _Cost:
    if usage is None:
        return None, "", "no usage assumptions: set spec.usage on the assistant or in reconcile.yaml"
    price = book.model(model)
    if price is None:
        return None, "", f"no price for model {model}: add it under reconcile.yaml spec.prices.models"
    turns = usage.turns
    tokens_in = usage.input_tokens_per_turn * turns
    cached = tokens_in * usage.cached_input_share
    cached_rate = price.cached_input if price.cached_input is not None else price.input
    total = (
        price.input * (tokens_in - cached)
        + cached_rate * cached
        + price.output * usage.output_tokens_per_turn * turns
    ) / PER_TOKENS
    basis = [f"{model}, {_count(turns)} turns"]
    if BuiltinTool.FILE_SEARCH.value in tools:
        per_turn = usage.file_search_calls_per_turn
        if per_turn is None:
            basis.append("file_search calls not counted (no fileSearchCallsPerTurn)")
        else:
            calls = per_turn * turns
            total += calls * book.tools.file_search_per_1k_calls / 1000
            basis.append(f"{_count(calls)} file_search calls")
    if BuiltinTool.CODE_INTERPRETER.value in tools:
        per_conversation = usage.code_interpreter_sessions_per_conversation
        if per_conversation is None:
            basis.append("code_interpreter sessions not counted (no codeInterpreterSessionsPerConversation)")
        else:
            sessions = per_conversation * usage.conversations_per_month
            total += sessions * book.tools.code_interpreter_session
            basis.append(f"{_count(sessions)} code_interpreter sessions")
    return total, "; ".join(basis), ""


def _serving(
    name: str,
    live: LiveState,
    stored: StoredState,
    versions: Mapping[tuple[str, int], str],
    records: Mapping[str, str],
) -> LiveAssistant | None:
    """What users are served now: the version `stable` names, else the object the inventory records."""
    number = stored.pointers.get(name, {}).get("stable")
    platform_id = versions.get((name, number)) if number is not None else None
    found = live.assistants.get(platform_id) if platform_id is not None else None
    if found is not None:
        return found
    recorded = records.get(name)
    return live.assistants.get(recorded) if recorded is not None else None


# --- vector stores -----------------------------------------------------------------------------------


def _store_lines(desired: DesiredState, live: LiveState, stored: StoredState, book: PriceBook) -> list[_Row]:
    after_bytes = {name: sum(f.size for f in store.files) for name, store in desired.vector_stores.items()}
    before_bytes: dict[str, int] = {}
    for name, platform_id in _records(stored, Kind.VECTOR_STORE).items():
        found = live.vector_stores.get(platform_id)
        if found is not None:
            before_bytes[name] = sum(_file_bytes(live, f.id, f.usage_bytes) for f in found.files)
    before, after = _storage(before_bytes, book), _storage(after_bytes, book)
    lines = []
    for name in sorted(set(after_bytes) | set(before_bytes)):
        size = after_bytes.get(name, before_bytes.get(name, 0))
        basis = f"{_size(size)} stored"
        lines.append(
            _line(
                Kind.VECTOR_STORE,
                name,
                (before.get(name, Decimal(0)), basis, ""),
                (after.get(name, Decimal(0)), basis, ""),
            )
        )
    return lines


def _file_bytes(live: LiveState, file_id: str, usage_bytes: int) -> int:
    upload = live.files.get(file_id)
    return upload.bytes if upload is not None else usage_bytes


def _storage(sizes: Mapping[str, int], book: PriceBook) -> dict[str, Decimal]:
    """Each store's share of the month's storage bill, the free allowance taken off the project's total."""
    total = sum(sizes.values())
    free = book.tools.vector_storage_free_gb * GB
    if total <= free:
        return {name: Decimal(0) for name in sizes}
    bill = (Decimal(total) - free) / GB * book.tools.vector_storage_gb_day * DAYS_PER_MONTH
    return {name: bill * size / total for name, size in sizes.items()}


# --- budgets, alerts and limits ----------------------------------------------------------------------


def _budgets(settings: CostSettings, estimate: CostEstimate, rows: Sequence[_Row]) -> tuple[BudgetCheck, ...]:
    checks: list[BudgetCheck] = []
    if settings.budget is not None:
        unknown = estimate.unknown
        before = None if any(line.before is None for line in estimate.lines) else estimate.before
        after = None if any(line.after is None for line in estimate.lines) else estimate.after
        whose = "resource's" if unknown == 1 else "resources'"
        why = f"{unknown} {whose} cost unknown"
        checks.append(_check("project", settings.budget, before, after, why))
    assistants = {row.name: row for row in rows if row.kind is Kind.ASSISTANT}
    for name, budget in sorted(settings.budgets.items()):
        row = assistants.get(name)
        if row is not None:
            checks.append(
                _check(f"{Kind.ASSISTANT.value}/{name}", budget, row.before, row.after, row.unknown)
            )
    return tuple(checks)


def _check(
    scope: str, budget: Budget, before: Decimal | None, after: Decimal | None, why: str
) -> BudgetCheck:
    limit = budget.monthly
    check = partial(BudgetCheck, scope=scope, monthly=limit, estimate=after)
    if after is None:
        message = f"the estimate is unknown ({why}), so the budget {usd(limit)} a month cannot be checked"
        return check(status=BudgetStatus.UNKNOWN, message=message)
    if round_cents(after) <= limit:
        return check(
            status=BudgetStatus.WITHIN,
            message=f"estimate {usd(after)} a month, within the budget {usd(limit)}",
        )
    over = f"estimate {usd(after)} a month is over the budget {usd(limit)}"
    accept = budget.accept
    if before is not None and after <= before:
        return check(status=BudgetStatus.ALREADY_OVER, message=f"{over} already; this plan does not raise it")
    if accept is not None and round_cents(after) <= accept.up_to:
        message = f"{over}; accepted up to {usd(accept.up_to)}: {accept.reason}"
        return check(status=BudgetStatus.ACCEPTED, message=message, reason=accept.reason, up_to=accept.up_to)
    if accept is not None:
        return check(
            status=BudgetStatus.OVER, message=f"{over} and past acceptOver.upToUSD {usd(accept.up_to)}"
        )
    raised = "" if before is None else f" (this plan adds {usd(round_cents(after) - round_cents(before))})"
    message = f"{over}{raised}; lower it, or set budget.acceptOver {{reason, upToUSD}} to ship it"
    return check(status=BudgetStatus.OVER, message=message)


def _passed_controls(desired: DesiredState, estimate: CostEstimate) -> tuple[str, ...]:
    """The spend alerts whose threshold, and the spend limits whose amount, the project's estimate passes
    (an organization's also counts other projects' spend, so this project alone passing it is certain)."""
    after = estimate.after
    out: list[str] = []
    for name, alert in sorted(desired.spend_alerts.items()):
        threshold = Decimal(alert.threshold_cents) / 100
        if after > threshold:
            out.append(
                f"SpendAlert/{name}: the estimate {usd(after)} a month passes its threshold {usd(threshold)}"
                f"{_of_scope(alert.scope)}: it will alert every month"
            )
    for name, limit in sorted(desired.spend_limits.items()):
        amount = Decimal(limit.amount_cents) / 100
        if after > amount:
            out.append(
                f"SpendLimit/{name}: the estimate {usd(after)} a month passes the limit {usd(amount)}"
                f"{_of_scope(limit.scope)}: requests will be refused before the month ends"
            )
    return tuple(out)


# --- helpers -----------------------------------------------------------------------------------------


def _line(kind: Kind, name: str, before: _Cost, after: _Cost) -> _Row:
    basis = after[1] or before[1]
    unknown = "; ".join(dict.fromkeys(why for why in (before[2], after[2]) if why))
    return _Row(kind, name, before[0], after[0], basis, unknown)


def _records(stored: StoredState, kind: Kind) -> dict[str, str]:
    """Name -> platform id of the inventory's records of `kind` (one pass: `StoredState.record` is a scan)."""
    return {rec.key.name: rec.platform_id for rec in stored.inventory if rec.key.kind is kind}


def _of_scope(scope: str) -> str:
    return " (for the organization)" if scope == ORGANIZATION else ""


def _prices_note(book: PriceBook) -> str:
    dates = sorted({str(p.checked) for p in book.models.values() if p.checked is not None})
    negotiated = any(p.checked is None for p in book.models.values()) or book.tools.checked is None
    listed = f"list prices checked {dates[-1]}" if dates else "no list prices"
    return f"{listed}, with negotiated prices from reconcile.yaml" if negotiated else listed


def _count(value: Decimal) -> str:
    return f"{value:,.0f}" if value == value.to_integral_value() else f"{value:,.1f}"


def _size(size: int) -> str:
    for unit, scale in (("GB", 10**9), ("MB", 10**6), ("kB", 10**3)):
        if size >= scale:
            return f"{size / scale:,.1f} {unit}"
    return f"{size} bytes"
