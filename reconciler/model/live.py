"""Live state: platform objects as a target adapter read them, normalised to neutral form.

Adapters fill platform defaults in (e.g. `temperature` 1.0) the same way `model.normalise` does for desired
state, so an applied manifest compares equal to what the platform returns.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field, SkipValidation

from reconciler.model.desired import Frozen


class LiveAssistant(Frozen):
    id: str
    name: str | None = None
    model: str
    instructions: str | None = None
    description: str | None = None
    # Neutral tool dicts, as `targets.wire` makes them: {"type": "function", "name": ..., "parameters": ...}
    # | {"type": "file_search"} | ... Kept as given, not copied by validation: they are the shared objects
    # of `model.interning`, one per distinct tool however many assistants have it.
    tools: tuple[SkipValidation[dict[str, Any]], ...] = ()
    file_search_vector_store_ids: tuple[str, ...] = ()
    code_interpreter_file_ids: tuple[str, ...] = ()
    temperature: float | None = None
    top_p: float | None = None
    response_format: str | dict[str, Any] | None = None
    reasoning_effort: str | None = None
    metadata: dict[str, str] = Field(default_factory=dict)
    created_at: int = 0


class LiveFile(Frozen):
    id: str
    filename: str
    bytes: int
    purpose: str
    created_at: int = 0


class LiveVectorStoreFile(Frozen):
    id: str  # the file id: a vector-store file keeps its file's id
    vector_store_id: str
    status: str
    attributes: dict[str, str | int | float | bool] = Field(default_factory=dict)
    usage_bytes: int = 0
    last_error: str | None = None


class LiveVectorStore(Frozen):
    id: str
    name: str | None = None
    metadata: dict[str, str] = Field(default_factory=dict)
    expires_after_days: int | None = None
    status: str = "completed"
    files: tuple[LiveVectorStoreFile, ...] = ()
    created_at: int = 0


class LiveSpendAlert(Frozen):
    id: str
    scope: str
    threshold_cents: int
    interval: str = "month"
    emails: tuple[str, ...] = ()
    subject_prefix: str | None = None


class LiveSpendLimit(Frozen):
    scope: str
    amount_cents: int
    interval: str = "month"
    enforcing: bool = False


class LiveState(Frozen):
    """One consistent read of a target. Keys are platform ids (spend limits: scope)."""

    assistants: dict[str, LiveAssistant] = Field(default_factory=dict)
    files: dict[str, LiveFile] = Field(default_factory=dict)
    vector_stores: dict[str, LiveVectorStore] = Field(default_factory=dict)
    spend_alerts: dict[str, LiveSpendAlert] = Field(default_factory=dict)
    spend_limits: dict[str, LiveSpendLimit] = Field(default_factory=dict)

    def merged(self, other: LiveState) -> LiveState:
        """This read with another read's objects added (two reads of different kinds)."""
        return LiveState(
            assistants={**self.assistants, **other.assistants},
            files={**self.files, **other.files},
            vector_stores={**self.vector_stores, **other.vector_stores},
            spend_alerts={**self.spend_alerts, **other.spend_alerts},
            spend_limits={**self.spend_limits, **other.spend_limits},
        )
