"""The platform operations of conversation migrations (issue 17) through the real SDK on the emulator:
`ConversationOps` (Responses era) and `ThreadOps` (Assistants v2), their request gate and rate hints."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx2
import openai
import pytest

from reconciler.calls.retry import Retrier
from reconciler.config import RetrySettings
from reconciler.emulator import EmulatorApp, FaultConfig
from reconciler.emulator.faults import FaultInjector
from reconciler.emulator.transport import EmulatorTransport
from reconciler.errors import NotFound
from reconciler.model import labels
from reconciler.targets.assistants_v2 import AssistantsV2Target
from reconciler.targets.conversation_items import UnsupportedItem, as_input
from reconciler.targets.conversations import ConversationOps, RateHints, ThreadOps, conversation_ops
from reconciler.targets.responses import ResponsesTarget

pytestmark = pytest.mark.filterwarnings("ignore:.*deprecated:DeprecationWarning")


class Recording(httpx2.BaseTransport):
    """The emulator's in-process transport, remembering each request (method, path, JSON body)."""

    def __init__(self, app: EmulatorApp) -> None:
        self.inner = EmulatorTransport(app)
        self.sent: list[tuple[str, str, Any]] = []

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        content = request.read()
        self.sent.append((request.method, request.url.path, json.loads(content) if content else None))
        return self.inner.handle_request(request)

    def posts(self, suffix: str) -> list[Any]:
        return [body for method, path, body in self.sent if method == "POST" and path.endswith(suffix)]


class Clock:
    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def _client(transport: httpx2.BaseTransport) -> openai.OpenAI:
    return openai.OpenAI(
        api_key="sk-test",
        base_url="http://127.0.0.1/v1",
        http_client=httpx2.Client(transport=transport),
        max_retries=0,
    )


@pytest.fixture
def wire(app: EmulatorApp) -> Iterator[Recording]:
    yield Recording(app)


@pytest.fixture
def gate_calls() -> list[int]:
    return []


@pytest.fixture
def hints() -> list[RateHints]:
    return []


@pytest.fixture
def ops(wire: Recording, gate_calls: list[int], hints: list[RateHints]) -> ConversationOps:
    return ConversationOps(_client(wire), gate=lambda: gate_calls.append(1), on_limits=hints.append)


def _seed(client: openai.OpenAI, turns: int) -> str:
    """A conversation of `turns` x (user, function_call, function_call_output, assistant) items."""
    conversation = client.conversations.create(metadata={"team": "support"})
    for turn in range(turns):
        items: Any = [
            {"role": "user", "content": f"question {turn}"},
            {"type": "function_call", "call_id": f"call_{turn}", "name": "lookup", "arguments": '{"q": 1}'},
            {"type": "function_call_output", "call_id": f"call_{turn}", "output": f"result {turn}"},
            {"type": "message", "role": "assistant", "content": f"answer {turn}"},
        ]
        client.conversations.items.create(conversation.id, items=items)
    return conversation.id


def _copy(ops: ConversationOps, original: str) -> str:
    items = ops.read_items(original)
    copy = ops.create(metadata={labels.MIGRATED_FROM: original}, items=items[:20])
    ops.append_all(copy, items, already=min(20, len(items)))
    return copy


def test_a_copy_holds_the_same_items_with_call_pairs_intact(ops: ConversationOps, wire: Recording) -> None:
    original = _seed(ops.client, 6)  # 24 items: one create of 20, one append of 4
    items = ops.read_items(original)
    assert len(items) == 24
    assert items[:4] == [
        {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "question 0"}]},
        {"type": "function_call", "call_id": "call_0", "name": "lookup", "arguments": '{"q": 1}'},
        {"type": "function_call_output", "call_id": "call_0", "output": "result 0"},
        {"type": "message", "role": "assistant", "content": "answer 0"},
    ]
    assert not [item for item in items if "id" in item or "status" in item]
    copy = _copy(ops, original)
    assert ops.read_items(copy) == items
    calls = [i["call_id"] for i in ops.read_items(copy) if i["type"] == "function_call"]
    outputs = [i["call_id"] for i in ops.read_items(copy) if i["type"] == "function_call_output"]
    assert calls == outputs == [f"call_{n}" for n in range(6)]
    assert ops.metadata(copy) == {labels.MIGRATED_FROM: original}


def test_45_items_are_appended_in_three_requests(ops: ConversationOps, wire: Recording) -> None:
    items = ops.read_items(_seed(ops.client, 12))[:45]
    copy = ops.create(metadata={}, items=[])
    assert ops.append_all(copy, items) == 45
    assert [len(body["items"]) for body in wire.posts("/items")][-3:] == [20, 20, 5]
    assert len(wire.posts(f"{copy}/items")) == 3
    assert ops.count_items(copy) == 45 and ops.read_items(copy) == items


def test_append_all_resumes_after_the_items_a_copy_already_holds(ops: ConversationOps) -> None:
    items = ops.read_items(_seed(ops.client, 12))[:45]
    copy = ops.create(metadata={}, items=items[:20])
    ops.append(copy, items[20:25])  # then the run was interrupted
    already = ops.count_items(copy)
    assert already == 25
    assert ops.append_all(copy, items, already=already) == 20
    assert ops.read_items(copy) == items
    with pytest.raises(ValueError):
        ops.append(copy, items[:21])


def test_read_items_pages_forward_100_at_a_time(ops: ConversationOps, wire: Recording) -> None:
    original = _seed(ops.client, 60)  # 240 items: 3 pages
    wire.sent.clear()
    assert len(ops.read_items(original)) == 240
    lists = [path for method, path, _ in wire.sent if method == "GET"]
    assert len(lists) == 3


