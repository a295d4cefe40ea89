"""The plan's cost estimate: each assistant's and vector store's monthly cost as served now (before) and as
the manifests ask (after), with the budgets and spend controls held against it (`plan.budgets`).
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

from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal, localcontext
from functools import partial
from typing import NamedTuple

from reconciler.model.costs import WIDE, CostSettings, Usage, round_cents
from reconciler.model.desired import BuiltinTool, DesiredState, Kind, ResourceKey
from reconciler.model.estimates import CostEstimate, CostLine
from reconciler.model.live import LiveAssistant, LiveState
from reconciler.model.prices import ModelPrice, PriceBook
from reconciler.model.stored import StoredState
from reconciler.plan.budgets import Amounts, budget_checks, passed_controls

__all__ = ["estimate_costs"]

DAYS_PER_MONTH = Decimal(30)
GB = Decimal(10**9)
PER_TOKENS = Decimal(1_000_000)
FILE_SEARCH, CODE_INTERPRETER = BuiltinTool.FILE_SEARCH.value, BuiltinTool.CODE_INTERPRETER.value


def estimate_costs(
    desired: DesiredState,
    live: LiveState,
    stored: StoredState,
    *,
    project_id: str | None = None,
    changes: bool = True,
    same: frozenset[str] = frozenset(),
) -> CostEstimate | None:
    """The estimate, or None when the project declares no usage, budget or prices (no cost section).
    `project_id` is the target's project, whose spend alerts and limits the estimate is held against (with
    the organization's); `changes` says whether the plan has anything to apply (a budget refuses only a
    plan that does: one without changes ships nothing, and is only warned). `same` names the assistants
    the plan leaves as they are: they cost what they cost, and the platform is not looked at for them."""
    settings = desired.costs
    if not settings.declared:
        return None
    with localcontext(WIDE):
        return _estimate(desired, live, stored, settings, project_id=project_id, changes=changes, same=same)


def _estimate(
    desired: DesiredState,
    live: LiveState,
    stored: StoredState,
    settings: CostSettings,
    *,
    project_id: str | None,
    changes: bool,
    same: frozenset[str],
) -> CostEstimate:
    book = settings.prices.book()
    usage = _UsageOf(settings)
    kept = _Kept()
    rows = (
        *_assistant_lines(
            desired, live, stored, usage, book, same, kept, budgeted=frozenset(settings.budgets)
        ),
        *_store_lines(desired, live, stored, book),
    )
    for row in rows:
        if not row.changed and row.after is not None:
            kept.add(row.after)
    estimate = CostEstimate(
        lines=tuple(row.line() for row in rows if row.changed),
        unchanged=kept.count,
        unchanged_cost=kept.total,
        prices_checked=_prices_note(book),
    )
    return estimate.model_copy(
        update={
            "budgets": budget_checks(settings, estimate, _assistant_amounts(rows), changes=changes),
            "warnings": passed_controls(desired, estimate, project_id),
        }
    )


class _Kept:
    """The resources the plan leaves at the same cost: how many, and what they cost together."""

    def __init__(self) -> None:
        self.count, self.total = 0, Decimal(0)

    def add(self, amount: Decimal) -> None:
        self.count += 1
        self.total += amount


class _UsageOf:
    """An assistant's usage: its own laid over the project's default, or for an assistant whose manifest
    is gone (deleted: its savings are priced) the default alone."""

    def __init__(self, settings: CostSettings) -> None:
        self.usage, self.default = settings.usage, settings.default_usage

    def __call__(self, name: str, *, declared: bool) -> Usage | None:
        return self.usage.get(name) if declared else self.default


class _Row(NamedTuple):
    """A resource's line before it is known to be shown (most are not: they do not change)."""

    kind: Kind
    name: str
    before: Decimal | None
    after: Decimal | None
    basis: Callable[[], str]
    unknown: str

    @property
    def changed(self) -> bool:
        return self.before is None or self.after is None or self.before != self.after

    def line(self) -> CostLine:
        # Built from values already typed and checked here: validating a thousand lines again would cost
        # more than estimating them.
        address = ResourceKey.model_construct(kind=self.kind, name=self.name)
        return CostLine.model_construct(
            address=address, before=self.before, after=self.after, basis=self.basis(), unknown=self.unknown
        )


