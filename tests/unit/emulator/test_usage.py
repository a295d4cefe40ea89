"""Usage records and prices: what runs and responses write down, and what it costs."""

from __future__ import annotations

from decimal import Decimal

from reconciler.emulator import pricing, usage
from reconciler.emulator.storage import Storage


def entry(at: float, *, model: str = "gpt-4o", tokens: tuple[int, int] = (1000, 500)) -> usage.UsageRecord:
    return usage.UsageRecord(
        model=model,
        input_tokens=tokens[0],
        output_tokens=tokens[1],
        at=at,
        project_id="proj_a",
        source="response",
        source_id="resp_1",
    )


def test_records_round_trip_and_filter_by_half_open_range() -> None:
    storage = Storage()
    for at in (100.0, 200.0, 300.0):
        usage.record(storage, entry(at))
    found = usage.records(storage, start=100, end=300)
    assert [r.at for r in found] == [100.0, 200.0]
    assert found[0] == entry(100.0)
    storage.close()


def test_known_models_and_dated_snapshots_use_the_table() -> None:
    assert pricing.price_of("gpt-4o") == pricing.PRICES["gpt-4o"]
    assert pricing.price_of("gpt-4o-2024-08-06") == pricing.PRICES["gpt-4o"]
    assert pricing.price_of("gpt-4o-mini-2024-07-18") == pricing.PRICES["gpt-4o-mini"]


def test_unknown_model_uses_the_default_price() -> None:
    assert pricing.price_of("my-fine-tune") == pricing.DEFAULT_PRICE
    assert pricing.price_of("gpt-4omni") == pricing.DEFAULT_PRICE  # a prefix without "-" is not a snapshot


def test_cost_is_exact_per_million_tokens() -> None:
    assert pricing.cost("gpt-4o", 1_000_000, 1_000_000) == (Decimal("2.50"), Decimal("10.00"))
    assert pricing.cost("gpt-4o-mini", 1000, 500) == (Decimal("0.00015"), Decimal("0.0003"))
