"""An application on the Responses-era platform: one multi-turn conversation with tool calls, answered by
the version of an assistant its conversation is pinned to, through `reconciler.runtime`.

The application keeps its own `OpenAI` client and API key; the runtime only says which release bundle to
serve and gives the exact arguments for `client.responses.create(...)`. A new conversation is pinned (in
the state store) to what `stable` names, or to the canary for its share of new conversations while a
canary rollout is active; every turn asks `router.assign` again and gets the same version, so a rollout or
rollback never changes the tools under a conversation in flight. Each response is reported to the router
(`observe`, with its latency) and each failed tool handler too (`tool_error`): the canary's analysis
compares those figures between versions.

    python examples/chat_app.py                       # the example project on the embedded local platform
    python examples/chat_app.py --base-url https://api.openai.com/v1 --workspace openai   # OPENAI_API_KEY

On the local platform the deterministic model calls a tool when a turn reads `/call NAME {json}`. While the
assistant is stopped (`reconcile stop NAME`) the app answers with its fallback line instead.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

import openai
from openai.types.responses import Response, ResponseInputParam

from reconciler.errors import ReconcilerError
from reconciler.runtime import Release, Router, Stopped

MAX_TOOL_ROUNDS = 8  # a model that keeps calling tools is stopped, not followed forever

DEMO_TURNS = (
    '/call create_meeting {"title": "Budget review", "start": "2026-12-08T10:00:00+01:00", '
    '"duration_minutes": 30, "attendees": ["ana@example.com"]}',
    '/call list_expenses {"from": "2026-11-01", "to": "2026-11-30"}',
    "/search hotels per night",
)


def create_meeting(arguments: dict[str, Any]) -> dict[str, Any]:
    return {"meeting_id": "mtg_001", "title": arguments["title"], "start": arguments["start"]}


def list_expenses(arguments: dict[str, Any]) -> dict[str, Any]:
    # Both revisions of the tool's schema: `from`/`to`, and `start_date`/`end_date` after the rename that
    # docs/conversations.md migrates conversations across. An application serves both while conversations
    # on the old version go on.
    return {
        "from": arguments.get("start_date", arguments.get("from")),
        "to": arguments.get("end_date", arguments.get("to")),
        "expenses": [{"date": "2026-11-14", "amount_eur": 42.5, "category": "taxi"}],
    }


HANDLERS: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "create_meeting": create_meeting,
    "list_expenses": list_expenses,
}


@dataclass
class Transcript:
    """What one conversation did: which release answered, the tool calls made, the answers given."""

    release: Release
    conversation_id: str
    tool_calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    answers: list[str] = field(default_factory=list)
    response_metadata: list[dict[str, str]] = field(default_factory=list)


def converse(client: openai.OpenAI, router: Router, assistant: str, turns: Sequence[str]) -> Transcript:
    # The conversation first, so its id is what the version is pinned to; its metadata says which.
    conversation = client.conversations.create(metadata={"reconciler/name": assistant})
    release = router.assign(assistant, conversation.id)
    client.conversations.update(
        conversation.id,
        metadata={"reconciler/name": release.name, "reconciler/version": str(release.version)},
    )
    return carry_on(client, router, assistant, conversation.id, turns)


def carry_on(
    client: openai.OpenAI, router: Router, assistant: str, conversation_id: str, turns: Sequence[str]
) -> Transcript:
    """Turns of an existing conversation. Each turn asks the router where it goes: the same pinned
    version, or, once `reconcile conversations migrate` copied the conversation to a newer version (its
    tools' schemas drifted), the copy and the copy's version. The application keeps the id it is given."""
    route = router.route(assistant, conversation_id)
    transcript = Transcript(route.release, route.conversation)
    for text in turns:
        route = router.route(assistant, transcript.conversation_id)
        release, transcript.conversation_id = route.release, route.conversation
        transcript.release = release
        response = _respond(client, router, release, transcript.conversation_id, text)
        for _ in range(MAX_TOOL_ROUNDS):
            calls = [item for item in response.output if item.type == "function_call"]
            if not calls:
                break
            outputs: ResponseInputParam = []
            for call in calls:
                result = _call_tool(router, release, call.name, call.arguments, transcript)
                outputs.append(
                    {"type": "function_call_output", "call_id": call.call_id, "output": json.dumps(result)}
                )
            response = _respond(client, router, release, transcript.conversation_id, outputs)
        transcript.answers.append(response.output_text)
        transcript.response_metadata.append(dict(response.metadata or {}))
    return transcript


def _respond(
    client: openai.OpenAI,
    router: Router,
    release: Release,
    conversation_id: str,
    given: str | ResponseInputParam,
) -> Response:
    """One model call, timed and reported to the router (which only queues it)."""
    started = time.perf_counter()
    response: Response = client.responses.create(
        **release.responses_kwargs(), conversation=conversation_id, input=given
    )
    router.observe(release, response, latency_s=time.perf_counter() - started, conversation=conversation_id)
    return response


def _call_tool(
    router: Router, release: Release, name: str, arguments_json: str, transcript: Transcript
) -> dict[str, Any]:
    """Run the application's handler for one tool call; a handler that fails (or is missing, or gets
    arguments it cannot read) is reported as a tool error and answered to the model as an error output."""
    try:
        arguments = json.loads(arguments_json)
        transcript.tool_calls.append((name, arguments))
        handler = HANDLERS.get(name)
        if handler is None:
            raise LookupError(f"no handler for {name}")
        return handler(arguments)
    except Exception as error:  # the model gets an error it can act on; the canary's analysis a count
        router.tool_error(release, name)
        return {"error": f"{type(error).__name__}: {error}"}


@contextmanager
def local_client(platform_db: Path) -> Iterator[openai.OpenAI]:
    """A client of the embedded local platform (the emulator in this process, no sockets)."""
    from reconciler.emulator import EmulatorApp, EmulatorConfig
    from reconciler.emulator.transport import http_client

    app = EmulatorApp(EmulatorConfig(db_path=str(platform_db)))
    client = openai.OpenAI(base_url="http://127.0.0.1/v1", api_key="sk-local", http_client=http_client(app))
    try:
        yield client
    finally:
        client.close()
        app.close()


def main(argv: Sequence[str] | None = None, out: TextIO = sys.stdout) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--project",
        type=Path,
        help="the project directory (default: the one holding reconcile.yaml, here or above)",
    )
    parser.add_argument("--assistant", default="CorporateAssist")
    parser.add_argument("--workspace", default="local", help="the target the project applied to")
    parser.add_argument("--state", help="state DSN (default: the project's .reconcile/state.db)")
    parser.add_argument("--base-url", help="a platform URL; without it, the embedded local platform")
    parser.add_argument(
        "--conversation",
        help="go on with this conversation (followed to its copy if it was migrated) instead of a new one",
    )
    parser.add_argument("--say", action="append", help="a turn to send (repeatable; default: the demo's)")
    args = parser.parse_args(argv)
    project = args.project or find_project(Path.cwd())
    if project is None:
        sys.stderr.write("error: no reconcile.yaml here or above; run from the project, or give --project\n")
        return 1
    state = args.state or f"sqlite:///{(project / '.reconcile' / 'state.db').resolve()}"
    try:
        return _run(args, project, state, out)
    except ReconcilerError as error:  # not applied yet, an unknown name: one line, as the CLI says it
        sys.stderr.write(f"error: {error}\n")
        return 1


def find_project(start: Path) -> Path | None:
    """The directory holding reconcile.yaml: `start` or the nearest one above it (as git finds a repo)."""
    for directory in (start, *start.parents):
        if (directory / "reconcile.yaml").is_file():
            return directory
    return None


@contextmanager
def _client(args: argparse.Namespace, project: Path) -> Iterator[openai.OpenAI]:
    if args.base_url:
        with openai.OpenAI(base_url=args.base_url, api_key=os.environ["OPENAI_API_KEY"]) as client:
            yield client
    else:
        with local_client(project / ".reconcile" / "local-platform.db") as client:
            yield client


def _run(args: argparse.Namespace, project: Path, state: str, out: TextIO) -> int:
    try:
        with Router(state, args.workspace) as router, _client(args, project) as client:
            turns = tuple(args.say or DEMO_TURNS)
            if args.conversation:
                transcript = carry_on(client, router, args.assistant, args.conversation, turns)
            else:
                transcript = converse(client, router, args.assistant, turns)
    except Stopped as stopped:  # the stop button: serve the fallback, not a turn
        why = f" ({stopped.reason})" if stopped.reason else ""
        print(f"fallback: {stopped.name} is paused{why}; please try again later.", file=out)
        return 0
    release = transcript.release
    print(f"conversation {transcript.conversation_id} on {release.name} v{release.version}", file=out)
    for name, arguments in transcript.tool_calls:
        print(f"  tool call: {name}({json.dumps(arguments, sort_keys=True)})", file=out)
    for answer in transcript.answers:
        print(f"  answer: {answer}", file=out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