# --- assistants --------------------------------------------------------------------------------------


def _assistant_lines(
    desired: DesiredState,
    live: LiveState,
    stored: StoredState,
    usage: _UsageOf,
    book: PriceBook,
    same: frozenset[str],
    kept: _Kept,
    *,
    budgeted: frozenset[str],
) -> list[_Row]:
    """The lines of the assistants whose cost changes, is unknown or is held to a budget of its own; the
    others (most, in most plans) only counted into `kept`."""
    records = _records(stored, Kind.ASSISTANT)
    names = sorted(set(desired.assistants) | set(records) | set(stored.pointers))
    versions = {(v.assistant, v.number): v.platform_id for v in stored.versions if not v.deleted}
    lines: list[_Row] = []
    # Assistants mostly share a model, tools and usage: each distinct combination is priced once.
    priced: dict[tuple[str, frozenset[str], int], _Cost] = {}

    prices: dict[str, ModelPrice | None] = {}

    def cost(model: str, tools: frozenset[str], assumed: Usage | None) -> _Cost:
        key = (model, tools, id(assumed))  # the same Usage object (the project's default) for most
        found = priced.get(key)
        if found is None:
            if model not in prices:
                prices[model] = book.model(model)
            found = priced[key] = _assistant_cost(model, prices[model], tools, assumed, book)
        return found

    for name in names:
        want = desired.assistants.get(name)
        assumed = usage(name, declared=want is not None)
        after: _Cost = _ZERO_COST
        if want is not None:
            after = cost(want.model, frozenset(want.builtins), assumed)  # StrEnum: equal to their values
            if name in same:  # served as asked for: the same model and tools, so the same cost
                if after[0] is not None and name not in budgeted:
                    kept.add(after[0])
                else:
                    lines.append(_line(Kind.ASSISTANT, name, after, after))
                continue
        serving = _serving(name, live, stored, versions, records)
        before: _Cost = _ZERO_COST
        if serving is not None:
            before = cost(serving.model, frozenset(str(t.get("type")) for t in serving.tools), assumed)
        if want is None and serving is None:
            continue  # recorded, but gone from the platform: nothing is served or asked for
        lines.append(_line(Kind.ASSISTANT, name, before, after))
    return lines


# (USD a month or None, how it was reached (formatted when shown), why unknown)
_Cost = tuple[Decimal | None, Callable[[], str], str]


def _assistant_cost(
    model: str, price: ModelPrice | None, tools: frozenset[str], usage: Usage | None, book: PriceBook
) -> _Cost:
    if usage is None:
        return None, _said(""), "no usage assumptions: set spec.usage on the assistant or in reconcile.yaml"
    if price is None:
        return None, _said(""), f"no price for model {model}: add it under reconcile.yaml spec.prices.models"
    turns = usage.turns
    tokens_in = usage.input_tokens_per_turn * turns
    cached = tokens_in * usage.cached_input_share
    cached_rate = price.cached_input if price.cached_input is not None else price.input
    total = (
        price.input * (tokens_in - cached)
        + cached_rate * cached
        + price.output * usage.output_tokens_per_turn * turns
    ) / PER_TOKENS
    per_turn = usage.file_search_calls_per_turn
    if per_turn is not None and FILE_SEARCH in tools:
        total += per_turn * turns * book.tools.file_search_per_1k_calls / 1000
    per_conversation = usage.code_interpreter_sessions_per_conversation
    if per_conversation is not None and CODE_INTERPRETER in tools:
        total += per_conversation * usage.conversations_per_month * book.tools.code_interpreter_session
    # Rounded once per distinct cost, and described only if shown: most lines do not change, and
    # formatting was most of a line's cost.
    return round_cents(total), partial(_assistant_basis, model, tools, usage), ""


