"""Assistants-era exports as teams saved them, built by the SDK's own types so that the shape is the SDK's:
`openai.types.beta.Assistant` and `openai.types.VectorStore` validated, then dumped as `model_dump(mode=
"json")` writes them (and `list()`'s page around them)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from openai.types import VectorStore
from openai.types.beta import Assistant

LIST_EXPENSES = {
    "name": "list_expenses",
    "description": "List an employee's expenses for a month.",
    "parameters": {
        "type": "object",
        "properties": {"month": {"type": "string", "pattern": "^[0-9]{4}-[0-9]{2}$"}},
        "required": ["month"],
        "additionalProperties": False,
    },
    "strict": True,
}


def assistant(**fields: Any) -> dict[str, Any]:
    raw: dict[str, Any] = {
        "id": "asst_3kQ9xR2mT7vB1nL5pW8yZ4cD",
        "object": "assistant",
        "created_at": 1_718_000_000,
        "name": "Expense Helper",
        "description": "Answers questions about the expense policy.",
        "model": "gpt-5.5-2026-04-23",
        "instructions": "Answer from the expense policy and cite the rule.",
        "tools": [{"type": "function", "function": LIST_EXPENSES}, {"type": "file_search"}],
        "tool_resources": {"file_search": {"vector_store_ids": ["vs_6aF2kP9qR1sT3uV5wX7yZ0b"]}},
        "metadata": {"team": "finance"},
        "temperature": 0.2,
        "top_p": 1.0,
        "response_format": "auto",
    }
    raw.update(fields)
    return Assistant.model_validate(raw).model_dump(mode="json")


def vector_store(**fields: Any) -> dict[str, Any]:
    raw: dict[str, Any] = {
        "id": "vs_6aF2kP9qR1sT3uV5wX7yZ0b",
        "object": "vector_store",
        "created_at": 1_717_000_000,
        "name": "Expense policy 2026",
        "usage_bytes": 48_213,
        "status": "completed",
        "file_counts": {"in_progress": 0, "completed": 3, "failed": 0, "cancelled": 0, "total": 3},
        "last_active_at": 1_718_500_000,
        "metadata": {"year": "2026"},
        "expires_after": None,
    }
    raw.update(fields)
    return VectorStore.model_validate(raw).model_dump(mode="json")


def page(*objects: dict[str, Any], has_more: bool = False) -> dict[str, Any]:
    """What `client.beta.assistants.list()` / `client.vector_stores.list()` returned, as saved."""
    return {
        "object": "list",
        "data": list(objects),
        "first_id": objects[0]["id"] if objects else None,
        "last_id": objects[-1]["id"] if objects else None,
        "has_more": has_more,
    }


def save(path: Path, value: Any) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(value, indent=2), encoding="utf-8")
    return path


def save_lines(path: Path, *objects: dict[str, Any]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(o) + "\n" for o in objects), encoding="utf-8")
    return path
