"""targets.bundles and targets.responses_wire: a release bundle is shaped as the platform would echo an
assistant (so it compares equal on the next plan), its id is stable across a crash, and it becomes the
exact `client.responses.create` arguments, which the SDK's own request type accepts."""

from __future__ import annotations

from typing import Any

import pytest
from openai.types.responses import response_create_params

from reconciler.errors import NotFound
from reconciler.model import labels
from reconciler.model.live import LiveAssistant
from reconciler.targets.bundles import BUNDLE_ID_PREFIX, BundleHandler
from reconciler.targets.handlers import CODE_FILES, VECTOR_STORES, Ref, Write
from reconciler.targets.responses_wire import response_params

SCHEMA = {
    "type": "object",
    "properties": {"title": {"type": "string"}},
    "required": ["title"],
    "additionalProperties": False,
}


def _spec(**overrides: Any) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "name": "CorporateAssist",
        "description": "helps",
        "model": "gpt-4.1-2025-04-14",
        "instructions": "Be brief.",
        "tools": [
            {"type": "function", "name": "create_meeting", "parameters": SCHEMA, "strict": True},
            {"type": "file_search"},
            {"type": "code_interpreter"},
        ],
        "temperature": 0.2,
        "top_p": None,
        "response_format": {
            "type": "json_schema",
            "json_schema": {"name": "answer", "description": None, "schema": SCHEMA, "strict": True},
        },
        "reasoning_effort": "low",
        "metadata": {"team": "tools"},
    }
    spec.update(overrides)
    return spec


def _write(version: str = "1", **overrides: Any) -> Write:
    metadata = labels.with_labels(
        {"team": "tools"}, owner="demo/local", name="CorporateAssist", fingerprint="abc", version=version
    )
    refs = {VECTOR_STORES: ["vs_1"], CODE_FILES: ["file-1"]}
    return Write(_spec(**overrides), metadata, refs)


def test_a_bundle_id_is_the_same_for_the_same_version_and_differs_between_versions() -> None:
    handler = BundleHandler()
    first, again, other = handler.create(_write()), handler.create(_write()), handler.create(_write("2"))
    assert first.id.startswith(BUNDLE_ID_PREFIX)
    assert first.id == again.id  # a create repeated after a crash makes the same bundle, not a twin
    assert other.id != first.id
    assert handler.recover(_write()) == []


def test_an_update_in_place_keeps_the_id_and_takes_the_new_metadata() -> None:
    handler = BundleHandler()
    made = handler.create(_write())
    write = _write()
    changed = Write(write.spec, {**write.metadata, "team": "other"}, write.references)
    updated = handler.update(Ref(made.id), changed)
    assert updated.id == made.id
    assert updated.metadata["team"] == "other"


def test_the_bundle_carries_the_resolved_ids_and_round_trips_through_json() -> None:
    bundle = BundleHandler().create(_write())
    assert bundle.file_search_vector_store_ids == ("vs_1",)
    assert bundle.code_interpreter_file_ids == ("file-1",)
    assert LiveAssistant.model_validate(bundle.model_dump(mode="json")) == bundle


def test_bundles_are_never_read_from_the_platform() -> None:
    handler = BundleHandler()
    assert handler.read_all() == []
    with pytest.raises(NotFound):
        handler.get(Ref("bndl_x"))


def test_response_params_are_what_responses_create_takes() -> None:
    params = response_params(BundleHandler().create(_write()))
    assert params["model"] == "gpt-4.1-2025-04-14"
    assert params["instructions"] == "Be brief."
    assert params["tools"] == [
        {"type": "function", "name": "create_meeting", "parameters": SCHEMA, "strict": True},
        {"type": "file_search", "vector_store_ids": ["vs_1"]},
        {"type": "code_interpreter", "container": {"type": "auto", "file_ids": ["file-1"]}},
    ]
    assert params["temperature"] == 0.2
    assert "top_p" not in params
    assert params["reasoning"] == {"effort": "low"}
    assert params["text"] == {
        "format": {"type": "json_schema", "name": "answer", "schema": SCHEMA, "strict": True}
    }
    # The user's metadata and the two labels that name the version; not our bookkeeping labels.
    assert params["metadata"] == {"team": "tools", labels.NAME: "CorporateAssist", labels.VERSION: "1"}
    # The SDK's own request type holds every key we send (a typo would be an unknown key).
    allowed = set(response_create_params.ResponseCreateParamsBase.__annotations__)
    assert set(params) <= allowed


def test_plain_text_formats_and_defaults() -> None:
    auto = response_params(BundleHandler().create(_write(response_format="auto", reasoning_effort=None)))
    assert "text" not in auto and "reasoning" not in auto
    json_mode = response_params(BundleHandler().create(_write(response_format="json_object")))
    assert json_mode["text"] == {"format": {"type": "json_object"}}


def test_a_function_without_parameters_is_sent_with_a_closed_empty_schema() -> None:
    """Strict mode refuses an open object (`additionalProperties` left out): an empty one is closed."""
    write = _write(tools=[{"type": "function", "name": "ping", "strict": True}])
    (tool,) = response_params(BundleHandler().create(write))["tools"]
    assert tool["parameters"] == {
        "type": "object",
        "properties": {},
        "required": [],
        "additionalProperties": False,
    }
    assert tool["strict"] is True


def test_sampling_at_the_platform_default_is_not_sent() -> None:
    params = response_params(BundleHandler().create(_write(temperature=1.0, top_p=1.0)))
    assert "temperature" not in params and "top_p" not in params
