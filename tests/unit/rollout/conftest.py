"""A fresh in-memory SQLite store with versions seeded directly, as apply would leave them."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from reconciler.model.stored import VersionRecord
from reconciler.store import StateStore, open_store

WS = "local"
NAME = "CorporateAssist"


def add(store: StateStore, number: int, verdict: dict[str, Any] | None = None, **extra: Any) -> VersionRecord:
    record = VersionRecord(
        assistant=extra.pop("assistant", NAME),
        number=number,
        platform_id=extra.pop("platform_id", f"asst_v{number}"),
        fingerprint=f"fp{number:02d}" + "0" * 60,
        parent=number - 1 if number > 1 else None,
        created_at=1_700_000_000.0 + number * 60,
        verdict=verdict or {},
        **extra,
    )
    store.add_version(WS, record)
    return record


def move(store: StateStore, to: int, *, pointer: str = "stable", assistant: str = NAME) -> None:
    store.move_pointer(WS, assistant, pointer, to, user="ci", host="runner", reason="apply", now=float(to))


@pytest.fixture
def store() -> Iterator[StateStore]:
    with open_store("sqlite:///:memory:") as s:
        yield s
