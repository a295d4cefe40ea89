"""What a model's tokens and the built-in tools cost: a small dated table of OpenAI's list prices (USD per
1M tokens, standard tier, text; file-search calls, vector-store storage, code-interpreter sessions), for
the smoke checks' `cost_below`, the runtime's cost telemetry and the plan's cost estimate (`PriceBook`,
which `reconcile.yaml`'s `spec.prices` may override with negotiated prices).

Each entry names where its figures were published and the date they were checked. The figures are
OpenAI's own (https://developers.openai.com/api/docs/pricing); they were checked on 2026-12-07 against
copies of that page (pydantic/genai-prices' `prices/providers/openai.yml` for the gpt-4o, gpt-4.1 and
gpt-5 families, gpt-5-pro included; three independent copies dated June 2026 for gpt-5.5), not read from
openai.com itself. The tools' figures are the same page's "Built-in tools" rows.
The input and output figures agree with the local platform's (`reconciler/emulator/pricing.py`, which
reports no cached tokens), so a cost check against the emulator matches the costs it reports.

A dated snapshot is priced as its family: a key followed by `-` and a date (`-2024-07-18`, or the older
`-0613`), so `gpt-4o-mini-2024-07-18` is `gpt-4o-mini`. A variant is another model, with its own price:
`gpt-5.5-pro` or `gpt-4o-audio-preview` is not `gpt-5.5` or `gpt-4o`. Any other model has no price
(`None`): a cost is never guessed, so a check on it fails rather than passing at zero.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

__all__ = [
    "LIST_PRICES",
    "PRICES",
    "TOOL_PRICES",
    "ModelPrice",
    "PriceBook",
    "ToolPrices",
    "cost_usd",
    "price_of",
]

PER_TOKENS = Decimal(1_000_000)
PRICING_PAGE = "https://developers.openai.com/api/docs/pricing"
CHECKED = date(2026, 12, 7)


@dataclass(frozen=True)
class ModelPrice:
    """USD per 1M tokens. Cached input tokens are part of the input tokens the platform reports, billed at
    `cached_input` instead of `input`; None: the model has no cached rate (they cost `input`)."""

    input: Decimal
    cached_input: Decimal | None
    output: Decimal
    source: str
    checked: date | None  # None: not a list price (a negotiated one from `spec.prices`)


@dataclass(frozen=True)
class ToolPrices:
    """The built-in tools' list prices: file_search calls (per 1,000), vector-store storage (per GB a day,
    a GB being 10^9 bytes, beyond a free allowance per project) and code-interpreter sessions (a 1 GB
    container, per session)."""

    file_search_per_1k_calls: Decimal
    vector_storage_gb_day: Decimal
    vector_storage_free_gb: Decimal
    code_interpreter_session: Decimal
    source: str
    checked: date | None


def _p(inp: str, cached: str | None, out: str) -> ModelPrice:
    return ModelPrice(
        Decimal(inp), Decimal(cached) if cached is not None else None, Decimal(out), PRICING_PAGE, CHECKED
    )


PRICES: dict[str, ModelPrice] = {
    "gpt-5.5": _p("5.00", "0.50", "30.00"),
    "gpt-5": _p("1.25", "0.125", "10.00"),
    "gpt-5-mini": _p("0.25", "0.025", "2.00"),
    "gpt-5-nano": _p("0.05", "0.005", "0.40"),
    "gpt-5-pro": _p("15.00", None, "120.00"),
    "gpt-4.1": _p("2.00", "0.50", "8.00"),
    "gpt-4.1-mini": _p("0.40", "0.10", "1.60"),
    "gpt-4.1-nano": _p("0.10", "0.025", "0.40"),
    "gpt-4o": _p("2.50", "1.25", "10.00"),
    "gpt-4o-mini": _p("0.15", "0.075", "0.60"),
}

TOOL_PRICES = ToolPrices(
    file_search_per_1k_calls=Decimal("2.50"),
    vector_storage_gb_day=Decimal("0.10"),
    vector_storage_free_gb=Decimal(1),
    code_interpreter_session=Decimal("0.03"),
    source=PRICING_PAGE,
    checked=CHECKED,
)


_SNAPSHOT = re.compile(r"^(?P<family>.+)-(?:\d{4}-\d{2}-\d{2}|\d{4})$")


def price_of(model: str, table: Mapping[str, ModelPrice] = PRICES) -> ModelPrice | None:
    """The price of `model`, or of the family a dated snapshot belongs to; None when `table` has none."""
    if model in table:
        return table[model]
    dated = _SNAPSHOT.match(model)
    return table.get(dated.group("family")) if dated is not None else None


@dataclass(frozen=True)
class PriceBook:
    """The prices an estimate uses: the list prices with the project's overrides laid over them (an
    override of a family covers its dated snapshots too)."""

    models: Mapping[str, ModelPrice]
    tools: ToolPrices

    def model(self, name: str) -> ModelPrice | None:
        return price_of(name, self.models)


LIST_PRICES = PriceBook(PRICES, TOOL_PRICES)


def cost_usd(price: ModelPrice, input_tokens: int, cached_input_tokens: int, output_tokens: int) -> Decimal:
    """USD for the tokens of a conversation; `cached_input_tokens` are among `input_tokens`, as the
    platform's usage reports them."""
    cached = min(max(cached_input_tokens, 0), input_tokens)
    cached_rate = price.cached_input if price.cached_input is not None else price.input
    return (
        price.input * (input_tokens - cached) + cached_rate * cached + price.output * output_tokens
    ) / PER_TOKENS
