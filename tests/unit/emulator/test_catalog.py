"""The emulator's model list: it agrees with reconciler's deprecation table, knows every model the project
itself uses, and refuses unknown, shut-down and (on Assistants) Responses-only models."""

from __future__ import annotations

import json
import time
from datetime import UTC, date, datetime
from importlib import resources
from pathlib import Path

import pytest
import yaml

from reconciler.emulator import catalog
from reconciler.emulator.http import ApiError

ROOT = Path(__file__).resolve().parents[3]


def _at(day: str) -> float:
    return datetime.combine(date.fromisoformat(day), datetime.min.time(), UTC).timestamp()


def _deprecations() -> list[dict[str, str]]:
    text = resources.files("reconciler.manifest").joinpath("data/model-deprecations.json").read_text("utf-8")
    entries: list[dict[str, str]] = json.loads(text)["models"]
    return entries


def test_every_model_of_the_deprecation_table_is_known_with_its_shutdown_date() -> None:
    for entry in _deprecations():
        assert entry["model"] in catalog.KNOWN, entry["model"]
        assert catalog.SHUTDOWN.get(entry["model"]) == date.fromisoformat(entry["shutdown"]), entry["model"]
        assert entry["replacement"] in catalog.KNOWN, entry["replacement"]
    assert set(catalog.SHUTDOWN) == {e["model"] for e in _deprecations()}


def _models_in(value: object) -> set[str]:
    if isinstance(value, dict):
        found = {v for k, v in value.items() if k == "model" and isinstance(v, str)}
        return found.union(*(_models_in(v) for v in value.values()))
    if isinstance(value, list):
        return set().union(*(_models_in(v) for v in value))
    return set()


def test_the_models_the_project_uses_are_served_today() -> None:
    used = set()
    for path in sorted((ROOT / "manifests").glob("*.yaml")):
        for document in yaml.safe_load_all(path.read_text("utf-8")):
            used |= _models_in(document)
    # What the integration tests, the README and docs create objects with.
    used |= {"gpt-4o", "gpt-4.1", "gpt-4o-mini"}
    assert "gpt-5.5-2026-04-23" in used  # the example's model
    for model in sorted(used):
        assert catalog.refusal(model, at=time.time(), assistants=True) is None, model


def test_an_unknown_model_does_not_exist() -> None:
    assert catalog.refusal("gpt-9-imaginary", at=0, assistants=False) == (
        "The requested model 'gpt-9-imaginary' does not exist."
    )
    with pytest.raises(ApiError) as caught:
        catalog.check("gpt-9-imaginary", at=0, assistants=True)
    assert (caught.value.status, caught.value.param, caught.value.code) == (400, "model", "model_not_found")


def test_a_model_is_refused_from_its_shutdown_day_on() -> None:
    assert catalog.refusal("gpt-4", at=_at("2026-10-22"), assistants=True) is None
    refused = catalog.refusal("gpt-4", at=_at("2026-10-23"), assistants=True)
    assert refused is not None and "shut down on 2026-10-23" in refused


def test_responses_only_models_are_refused_on_the_assistants_api() -> None:
    assert catalog.refusal("o3-pro", at=0, assistants=False) is None
    assert catalog.refusal("o3-pro", at=0, assistants=True) == (
        "The requested model 'o3-pro' cannot be used with the Assistants API."
    )


def test_fine_tuned_models_follow_their_base_and_extra_models_are_accepted() -> None:
    assert catalog.refusal("ft:gpt-4o-mini-2024-07-18:acme::abc123", at=0, assistants=True) is None
    assert catalog.refusal("ft:gpt-nope:acme::abc123", at=0, assistants=True) is not None
    assert catalog.refusal("our-private-model", at=0, assistants=True, extra=("our-private-model",)) is None
