"""`/organization/costs` through the real SDK: built from recorded usage, priced, bucketed, reproducible."""

from __future__ import annotations

import openai
import pytest

from reconciler.emulator import EmulatorConfig
from tests.contract.emulator.conftest import ClientFactory, FakeClock, raw_json

DAY = 86_400
DAY0 = 1_800_000_000 - 1_800_000_000 % DAY  # a UTC midnight
# "hello" is 5 bytes -> 2 input tokens; "echo: hello" is 11 bytes -> 3 output tokens.
# gpt-4o: $2.50 / $10.00 per 1M tokens.
HELLO_INPUT_USD = 2 * 2.50 / 1e6
HELLO_OUTPUT_USD = 3 * 10.00 / 1e6

pytestmark = pytest.mark.filterwarnings("ignore:.*deprecated:DeprecationWarning")


@pytest.fixture
def at_day0(clock: FakeClock) -> FakeClock:
    clock.now = DAY0 + 3600.0
    return clock


def test_costs_price_recorded_usage(client: openai.OpenAI, at_day0: FakeClock) -> None:
    client.responses.create(model="gpt-4o", input="hello")
    costs = client.admin.organization.usage.costs(start_time=DAY0, end_time=DAY0 + DAY)
    assert (costs.has_more, costs.next_page) == (False, None)
    (bucket,) = costs.data
    assert (bucket.start_time, bucket.end_time) == (DAY0, DAY0 + DAY)
    (result,) = bucket.results
    assert result.object == "organization.costs.result"
    assert result.amount is not None
    assert result.amount.currency == "usd"
    assert result.amount.value == pytest.approx(HELLO_INPUT_USD + HELLO_OUTPUT_USD, rel=1e-12)


def test_group_by_line_item_and_project(client: openai.OpenAI, at_day0: FakeClock) -> None:
    client.responses.create(model="gpt-4o", input="hello")
    client.responses.create(model="gpt-4o", input="hello", extra_headers={"OpenAI-Project": "proj_b"})
    costs = client.admin.organization.usage.costs(
        start_time=DAY0, end_time=DAY0 + DAY, group_by=["project_id", "line_item"]
    )
    rows = [
        (r.project_id, r.line_item, r.quantity, r.amount.value if r.amount else None)  # type: ignore[union-attr]
        for r in costs.data[0].results
    ]
    assert rows == [
        ("proj_b", "gpt-4o, input", 2, pytest.approx(HELLO_INPUT_USD)),
        ("proj_b", "gpt-4o, output", 3, pytest.approx(HELLO_OUTPUT_USD)),
        ("proj_local", "gpt-4o, input", 2, pytest.approx(HELLO_INPUT_USD)),
        ("proj_local", "gpt-4o, output", 3, pytest.approx(HELLO_OUTPUT_USD)),
    ]
    only_b = client.admin.organization.usage.costs(
        start_time=DAY0, end_time=DAY0 + DAY, project_ids=["proj_b"]
    )
    assert only_b.data[0].results[0].amount.value == pytest.approx(HELLO_INPUT_USD + HELLO_OUTPUT_USD)  # type: ignore[union-attr]


def test_daily_buckets_page_and_usage_outside_the_range_is_left_out(
    client: openai.OpenAI, at_day0: FakeClock
) -> None:
    client.responses.create(model="gpt-4o", input="hello")  # day 0
    at_day0.advance(2 * DAY)
    client.responses.create(model="gpt-4o", input="hello")  # day 2
    at_day0.advance(2 * DAY)
    client.responses.create(model="gpt-4o", input="hello")  # day 4: after end_time
    first = client.admin.organization.usage.costs(start_time=DAY0, end_time=DAY0 + 3 * DAY, limit=2)
    assert [b.start_time for b in first.data] == [DAY0, DAY0 + DAY]
    assert [len(b.results) for b in first.data] == [1, 0]
    assert first.has_more is True and first.next_page is not None
    second = client.admin.organization.usage.costs(
        start_time=DAY0, end_time=DAY0 + 3 * DAY, limit=2, page=first.next_page
    )
    assert [b.start_time for b in second.data] == [DAY0 + 2 * DAY]
    assert len(second.data[0].results) == 1
    assert (second.has_more, second.next_page) == (False, None)


def test_runs_record_usage_too(make_client: ClientFactory, at_day0: FakeClock) -> None:
    client = make_client(EmulatorConfig())
    assistant = client.beta.assistants.create(model="gpt-4o-mini")
    thread = client.beta.threads.create(messages=[{"role": "user", "content": "hello"}])
    run = client.beta.threads.runs.create(thread.id, assistant_id=assistant.id)
    at_day0.advance(1.0)
    run = client.beta.threads.runs.retrieve(run.id, thread_id=thread.id)
    assert run.status == "completed" and run.usage is not None
    costs = client.admin.organization.usage.costs(start_time=DAY0, group_by=["line_item"])
    quantities = {r.line_item: r.quantity for r in costs.data[0].results}  # type: ignore[union-attr]
    assert quantities == {
        "gpt-4o-mini, input": run.usage.prompt_tokens,
        "gpt-4o-mini, output": run.usage.completion_tokens,
    }


def test_same_calls_same_costs(make_client: ClientFactory, at_day0: FakeClock) -> None:
    bodies = []
    for _ in range(2):
        at_day0.now = DAY0 + 3600.0
        client = make_client(EmulatorConfig())
        for text in ("hello", "/call x", "a longer message with ünïcode"):
            client.responses.create(model="gpt-4.1", input=text)
        raw = client.admin.organization.usage.with_raw_response.costs(
            start_time=DAY0, end_time=DAY0 + 2 * DAY, group_by=["line_item"]
        )
        bodies.append(raw_json(raw))
    assert bodies[0] == bodies[1]
    assert bodies[0]["data"][0]["results"]


def test_costs_need_the_admin_key(make_client: ClientFactory, client: openai.OpenAI) -> None:
    project_only = make_client(app=make_client.app_of(client), admin_api_key="sk-test")
    with pytest.raises(openai.AuthenticationError):
        project_only.admin.organization.usage.costs(start_time=DAY0)


def test_bad_parameters_are_400(client: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError):
        client.admin.organization.usage.costs(start_time=DAY0, limit=181)
    with pytest.raises(openai.BadRequestError):
        client.admin.organization.usage.costs(start_time=DAY0, page="bogus")
