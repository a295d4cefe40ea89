"""model.prices: list prices by model, snapshots priced as their family, no price for an unknown model,
cached tokens billed at their own rate, and the same figures as the local platform charges."""

from __future__ import annotations

from decimal import Decimal

from reconciler.emulator import pricing as emulator_pricing
from reconciler.model import prices


def test_a_dated_snapshot_is_priced_as_its_family_by_the_longest_prefix() -> None:
    assert prices.price_of("gpt-4o") == prices.PRICES["gpt-4o"]
    assert prices.price_of("gpt-4o-2024-08-06") == prices.PRICES["gpt-4o"]
    assert prices.price_of("gpt-4o-mini-2024-07-18") == prices.PRICES["gpt-4o-mini"]
    assert prices.price_of("gpt-5.5-2026-04-23") == prices.PRICES["gpt-5.5"]  # not gpt-5
    assert prices.price_of("gpt-5-mini-2025-08-07") == prices.PRICES["gpt-5-mini"]


def test_an_unknown_model_has_no_price() -> None:
    assert prices.price_of("my-fine-tune") is None
    assert prices.price_of("gpt-4omni") is None  # a prefix without "-" is not a snapshot
    # A variant is another model with its own price, not its base model's (review of issue 19).
    assert prices.price_of("gpt-5.5-pro") is None
    assert prices.price_of("gpt-4o-audio-preview") is None
    assert prices.price_of("gpt-4o-realtime-preview-2024-12-17") is None
    assert prices.price_of("gpt-4-0613") is None  # the old date form names gpt-4's family, not in the table
    assert prices.price_of("gpt-4o-0613") == prices.PRICES["gpt-4o"]
    assert prices.price_of("") is None


def test_every_entry_names_its_source_and_date() -> None:
    for price in prices.PRICES.values():
        assert price.source.startswith("https://")
        assert price.checked.year >= 2026


def test_cost_bills_cached_input_at_the_cached_rate() -> None:
    gpt_4o = prices.PRICES["gpt-4o"]
    assert prices.cost_usd(gpt_4o, 1_000_000, 0, 1_000_000) == Decimal("12.50")
    # Half the input cached: 0.5 M at 2.50 + 0.5 M at 1.25.
    assert prices.cost_usd(gpt_4o, 1_000_000, 500_000, 0) == Decimal("1.875")


def test_the_figures_agree_with_what_the_local_platform_charges() -> None:
    """The emulator reports no cached tokens, so its input and output rates are the whole cost."""
    for model, price in prices.PRICES.items():
        charged = emulator_pricing.price_of(model)
        assert (price.input, price.output) == (charged.input, charged.output), model
        assert prices.cost_usd(price, 1234, 0, 567) == sum(emulator_pricing.cost(model, 1234, 567))
