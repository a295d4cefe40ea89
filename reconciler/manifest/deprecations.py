"""OpenAI's model deprecations as data: which model is deprecated or shut down on a given day.

The list is `data/model-deprecations.json`, compiled by hand from https://platform.openai.com/docs/deprecations
and dated in its `compiled` field; `reconcile validate --as-of DATE` asks about another day.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from functools import cache
from importlib import resources


@dataclass(frozen=True)
class Deprecation:
    model: str
    deprecated: date
    shutdown: date
    replacement: str


@dataclass(frozen=True)
class DeprecationList:
    compiled: date
    source: str
    models: dict[str, Deprecation]


@cache
def load() -> DeprecationList:
    raw = json.loads(
        resources.files("reconciler.manifest").joinpath("data/model-deprecations.json").read_text("utf-8")
    )
    models = {
        item["model"]: Deprecation(
            item["model"],
            date.fromisoformat(item["deprecated"]),
            date.fromisoformat(item["shutdown"]),
            item["replacement"],
        )
        for item in raw["models"]
    }
    return DeprecationList(date.fromisoformat(raw["compiled"]), raw["source"], models)


def status(model: str, as_of: date) -> tuple[str, str] | None:
    """(code, message) when `model` is deprecated or shut down on `as_of`, else None."""
    entry = load().models.get(model)
    if entry is None or as_of < entry.deprecated:
        return None
    if as_of >= entry.shutdown:
        return (
            "lint.model-shut-down",
            f"model {model!r} was shut down on {entry.shutdown.isoformat()}; use {entry.replacement!r}",
        )
    return (
        "lint.model-deprecated",
        f"model {model!r} is deprecated and shuts down on {entry.shutdown.isoformat()}; "
        f"use {entry.replacement!r}",
    )
