"""A fake-backed store seeded with two bundle versions (stable: 1), and a fake wall clock."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from reconciler.store import open_store
from tests.unit.runtime.fakes import FakeCanaryStore, seed


class WallClock:
    def __init__(self) -> None:
        self.now = 1_765_000_000.25

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def store() -> Iterator[FakeCanaryStore]:
    with open_store("sqlite:///:memory:") as inner:
        seed(inner)
        yield FakeCanaryStore(inner)


@pytest.fixture
def wall() -> WallClock:
    return WallClock()