def test_labels_merge_when_they_fit_and_change_nothing_when_they_do_not(ops: ConversationOps) -> None:
    ours = {labels.MIGRATED_TO: "conv_new", labels.NAME: "helper", labels.VERSION: "3"}
    fits = ops.client.conversations.create(metadata={f"k{i}": "v" for i in range(13)}).id
    assert ops.label(fits, ours) is True
    assert ops.metadata(fits) == {**{f"k{i}": "v" for i in range(13)}, **ours}
    crowded_metadata = {f"k{i}": "v" for i in range(14)}
    crowded = ops.client.conversations.create(metadata=crowded_metadata).id
    assert ops.label(crowded, ours) is False
    assert ops.metadata(crowded) == crowded_metadata
    assert ops.label(crowded, {"k0": "x" * 513}) is False


def test_delete_twice_and_metadata_of_a_gone_conversation(ops: ConversationOps) -> None:
    conversation = ops.client.conversations.create().id
    assert ops.delete(conversation) is True
    assert ops.delete(conversation) is False
    assert ops.metadata(conversation) is None
    with pytest.raises(NotFound):
        ops.label(conversation, {labels.MIGRATED_TO: "conv_x"})


def test_the_gate_is_called_once_per_request(
    ops: ConversationOps, wire: Recording, gate_calls: list[int], hints: list[RateHints]
) -> None:
    original = _seed(ops.client, 6)
    wire.sent.clear()
    copy = _copy(ops, original)
    ops.label(original, {labels.MIGRATED_TO: copy})
    ops.delete(original)
    ops.delete(original)
    assert len(gate_calls) == len(wire.sent) == len(hints) == 7


def test_an_item_that_cannot_be_copied_is_named(ops: ConversationOps) -> None:
    conversation = ops.client.conversations.create().id
    assert ops.count_items(conversation) == 0 and ops.read_items(conversation) == []
    with pytest.raises(UnsupportedItem, match="'reasoning'"):
        as_input({"type": "reasoning", "id": "rs_1", "summary": []}, conversation)


def test_a_429_reaches_on_limits_and_is_retried(app: EmulatorApp, wire: Recording) -> None:
    clock = Clock()
    app.faults = FaultInjector(FaultConfig(rpm=2), clock=clock)
    seen: list[RateHints] = []
    gate: list[int] = []
    retrier = Retrier(RetrySettings(), clock=clock, sleep=clock.advance)
    ops = ConversationOps(_client(wire), gate=lambda: gate.append(1), on_limits=seen.append, retrier=retrier)
    conversation = ops.create(metadata={}, items=[{"role": "user", "content": "hi"}])
    assert seen[-1] == RateHints(None, 1, 60.0, 2)
    ops.append(conversation, [{"role": "user", "content": "again"}])
    assert ops.count_items(conversation) == 2  # the third request: limited, waited out, retried
    limited = [h for h in seen if h.retry_after_seconds is not None]
    assert limited and limited[0].remaining_requests == 0 and limited[0].retry_after_seconds >= 1
    assert retrier.retries >= 1 and len(gate) == len(wire.sent) == len(seen)


def test_the_factory_picks_by_flavour(app: EmulatorApp, wire: Recording) -> None:
    client = _client(wire)
    assert isinstance(conversation_ops(ResponsesTarget(client, name="t", project_id="p")), ConversationOps)
    assert isinstance(conversation_ops(AssistantsV2Target(client, name="t", project_id="p")), ThreadOps)
    assert isinstance(conversation_ops(client, flavour="assistants-v2"), ThreadOps)
    with pytest.raises(ValueError):
        conversation_ops(client)


MEETING_TOOL: Any = {
    "type": "function",
    "function": {"name": "create_meeting", "parameters": {"type": "object", "properties": {}}},
}


def _waiting_run(client: openai.OpenAI) -> tuple[str, str]:
    assistant = client.beta.assistants.create(model="gpt-4o", tools=[MEETING_TOOL])
    thread = client.beta.threads.create(messages=[{"role": "user", "content": "/call create_meeting"}])
    run = client.beta.threads.runs.create(thread.id, assistant_id=assistant.id)
    return thread.id, run.id


def test_a_run_waiting_for_tool_outputs_is_cancelled_and_the_thread_labelled(wire: Recording) -> None:
    ops = ThreadOps(_client(wire))
    thread, run = _waiting_run(ops.client)
    assert ops.active_runs(thread) == [(run, "requires_action")]
    ops.cancel_run(thread, run)
    ops.cancel_run(thread, run)  # repeated (a lost answer): the run is already cancelled
    assert ops.active_runs(thread) == []
    assert ops.client.beta.threads.runs.retrieve(run, thread_id=thread).status == "cancelled"
    assert ops.label(thread, {labels.VERSION: "4"}) is True
    assert ops.metadata(thread) == {labels.VERSION: "4"}


def test_wait_runs_gives_up_at_its_deadline(wire: Recording) -> None:
    clock = Clock()
    ops = ThreadOps(_client(wire))
    thread, run = _waiting_run(ops.client)
    wire.sent.clear()
    still = ops.wait_runs(thread, timeout_seconds=5.0, poll_seconds=2.0, sleep=clock.advance, clock=clock)
    assert still == [(run, "requires_action")]
    assert clock.now == 1_005.0 and len(wire.sent) == 4  # polls at 0, 2, 4, 5 s
    ops.cancel_run(thread, run)
    assert (
        ops.wait_runs(thread, timeout_seconds=5.0, poll_seconds=1.0, sleep=clock.advance, clock=clock) == []
    )
    assert ops.metadata("thread_gone") is None
