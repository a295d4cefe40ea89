"""Smoke conversations on the Responses-era platform: a version is a release bundle, called as an
application calls it (`client.responses.create(**response_params(bundle), conversation=..., input=...)`)
on a fresh conversation, each function call answered with the check's tool output.

Bounds: at most MAX_TOOL_ROUNDS rounds of tool outputs per turn, one request per round, each request under
the client's timeout (`targets.client`, SDK retries off). Every SDK call goes through `errors.call`.
"""

from __future__ import annotations

from functools import partial
from typing import Any

import openai
from openai.types.responses import Response, ResponseInputParam

from reconciler.model.rollouts import SmokeCheck
from reconciler.model.stored import VersionRecord
from reconciler.targets.errors import call
from reconciler.targets.responses_wire import response_params
from reconciler.targets.smoke_transcript import (
    MAX_TOOL_ROUNDS,
    Recorder,
    SmokeTranscript,
    bundle_of,
    function_schemas,
    refusals,
    smoke_metadata,
)


class ResponseSmoke:
    """`Target.smoke` of `targets.responses.ResponsesTarget`."""

    def __init__(self, client: openai.OpenAI) -> None:
        self.client = client

    def function_schemas(self, version: VersionRecord) -> dict[str, dict[str, Any]]:
        return function_schemas(bundle_of(version).tools)

    def converse(self, version: VersionRecord, check: SmokeCheck) -> SmokeTranscript:
        bundle = bundle_of(version)
        params = response_params(bundle)
        record = Recorder(check, model=bundle.model)
        metadata = smoke_metadata(version, check)
        refused = refusals(record)
        conversation = refused(
            lambda: call("create conversation", lambda: self.client.conversations.create(metadata=metadata))
        )
        if conversation is None:
            return record.transcript()
        record.conversation = conversation.id
        for index, text in enumerate(check.turns):
            record.turn = index
            answered = refused(partial(self._turn, params, conversation.id, text, record))
            if not answered:
                break
        return record.transcript()

    def _turn(self, params: dict[str, Any], conversation: str, text: str, record: Recorder) -> bool:
        """One user turn and the tool rounds it takes; False when it ends without an answer."""
        response = self._create(params, conversation, text)
        for round_ in range(MAX_TOOL_ROUNDS + 1):
            _usage(record, response)
            if response.status != "completed":
                record.fail(str(response.status), _error(response))
                return False
            calls = [item for item in response.output if item.type == "function_call"]
            if not calls:
                record.answer(response.output_text)
                return True
            outputs: ResponseInputParam = [
                {
                    "type": "function_call_output",
                    "call_id": c.call_id,
                    "output": record.call(c.name, c.arguments),
                }
                for c in calls
            ]
            if round_ == MAX_TOOL_ROUNDS:
                break
            response = self._create(params, conversation, outputs)
        record.fail("tool_rounds", f"still calling tools after {MAX_TOOL_ROUNDS} rounds of tool outputs")
        return False

    def _create(self, params: dict[str, Any], conversation: str, given: str | ResponseInputParam) -> Response:
        def create() -> Response:
            response: Response = self.client.responses.create(
                **params, conversation=conversation, input=given
            )
            return response

        return call("create response", create)


def _usage(record: Recorder, response: Response) -> None:
    usage = response.usage
    if usage is None:
        record.usage(response.model, 0, 0, 0)
        return
    details = usage.input_tokens_details
    cached = (details.cached_tokens or 0) if details is not None else 0
    record.usage(response.model, usage.input_tokens, cached, usage.output_tokens)


def _error(response: Response) -> str:
    if response.error is not None:
        return f"{response.error.code}: {response.error.message}"
    if response.incomplete_details is not None and response.incomplete_details.reason:
        return f"incomplete: {response.incomplete_details.reason}"
    return f"response {response.id} ended {response.status}"
