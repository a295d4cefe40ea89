"""Smoke conversations on Assistants v2: a version is a platform assistant, called through a fresh thread
(one user message and one run per turn; `requires_action` answered with the check's tool outputs).

Bounds: the runs of one turn are polled at most `max_polls` times and for at most `max_seconds` in all
(then the run is cancelled, once, and the conversation ends as `timeout`); at most MAX_TOOL_ROUNDS rounds
of tool outputs per turn; each request under the client's timeout (`targets.client`, SDK retries off).
The clock and the sleep are injected so tests never wait. Every SDK call goes through `errors.call`.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

import openai
from openai.types.beta.threads import Run
from openai.types.beta.threads.run_submit_tool_outputs_params import ToolOutput

from reconciler.errors import PlatformError, UserError
from reconciler.model.rollouts import SmokeCheck
from reconciler.model.stored import VersionRecord
from reconciler.targets import wire
from reconciler.targets.errors import call
from reconciler.targets.smoke_transcript import (
    MAX_TOOL_ROUNDS,
    Recorder,
    SmokeTranscript,
    function_schemas,
    refusals,
    smoke_metadata,
)

_WAITING = ("queued", "in_progress", "cancelling")  # the platform is still working: poll again
_MESSAGES_PAGE = 100  # the messages of one run (it writes one, when it completes): one page is plenty


@dataclass
class _Budget:
    """What is left of a turn's polls, and when its time is up (by the runner's clock)."""

    polls: int
    deadline: float


class RunSmoke:
    """`Target.smoke` of `targets.assistants_v2.AssistantsV2Target`."""

    def __init__(
        self,
        client: openai.OpenAI,
        *,
        poll_seconds: float = 0.5,
        max_polls: int = 240,
        max_seconds: float = 120.0,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.client = client
        self.poll_seconds = poll_seconds
        self.max_polls = max_polls
        self.max_seconds = max_seconds
        self._sleep = sleep
        self._clock = clock

    def function_schemas(self, version: VersionRecord) -> dict[str, dict[str, Any]]:
        assistant_id = _assistant_id(version)
        raw = call(
            f"get assistant {assistant_id}", lambda: self.client.beta.assistants.retrieve(assistant_id)
        )
        return function_schemas(wire.live_assistant(raw).tools)

    def converse(self, version: VersionRecord, check: SmokeCheck) -> SmokeTranscript:
        assistant_id = _assistant_id(version)
        record = Recorder(check, model="")
        refused = refusals(record)
        metadata = smoke_metadata(version, check)
        threads = self.client.beta.threads
        thread = refused(lambda: call("create thread", lambda: threads.create(metadata=metadata)))
        if thread is None:
            return record.transcript()
        record.conversation = thread.id
        for index, text in enumerate(check.turns):
            record.turn = index
            if not refused(partial(self._turn, assistant_id, thread.id, text, record)):
                break
        return record.transcript()

    def _turn(self, assistant_id: str, thread_id: str, text: str, record: Recorder) -> bool:
        """One user turn: its message, its run and the tool rounds it takes; False when it ends without an
        answer."""
        threads = self.client.beta.threads
        call("add message", lambda: threads.messages.create(thread_id, role="user", content=text))
        run: Run = call("create run", lambda: threads.runs.create(thread_id, assistant_id=assistant_id))
        # One budget for the whole turn, however many tool rounds it takes.
        budget = _Budget(self.max_polls, self._clock() + self.max_seconds)
        rounds = 0
        while True:  # bounded: each pass returns, or submits one of at most MAX_TOOL_ROUNDS rounds
            settled = self._wait(thread_id, run, record, budget)
            if settled is None:
                return False
            action = settled.required_action
            if settled.status != "requires_action" or action is None:
                return self._finished(thread_id, settled, record)
            outputs: list[ToolOutput] = [
                {"tool_call_id": c.id, "output": record.call(c.function.name, c.function.arguments)}
                for c in action.submit_tool_outputs.tool_calls
            ]
            if rounds == MAX_TOOL_ROUNDS:
                self._cancel(thread_id, settled.id)
                record.fail(
                    "tool_rounds", f"still calling tools after {MAX_TOOL_ROUNDS} rounds of tool outputs"
                )
                return False
            rounds += 1
            run = self._submit(thread_id, settled.id, outputs)

    def _wait(self, thread_id: str, run: Run, record: Recorder, budget: _Budget) -> Run | None:
        """The run once the platform has stopped working on it; None (recorded) when the turn's budget of
        polls or seconds ran out."""
        first = True
        while run.status in _WAITING:
            if budget.polls <= 0 or self._clock() >= budget.deadline:
                break
            if not first:  # the first look is immediate: a fast platform has finished already
                self._sleep(self.poll_seconds)
            first = False
            budget.polls -= 1
            run = self._retrieve(thread_id, run.id)
        if run.status not in _WAITING:
            return run
        self._cancel(thread_id, run.id)
        record.fail(
            "timeout",
            f"run {run.id} still {run.status} after {self.max_polls} polls or {self.max_seconds:g} s",
        )
        return None

    def _retrieve(self, thread_id: str, run_id: str) -> Run:
        runs = self.client.beta.threads.runs
        return call(f"get run {run_id}", lambda: runs.retrieve(run_id, thread_id=thread_id))

    def _submit(self, thread_id: str, run_id: str, outputs: list[ToolOutput]) -> Run:
        runs = self.client.beta.threads.runs
        return call(
            f"submit tool outputs to run {run_id}",
            lambda: runs.submit_tool_outputs(run_id, thread_id=thread_id, tool_outputs=outputs),
        )

    def _finished(self, thread_id: str, run: Run, record: Recorder) -> bool:
        usage = run.usage
        if usage is not None:
            record.usage(run.model, usage.prompt_tokens, 0, usage.completion_tokens)
        else:
            record.usage(run.model, 0, 0, 0)
        if run.status != "completed":
            record.fail(str(run.status), _run_error(run))
            return False
        run_id = run.id
        page = call(
            f"list messages of run {run_id}",
            lambda: self.client.beta.threads.messages.list(
                thread_id, run_id=run_id, order="asc", limit=_MESSAGES_PAGE
            ),
        )
        texts = [
            part.text.value
            for message in page.data
            if message.role == "assistant"
            for part in message.content
            if part.type == "text"
        ]
        record.answer("\n".join(texts))
        return True

    def _cancel(self, thread_id: str, run_id: str) -> None:
        """Best effort: the run is abandoned either way, and expires on its own (10 minutes on OpenAI)."""
        runs = self.client.beta.threads.runs
        with contextlib.suppress(PlatformError):
            call(f"cancel run {run_id}", lambda: runs.cancel(run_id, thread_id=thread_id))


def _assistant_id(version: VersionRecord) -> str:
    if version.deleted:
        raise UserError(
            f"{version.assistant} version {version.number} was deleted: it cannot be smoke-tested"
        )
    if version.bundle:
        raise UserError(
            f"{version.assistant} version {version.number} is a release bundle ({version.platform_id}), "
            "not a platform assistant: smoke-test it on a Responses-era target"
        )
    return version.platform_id


def _run_error(run: Run) -> str:
    if run.last_error is not None:
        return f"{run.last_error.code}: {run.last_error.message}"
    if run.incomplete_details is not None and run.incomplete_details.reason:
        return f"incomplete: {run.incomplete_details.reason}"
    return f"run {run.id} ended {run.status}"
