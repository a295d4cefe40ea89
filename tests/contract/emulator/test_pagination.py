"""Cursor pagination walked end to end by the SDK's auto-pagination over hundreds of objects."""

from __future__ import annotations

import openai
import pytest

from reconciler.emulator import EmulatorApp
from tests.contract.emulator.conftest import ClientFactory

pytestmark = pytest.mark.filterwarnings("ignore:deprecated:DeprecationWarning")
COUNT = 260


@pytest.fixture
def assistant_ids(client: openai.OpenAI, app: EmulatorApp, make_client: ClientFactory) -> list[str]:
    # Seeded through the SDK but without spec validation (every create is validated elsewhere): it keeps
    # hundreds of creates fast. The walks below are validated.
    seeder = make_client(app=app, validate=False)
    return [seeder.beta.assistants.create(model="gpt-4o", name=f"a{i}").id for i in range(COUNT)]


def test_assistants_walk_both_orders(client: openai.OpenAI, assistant_ids: list[str]) -> None:
    desc = [a.id for a in client.beta.assistants.list(limit=100)]
    asc = [a.id for a in client.beta.assistants.list(limit=100, order="asc")]
    assert desc == assistant_ids[::-1]
    assert asc == assistant_ids
    small_pages = [a.id for a in client.beta.assistants.list(limit=7, order="asc")]
    assert small_pages == assistant_ids  # 38 pages: every cursor hand-off is exercised


def test_pages_report_has_more_and_cursor_ids(client: openai.OpenAI, assistant_ids: list[str]) -> None:
    page = client.beta.assistants.list(limit=100, order="asc")
    assert (page.has_more, page.first_id, page.last_id) == (True, assistant_ids[0], assistant_ids[99])
    last = client.beta.assistants.list(limit=100, order="asc", after=assistant_ids[199])
    assert (len(last.data), last.has_more) == (COUNT - 200, False)


def test_before_walks_backwards(client: openai.OpenAI, assistant_ids: list[str]) -> None:
    first_page = client.beta.assistants.list(limit=30, order="asc", before=assistant_ids[200])
    assert [a.id for a in first_page.data] == assistant_ids[170:200]
    # The SDK's auto-pagination only moves forward (`after`), so walk backwards by hand.
    walked: list[str] = []
    cursor = assistant_ids[200]
    for _ in range(COUNT):  # bounded: each page moves the cursor back by up to 30
        page = client.beta.assistants.list(limit=30, order="asc", before=cursor)
        walked = [a.id for a in page.data] + walked
        if not page.has_more:
            break
        cursor = page.data[0].id
    assert walked == assistant_ids[:200]
    desc_before = client.beta.assistants.list(limit=10, before=assistant_ids[100])
    assert [a.id for a in desc_before.data] == assistant_ids[110:100:-1]


def test_deleted_objects_are_gone_from_every_page(client: openai.OpenAI, assistant_ids: list[str]) -> None:
    doomed = set(assistant_ids[::25])
    for assistant_id in doomed:
        client.beta.assistants.delete(assistant_id)
    walked = [a.id for a in client.beta.assistants.list(limit=50, order="asc")]
    assert walked == [i for i in assistant_ids if i not in doomed]


def test_files_walk_both_orders(client: openai.OpenAI, app: EmulatorApp, make_client: ClientFactory) -> None:
    seeder = make_client(app=app, validate=False)
    ids = [seeder.files.create(file=(f"f{i}.txt", b"x"), purpose="assistants").id for i in range(COUNT)]
    assert [f.id for f in client.files.list(limit=100, order="asc")] == ids
    assert [f.id for f in client.files.list(limit=100)] == ids[::-1]
    everything = client.files.list()  # listFiles defaults to 10,000 per page: one page
    assert (len(everything.data), everything.has_more) == (COUNT, False)


@pytest.mark.parametrize("limit", [0, 101])
def test_limit_outside_1_to_100_is_400(client: openai.OpenAI, limit: int) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        client.beta.assistants.list(limit=limit)
    assert isinstance(caught.value.body, dict)
    assert caught.value.body["param"] == "limit"


def test_empty_list_has_string_cursor_ids(client: openai.OpenAI) -> None:
    raw = client.beta.assistants.with_raw_response.list().http_response.json()
    assert raw == {"object": "list", "data": [], "first_id": "", "last_id": "", "has_more": False}
