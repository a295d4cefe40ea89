"""Assistants v2 through the real SDK, every exchange validated against the spec."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import httpx2
import openai
import pytest

from reconciler.emulator import EmulatorApp
from tests.contract.emulator.conftest import ClientFactory, raw_json

pytestmark = pytest.mark.filterwarnings("ignore:deprecated:DeprecationWarning")


def test_create_retrieve_modify_delete(client: openai.OpenAI) -> None:
    created = client.beta.assistants.create(
        model="gpt-4o", name="helper", instructions="be brief", metadata={"team": "a"}
    )
    assert created.id.startswith("asst_")
    assert client.beta.assistants.retrieve(created.id).name == "helper"
    modified = client.beta.assistants.update(created.id, name="renamed", metadata={"team": "b"})
    assert (modified.name, modified.metadata) == ("renamed", {"team": "b"})
    deleted = client.beta.assistants.delete(created.id)
    assert deleted.deleted is True
    with pytest.raises(openai.NotFoundError):
        client.beta.assistants.retrieve(created.id)
    assert created.id not in [a.id for a in client.beta.assistants.list()]


def test_spec_required_keys_present_in_raw_json(client: openai.OpenAI) -> None:
    raw = raw_json(client.beta.assistants.with_raw_response.create(model="gpt-4o"))
    for key in ("id", "object", "created_at", "name", "description", "model", "instructions", "tools"):
        assert key in raw, key
    assert raw["metadata"] == {}
    assert raw["object"] == "assistant"


def test_metadata_overflow_is_the_platform_400(client: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        client.beta.assistants.create(model="gpt-4o", metadata={f"k{i}": "v" for i in range(17)})
    error = caught.value.body
    assert isinstance(error, dict)
    assert error["param"] == "metadata"
    assert error["type"] == "invalid_request_error"


def test_missing_key_is_401(make_client: ClientFactory, client: openai.OpenAI, app: EmulatorApp) -> None:
    anonymous = make_client(app=app)
    with pytest.raises(openai.AuthenticationError) as caught:
        # Omit() removes the header entirely: the request reaches the server with no key at all.
        anonymous.beta.assistants.list(extra_headers={"Authorization": openai.Omit()})
    assert caught.value.status_code == 401


def test_missing_model_is_400(client: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        client.post("/assistants", cast_to=httpx2.Response, body={"name": "x"})
    assert caught.value.status_code == 400


def test_concurrent_creates_all_land(client: openai.OpenAI) -> None:
    # Over the real server this exercises waitress's worker threads against the one SQLite store.
    def create(i: int) -> str:
        return client.beta.assistants.create(model="gpt-4o", name=f"c{i}").id

    with ThreadPoolExecutor(max_workers=8) as pool:
        ids = list(pool.map(create, range(40)))
    assert len(set(ids)) == 40
    assert sorted(a.id for a in client.beta.assistants.list(limit=100)) == sorted(ids)
