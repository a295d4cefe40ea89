"""What the manifests say about cost, as data: usage assumptions (like Infracost's usage file: per
assistant, or a project-wide default), budgets and their acceptance, and negotiated price overrides.
The estimate a plan carries is in `model.estimates`.

Money is `Decimal` US dollars, never float: sums stay exact, and a figure is rounded to the cent only
when shown.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Context, Decimal

from pydantic import Field

from reconciler.model.frozen import Frozen
from reconciler.model.prices import LIST_PRICES, ModelPrice, PriceBook, ToolPrices

__all__ = [
    "Budget",
    "BudgetAcceptance",
    "CostSettings",
    "ModelRate",
    "PriceOverrides",
    "Usage",
    "cents_text",
    "round_cents",
    "usd",
]

NEGOTIATED = "reconcile.yaml spec.prices"
CENT = Decimal("0.01")


# Wide enough for any product of the bounded usage fields and prices: quantizing under the default 28
# digits would fail on a very large (if absurd) estimate instead of showing it.
WIDE = Context(prec=80)


def round_cents(usd: Decimal) -> Decimal:
    """`usd` rounded to the cent, half up (as an invoice rounds)."""
    return usd.quantize(CENT, rounding=ROUND_HALF_UP, context=WIDE)


def cents_text(amount: Decimal) -> str:
    """`150.00`: dollars to the cent, as JSON documents write an estimate or a budget (a string, exact)."""
    return f"{round_cents(amount):.2f}"


def usd(amount: Decimal) -> str:
    """`$1,234.50`, `-$3.20`: rounded to the cent."""
    rounded = round_cents(amount)
    return f"-${-rounded:,.2f}" if rounded < 0 else f"${rounded:,.2f}"


class Usage(Frozen):
    """How much an assistant is used in a month: the numbers its estimate multiplies prices by.

    `cached_input_share` is the part of the input tokens the platform serves from its prompt cache. A
    tool's calls left unset (None) are counted as none, and the estimate says so."""

    conversations_per_month: Decimal
    turns_per_conversation: Decimal
    input_tokens_per_turn: Decimal
    output_tokens_per_turn: Decimal
    cached_input_share: Decimal = Decimal(0)
    file_search_calls_per_turn: Decimal | None = None
    code_interpreter_sessions_per_conversation: Decimal | None = None

    @property
    def turns(self) -> Decimal:
        return self.conversations_per_month * self.turns_per_conversation


class BudgetAcceptance(Frozen):
    """A plan over its budget let through, with a reason, up to an amount: an estimate past `up_to` is
    refused again (an acceptance written for one overrun does not cover a bigger one)."""

    reason: str
    up_to: Decimal


class Budget(Frozen):
    monthly: Decimal
    accept: BudgetAcceptance | None = None


class ModelRate(Frozen):
    """A negotiated price per 1M tokens; `cached_input` None: cached tokens cost `input`."""

    input: Decimal
    cached_input: Decimal | None = None
    output: Decimal


class PriceOverrides(Frozen):
    models: dict[str, ModelRate] = Field(default_factory=dict)
    file_search_per_1k_calls: Decimal | None = None
    vector_storage_gb_day: Decimal | None = None
    code_interpreter_session: Decimal | None = None

    def book(self, base: PriceBook = LIST_PRICES) -> PriceBook:
        """`base` with these prices laid over it."""
        models = dict(base.models)
        for name, rate in self.models.items():
            # A negotiated rate without its own cached price keeps the list's (the cache discount does not
            # go away with a discount on input); without either, cached tokens cost `input`.
            listed = base.model(name)
            cached = rate.cached_input
            if cached is None and listed is not None:
                cached = listed.cached_input
            models[name] = ModelPrice(rate.input, cached, rate.output, NEGOTIATED, None)
        t = base.tools
        tools = t
        if (self.file_search_per_1k_calls, self.vector_storage_gb_day, self.code_interpreter_session) != (
            None,
            None,
            None,
        ):
            tools = ToolPrices(
                file_search_per_1k_calls=_or(self.file_search_per_1k_calls, t.file_search_per_1k_calls),
                vector_storage_gb_day=_or(self.vector_storage_gb_day, t.vector_storage_gb_day),
                vector_storage_free_gb=t.vector_storage_free_gb,
                code_interpreter_session=_or(self.code_interpreter_session, t.code_interpreter_session),
                source=NEGOTIATED,
                checked=None,
            )
        return PriceBook(models, tools)


def _or(override: Decimal | None, listed: Decimal) -> Decimal:
    return listed if override is None else override


class CostSettings(Frozen):
    """Everything the manifests say about cost: each assistant's usage (its own laid over the project's
    default), the project's default itself (what an assistant whose manifest is gone was used as), the
    project's budget and each assistant's, and the project's price overrides."""

    usage: Mapping[str, Usage] = Field(default_factory=dict)
    default_usage: Usage | None = None
    budget: Budget | None = None
    budgets: Mapping[str, Budget] = Field(default_factory=dict)
    prices: PriceOverrides = PriceOverrides()

    @property
    def declared(self) -> bool:
        """Whether the project asks for costs at all: without usage, a budget or prices a plan shows none."""
        return bool(
            self.usage or self.default_usage or self.budget or self.budgets or self.prices != PriceOverrides()
        )