def _assistant_basis(model: str, tools: frozenset[str], usage: Usage) -> str:
    """How an assistant's amount was reached, for its line."""
    turns = usage.turns
    basis = [f"{model}, {_count(turns)} turns"]
    if FILE_SEARCH in tools:
        per_turn = usage.file_search_calls_per_turn
        if per_turn is None:
            basis.append("file_search calls not counted (no fileSearchCallsPerTurn)")
        else:
            basis.append(f"{_count(per_turn * turns)} file_search calls")
    if CODE_INTERPRETER in tools:
        per_conversation = usage.code_interpreter_sessions_per_conversation
        if per_conversation is None:
            basis.append("code_interpreter sessions not counted (no codeInterpreterSessionsPerConversation)")
        else:
            basis.append(
                f"{_count(per_conversation * usage.conversations_per_month)} code_interpreter sessions"
            )
    return "; ".join(basis)


def _said(text: str) -> Callable[[], str]:
    return lambda: text


_ZERO_COST: _Cost = (Decimal(0), _said(""), "")


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
    before_bytes = _stored_bytes(desired, live, stored)
    before, after = _storage(before_bytes, book), _storage(after_bytes, book)
    lines = []
    for name in sorted(set(after_bytes) | set(before_bytes)):
        size = after_bytes.get(name, before_bytes.get(name, 0))
        basis = f"{_size(size)} stored"
        lines.append(
            _line(
                Kind.VECTOR_STORE,
                name,
                (round_cents(before.get(name, Decimal(0))), _said(basis), ""),
                (round_cents(after.get(name, Decimal(0))), _said(basis), ""),
            )
        )
    return lines


def _stored_bytes(desired: DesiredState, live: LiveState, stored: StoredState) -> dict[str, int]:
    """What each of our stores on the platform holds, measured as the manifests' files are: a file whose
    content is unchanged counts its size in the project (so an unchanged store costs the same before and
    after); any other file what the platform reports (`usage_bytes`)."""
    sizes = {(f.path, f.sha256): f.size for store in desired.vector_stores.values() for f in store.files}
    stores = {
        name: live.vector_stores.get(platform_id)
        for name, platform_id in _records(stored, Kind.VECTOR_STORE).items()
    }
    reported = {
        (name, f.id): f.usage_bytes
        for name, found in stores.items()
        if found is not None
        for f in found.files
    }
    held = {name: 0 for name, found in stores.items() if found is not None}
    for rec in stored.inventory:
        if rec.key.kind is not Kind.VECTOR_STORE_FILE:
            continue
        name, path = rec.key.store_and_path
        if name not in held:
            continue
        size = sizes.get((path, rec.sha256 or ""))
        held[name] += size if size is not None else reported.get((name, rec.platform_id), 0)
    return held


def _storage(sizes: Mapping[str, int], book: PriceBook) -> dict[str, Decimal]:
    """Each store's share of the month's storage bill, the free allowance taken off the project's total."""
    total = sum(sizes.values())
    free = book.tools.vector_storage_free_gb * GB
    if total <= free:
        return {name: Decimal(0) for name in sizes}
    bill = (Decimal(total) - free) / GB * book.tools.vector_storage_gb_day * DAYS_PER_MONTH
    return {name: bill * size / total for name, size in sizes.items()}


# --- helpers -----------------------------------------------------------------------------------------


def _line(kind: Kind, name: str, before: _Cost, after: _Cost) -> _Row:
    basis = before[1] if after is _ZERO_COST else after[1]  # a deleted resource: how it cost what it did
    unknown = (
        "; ".join(dict.fromkeys(why for why in (before[2], after[2]) if why)) if before[2] or after[2] else ""
    )
    # Amounts come rounded to the cent (each cost once): the lines, the unchanged sum and the totals
    # shown then add up exactly, and a budget is held against the figure the plan shows.
    return _Row(kind, name, before[0], after[0], basis, unknown)


def _assistant_amounts(rows: Sequence[_Row]) -> dict[str, Amounts]:
    return {
        row.name: Amounts(row.before, row.after, row.unknown) for row in rows if row.kind is Kind.ASSISTANT
    }


def _records(stored: StoredState, kind: Kind) -> dict[str, str]:
    """Name -> platform id of the inventory's records of `kind` (one pass: `StoredState.record` is a scan)."""
    return {key.name: rec.platform_id for rec in stored.inventory if (key := rec.key).kind is kind}


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
