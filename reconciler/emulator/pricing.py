"""The emulator's price list: USD per 1M tokens by model, used to turn recorded usage into costs.

The figures are OpenAI's published standard-tier text-token list prices for these models at the time
of writing; they make `/organization/costs` plausible and reproducible, not authoritative.
A dated snapshot (`gpt-4o-2024-08-06`) is priced as its family: the longest table key that is a prefix
of the model name followed by `-` wins (so `gpt-4o-mini-2024-07-18` is `gpt-4o-mini`, not `gpt-4o`).
Any other model is priced at `DEFAULT_PRICE`.

| model | input | output |
| --- | --- | --- |
| gpt-5.5 | 5.00 | 30.00 |
| gpt-5 | 1.25 | 10.00 |
| gpt-5-mini | 0.25 | 2.00 |
| gpt-5-nano | 0.05 | 0.40 |
| gpt-5-pro | 15.00 | 120.00 |
| gpt-4.1 | 2.00 | 8.00 |
| gpt-4.1-mini | 0.40 | 1.60 |
| gpt-4.1-nano | 0.10 | 0.40 |
| gpt-4o | 2.50 | 10.00 |
| gpt-4o-mini | 0.15 | 0.60 |
| o3 | 2.00 | 8.00 |
| o4-mini | 1.10 | 4.40 |
| gpt-4-turbo | 10.00 | 30.00 |
| gpt-3.5-turbo | 0.50 | 1.50 |
| (any other) | 2.50 | 10.00 |
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

PER_TOKENS = Decimal(1_000_000)


@dataclass(frozen=True)
class Price:
    """USD per 1M input tokens and per 1M output tokens (Decimal: sums stay exact and reproducible)."""

    input: Decimal
    output: Decimal


def _p(inp: str, out: str) -> Price:
    return Price(Decimal(inp), Decimal(out))


PRICES: dict[str, Price] = {
    "gpt-5.5": _p("5.00", "30.00"),
    "gpt-5": _p("1.25", "10.00"),
    "gpt-5-mini": _p("0.25", "2.00"),
    "gpt-5-nano": _p("0.05", "0.40"),
    "gpt-5-pro": _p("15.00", "120.00"),
    "gpt-4.1": _p("2.00", "8.00"),
    "gpt-4.1-mini": _p("0.40", "1.60"),
    "gpt-4.1-nano": _p("0.10", "0.40"),
    "gpt-4o": _p("2.50", "10.00"),
    "gpt-4o-mini": _p("0.15", "0.60"),
    "o3": _p("2.00", "8.00"),
    "o4-mini": _p("1.10", "4.40"),
    "gpt-4-turbo": _p("10.00", "30.00"),
    "gpt-3.5-turbo": _p("0.50", "1.50"),
}
DEFAULT_PRICE = _p("2.50", "10.00")


def price_of(model: str) -> Price:
    if model in PRICES:
        return PRICES[model]
    family = max((key for key in PRICES if model.startswith(key + "-")), key=len, default=None)
    return PRICES[family] if family is not None else DEFAULT_PRICE


def cost(model: str, input_tokens: int, output_tokens: int) -> tuple[Decimal, Decimal]:
    """(input cost, output cost) in USD."""
    price = price_of(model)
    return (
        price.input * input_tokens / PER_TOKENS,
        price.output * output_tokens / PER_TOKENS,
    )
