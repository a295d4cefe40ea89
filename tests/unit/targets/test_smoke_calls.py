"""targets.smoke_calls and targets.smoke_runs at their bounds: a run that never finishes is polled a bounded
number of times (and for a bounded time), then cancelled and reported; a model that keeps calling tools
is stopped after MAX_TOOL_ROUNDS; a request the platform refuses is the candidate's failure, not an
exception; a version of the other flavour is refused in one line. Through the real SDK on the in-process
emulator, except the endless tool caller, which no deterministic model is."""

from __future__ import annotations

from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import openai
import pytest

from reconciler.emulator import EmulatorApp, EmulatorConfig
from reconciler.emulator.transport import http_client
from reconciler.errors import UserError
from reconciler.model.rollouts import SmokeCheck
from reconciler.model.stored import VersionRecord
from reconciler.targets.smoke_calls import ResponseSmoke
from reconciler.targets.smoke_runs import RunSmoke
from reconciler.targets.smoke_transcript import MAX_TOOL_ROUNDS

pytestmark = pytest.mark.filterwarnings("ignore:.*deprecated:DeprecationWarning")

SCHEMA = {"type": "object", "properties": {}, "additionalProperties": False, "required": []}
TOOL = {"type": "function", "name": "ping", "parameters": SCHEMA, "strict": True}
CALL_PING = SmokeCheck(name="ping", turns=("/call ping",), tool_outputs={"ping": '"pong"'})


def _client(**config: Any) -> tuple[EmulatorApp, openai.OpenAI]:
    app = EmulatorApp(EmulatorConfig(**config))
    return app, openai.OpenAI(
        api_key="sk-test", base_url="http://127.0.0.1/v1", http_client=http_client(app), max_retries=0
    )


@pytest.fixture
def slow_runs() -> Iterator[openai.OpenAI]:
    """A platform whose runs stay queued for 1000 s of (real) time: no run finishes during a test."""
    app, client = _client(run_queued_seconds=1000.0)
    yield client
    client.close()
    app.close()


def _assistant_version(client: openai.OpenAI) -> VersionRecord:
    assistant = client.beta.assistants.create(
        model="gpt-4o", tools=[{"type": "function", "function": {"name": "ping", "parameters": SCHEMA}}]
    )
    return VersionRecord(assistant="A", number=1, platform_id=assistant.id, fingerprint="f" * 64)


def _bundle_version(model: str = "gpt-4o") -> VersionRecord:
    bundle = {"id": "bndl_1", "model": model, "tools": [TOOL]}
    return VersionRecord(assistant="A", number=1, platform_id="bndl_1", fingerprint="f" * 64, bundle=bundle)


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def time(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def test_a_run_that_never_finishes_is_polled_a_bounded_number_of_times_then_cancelled(
    slow_runs: openai.OpenAI,
) -> None:
    clock = FakeClock()
    runner = RunSmoke(slow_runs, max_polls=4, max_seconds=1000.0, sleep=clock.sleep, clock=clock.time)
    seen = runner.converse(_assistant_version(slow_runs), CALL_PING)
    assert clock.sleeps == [0.5, 0.5, 0.5]  # four looks, the first at once
    (failure,) = seen.failures
    assert (failure.turn, failure.status) == (0, "timeout")
    assert "still queued after 4 polls" in failure.message
    (run,) = slow_runs.beta.threads.runs.list(seen.conversation)
    assert run.status in ("cancelling", "cancelled")


def test_a_run_that_never_finishes_is_given_up_on_after_max_seconds(slow_runs: openai.OpenAI) -> None:
    clock = FakeClock()
    runner = RunSmoke(slow_runs, poll_seconds=10.0, max_seconds=25.0, sleep=clock.sleep, clock=clock.time)
    seen = runner.converse(_assistant_version(slow_runs), CALL_PING)
    assert clock.now <= 30.0  # never slept past the deadline by more than one interval
    assert [f.status for f in seen.failures] == ["timeout"]


def test_a_run_answers_requires_action_with_the_checks_tool_output() -> None:
    app, client = _client()
    try:
        version = _assistant_version(client)
        runner = RunSmoke(client)
        assert runner.function_schemas(version) == {"ping": SCHEMA}
        seen = runner.converse(version, CALL_PING)
    finally:
        client.close()
        app.close()
    assert [(c.name, c.arguments) for c in seen.tool_calls] == [("ping", "{}")]
    assert seen.answers == ('tool result: "pong"',)
    assert seen.completed and seen.model == "gpt-4o" and seen.input_tokens > 0


def test_a_request_the_platform_refuses_is_recorded_not_raised() -> None:
    app, client = _client()
    try:
        seen = ResponseSmoke(client).converse(_bundle_version("gpt-9-imaginary"), CALL_PING)
    finally:
        client.close()
        app.close()
    (failure,) = seen.failures
    assert failure.status == "refused"
    assert "create response: HTTP 4" in failure.message and "gpt-9-imaginary" in failure.message
    assert seen.answers == () and seen.conversation.startswith("conv")


def test_a_version_of_the_other_flavour_is_refused_in_one_line() -> None:
    app, client = _client()
    try:
        with pytest.raises(UserError, match=r"is a platform assistant .* not a release bundle"):
            ResponseSmoke(client).converse(_assistant_version(client), CALL_PING)
        with pytest.raises(UserError, match=r"is a release bundle .* not a platform assistant"):
            RunSmoke(client).converse(_bundle_version(), CALL_PING)
        deleted = _bundle_version().model_copy(update={"deleted": True})
        with pytest.raises(UserError, match="was deleted"):
            ResponseSmoke(client).converse(deleted, CALL_PING)
    finally:
        client.close()
        app.close()


class EndlessCaller:
    """A Responses client whose model calls `ping` in every reply, however often it is answered."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.conversations = SimpleNamespace(create=lambda **_: SimpleNamespace(id="conv_1"))
        self.responses = SimpleNamespace(create=self._create)

    def _create(self, **params: Any) -> Any:
        self.requests.append(params)
        call = SimpleNamespace(
            type="function_call", name="ping", arguments="{}", call_id=f"c{len(self.requests)}"
        )
        usage = SimpleNamespace(input_tokens=10, output_tokens=2, input_tokens_details=None)
        return SimpleNamespace(
            id="resp", status="completed", output=[call], usage=usage, model="gpt-4o", output_text=""
        )


def test_a_model_that_keeps_calling_tools_is_stopped_after_the_round_limit() -> None:
    client = EndlessCaller()
    seen = ResponseSmoke(client).converse(_bundle_version(), CALL_PING)  # type: ignore[arg-type]
    assert len(client.requests) == MAX_TOOL_ROUNDS + 1  # the turn, then one request per round answered
    assert client.requests[1]["input"] == [
        {"type": "function_call_output", "call_id": "c1", "output": '"pong"'}
    ]
    assert len(seen.tool_calls) == MAX_TOOL_ROUNDS + 1
    (failure,) = seen.failures
    assert failure.status == "tool_rounds" and f"after {MAX_TOOL_ROUNDS} rounds" in failure.message
    assert seen.input_tokens == 10 * (MAX_TOOL_ROUNDS + 1)
