"""State stores (SQLite default, PostgreSQL): inventory, fingerprints, versions and release pointers, the
apply journal, and the state lock as a lease. `open_store(dsn)` picks the backend.

The store keeps no secrets: API keys, admin keys and DSN passwords are never written to a table or put in
a message, and JSON payloads shaped like an OpenAI key are refused (`store.guard`).
"""

from __future__ import annotations

from reconciler.store.base import StateReader, StateStore
from reconciler.store.factory import open_store
from reconciler.store.lease import Clock, Sleeper, SystemClock, system_sleep, wait_for_lock
from reconciler.store.records import ApplyRecord, ApplyStatus, Lease, StepRecord, StepStatus

__all__ = [
    "ApplyRecord",
    "ApplyStatus",
    "Clock",
    "Lease",
    "Sleeper",
    "StateReader",
    "StateStore",
    "StepRecord",
    "StepStatus",
    "SystemClock",
    "open_store",
    "system_sleep",
    "wait_for_lock",
]
