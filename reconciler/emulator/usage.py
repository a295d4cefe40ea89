"""Usage records: every model call a run or a response makes is written down, for `/organization/costs`.

A record is a Storage object of kind `usage`:
`{"id": "usage_...", "model", "input_tokens", "output_tokens", "at" (unix seconds, float), "project_id",
"source" ("run" | "response"), "source_id"}`. Records are never changed or deleted (deleting a thread or
a response does not refund it, as on the real platform).
"""

from __future__ import annotations

from dataclasses import dataclass

from reconciler.emulator.http import new_id
from reconciler.emulator.storage import JSON, Storage

KIND = "usage"


@dataclass(frozen=True)
class UsageRecord:
    model: str
    input_tokens: int
    output_tokens: int
    at: float
    project_id: str
    source: str
    source_id: str

    def to_json(self) -> JSON:
        return {
            "model": self.model,
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
            "at": self.at,
            "project_id": self.project_id,
            "source": self.source,
            "source_id": self.source_id,
        }

    @classmethod
    def from_json(cls, data: JSON) -> UsageRecord:
        return cls(
            model=str(data["model"]),
            input_tokens=int(data["input_tokens"]),
            output_tokens=int(data["output_tokens"]),
            at=float(data["at"]),
            project_id=str(data["project_id"]),
            source=str(data["source"]),
            source_id=str(data["source_id"]),
        )


def record(storage: Storage, entry: UsageRecord) -> None:
    storage.insert(KIND, {"id": new_id("usage_"), **entry.to_json()})


def records(storage: Storage, *, start: float, end: float) -> list[UsageRecord]:
    """Records with `start <= at < end`, in the order they were made."""
    found = (UsageRecord.from_json(o) for o in storage.all(KIND))
    return [r for r in found if start <= r.at < end]
