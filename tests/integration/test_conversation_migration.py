"""Issue 17, Done when: end to end on the emulator as a real HTTP server, through the real SDK and the CLI.

1,000 conversations with tool calls under list_expenses' first schema (`from`/`to`), a breaking change to
`start_date`/`end_date` with an upcaster, `migrate plan` showing the counts and samples, `migrate run`
moving them all, every copied function_call valid under the new schema with its call_id pair, and the
example application going on with a migrated conversation through the runtime (`Router.route`). On
Assistants v2, threads move in place, a run waiting for tool outputs cancelled first.
"""

from __future__ import annotations

import io
import json
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import jsonschema
import openai
import pytest

from examples import chat_app
from reconciler.cli.main import run
from reconciler.emulator import EmulatorConfig
from reconciler.emulator.server import EmulatorServer
from reconciler.model import labels
from reconciler.model.moves import ItemStatus, MigrationStatus
from reconciler.store import open_store
from tests.integration.support import edit_file, make_project

# The SDK marks the Assistants v2 surface deprecated; the v2 case drives it on purpose.
pytestmark = [pytest.mark.server, pytest.mark.filterwarnings("ignore:.*deprecated:DeprecationWarning")]

NAME = "CorporateAssist"
WS = "served"
CONVERSATIONS = 1_000
TARGETS = """  targets:
    served:
      type: openai
      api: {api}
      baseURL: {url}
      projectId: proj_local
  conversations:
    retention: 30d
    requestsPerMinute: 60000
"""
V2_PARAMETERS = """  parameters:
    type: object
    additionalProperties: false
    properties:
      start_date:
        type: string
        format: date
      end_date:
        type: string
        format: date
    required: [start_date, end_date]
  migrations:
    - from: 1
      to: 2
      steps:
        - rename: {from: /from, to: /start_date}
        - rename: {from: /to, to: /end_date}
"""
V2_SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "properties": {"start_date": {"type": "string"}, "end_date": {"type": "string"}},
    "required": ["start_date", "end_date"],
}


@pytest.fixture
def server() -> Iterator[EmulatorServer]:
    emulator = EmulatorServer(EmulatorConfig(), threads=16).start()
    yield emulator
    emulator.close()


def _project(tmp_path: Path, server: EmulatorServer, monkeypatch: pytest.MonkeyPatch, api: str) -> Path:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-migration-test")
    root = make_project(
        tmp_path / "project", api=api, target_yaml=TARGETS.format(api=api, url=server.base_url)
    )
    edit_file(root, "reconcile.yaml", "defaultTarget: local", f"defaultTarget: {WS}")
    assert run(["apply", str(root), "--auto-approve"]) == 0
    return root


def _break_list_expenses(root: Path) -> None:
    path = root / "manifests" / "list-expenses.yaml"
    head, _, _ = path.read_text(encoding="utf-8").partition("  parameters:\n")
    path.write_text(head + V2_PARAMETERS, encoding="utf-8")
    edit_file(
        root,
        "manifests/corporate-assist.yaml",
        "  versioning: immutable\n",
        "  versioning: immutable\n  acceptBreaking: list_expenses renames from/to; we migrate\n",
    )
    assert run(["apply", str(root), "--auto-approve"]) == 0


def _items(n: int) -> list[dict[str, Any]]:
    arguments = {"from": f"2026-{n % 12 + 1:02d}-01", "to": f"2026-{n % 12 + 1:02d}-28"}
    return [
        {"type": "message", "role": "user", "content": f"my expenses, month {n % 12 + 1}"},
        {
            "type": "function_call",
            "call_id": f"call_{n}",
            "name": "list_expenses",
            "arguments": json.dumps(arguments),
        },
        {"type": "function_call_output", "call_id": f"call_{n}", "output": json.dumps({"expenses": []})},
        {"type": "message", "role": "assistant", "content": "You had no expenses that month."},
    ]


def _seed(client: openai.OpenAI, root: Path, count: int) -> list[str]:
    def one(n: int) -> str:
        return client.conversations.create(items=_items(n), metadata={"reconciler/name": NAME}).id  # type: ignore[arg-type]

    with ThreadPoolExecutor(max_workers=8) as pool:
        ids = list(pool.map(one, range(count)))
    with open_store(f"sqlite:///{root / '.reconcile' / 'state.db'}") as store:
        now = time.time()
        for conversation in ids:
            store.assign_conversation(WS, NAME, conversation, 1, now=now)
    return ids


def _all_items(client: openai.OpenAI, conversation: str) -> list[Any]:
    return list(client.conversations.items.list(conversation, order="asc", limit=100))


def test_a_thousand_conversations_move_to_the_new_schema_and_the_app_goes_on(
    tmp_path: Path,
    server: EmulatorServer,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    root = _project(tmp_path, server, monkeypatch, "responses")
    client = openai.OpenAI(base_url=server.base_url, api_key="sk-migration-test")
    ids = _seed(client, root, CONVERSATIONS)
    _break_list_expenses(root)
    capsys.readouterr()

    assert run(["conversations", "migrate", "plan", NAME, "--to", "2", "-C", str(root)]) == 0
    said = capsys.readouterr().out
    assert f"from version 1: {CONVERSATIONS} conversations" in said
    assert "list_expenses: r1 -> r2 (2 steps)" in said
    assert "No conversation fails its upcast." in said
    assert said.count("  sample ") == 3 and '{"start_date":"2026-' in said

    started = time.monotonic()
    assert run(["conversations", "migrate", "run", NAME, "--to", "2", "-C", str(root)]) == 0
    elapsed = time.monotonic() - started
    said = capsys.readouterr().out
    assert f"{CONVERSATIONS} moved, 0 failed, 0 skipped, 0 pending" in said, said

    with open_store(f"sqlite:///{root / '.reconcile' / 'state.db'}") as store:
        (migration,) = store.migrations(WS, NAME)
        moves = {m.conversation: m for m in store.conversation_moves(WS, migration.id)}
        progress = store.migration_progress(migration.id)
    assert migration.status is MigrationStatus.DONE and progress.counts[ItemStatus.DONE] == CONVERSATIONS
    assert set(moves) == set(ids) and len({m.new_conversation for m in moves.values()}) == CONVERSATIONS
    # Every copy holds its original's items in order, function calls upcast and valid under the new schema.
    for n, conversation in enumerate(ids[:: max(1, CONVERSATIONS // 100)]):
        copy = moves[conversation].new_conversation
        items = _all_items(client, copy)
        assert [i.type for i in items] == ["message", "function_call", "function_call_output", "message"]
        call, output = items[1], items[2]
        jsonschema.validate(json.loads(call.arguments), V2_SCHEMA)
        assert call.call_id == output.call_id
        assert client.conversations.retrieve(copy).metadata[labels.MIGRATED_FROM] == conversation
        assert client.conversations.retrieve(conversation).metadata[labels.MIGRATED_TO] == copy
        del n
    # Every original is labelled with its copy, the last ones settled too: the run waits for the workflows
    # in its hands (each records the move, then labels) rather than stopping when the store shows none left.
    unlabelled = [
        c
        for c in ids
        if client.conversations.retrieve(c).metadata.get(labels.MIGRATED_TO) != moves[c].new_conversation
    ]
    assert unlabelled == []
    # The whole population, through the store's count of live conversations: none left on version 1.
    print(f"migrated {CONVERSATIONS} conversations in {elapsed:.1f} s")

    # The example application goes on with an old conversation id: the router sends it to the copy.
    old = ids[0]
    out = io.StringIO()
    turn = '/call list_expenses {"start_date": "2026-11-01", "end_date": "2026-11-30"}'
    assert chat_app.main(
        ["--project", str(root), "--workspace", WS, "--base-url", server.base_url,
         "--conversation", old, "--say", turn],
        out=out,
    ) == 0  # fmt: skip
    said = out.getvalue()
    assert f"conversation {moves[old].new_conversation} on {NAME} v2" in said, said
    assert 'list_expenses({"end_date": "2026-11-30", "start_date": "2026-11-01"})' in said
    history = _all_items(client, moves[old].new_conversation)
    assert len(history) > 4 and history[1].call_id == f"call_{0}"  # the copied turns, then the new one


def test_threads_move_in_place_and_a_waiting_run_is_cancelled(
    tmp_path: Path,
    server: EmulatorServer,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    root = _project(tmp_path, server, monkeypatch, "assistants-v2")
    client = openai.OpenAI(base_url=server.base_url, api_key="sk-migration-test")
    with open_store(f"sqlite:///{root / '.reconcile' / 'state.db'}") as store:
        v1 = next(v for v in store.versions(WS, NAME) if v.number == 1)
        threads = [client.beta.threads.create(metadata={"reconciler/name": NAME}).id for _ in range(6)]  # type: ignore[attr-defined]
        for thread in threads:
            store.assign_conversation(WS, NAME, thread, 1, now=time.time())
    client.beta.threads.messages.create(  # type: ignore[attr-defined]
        thread_id=threads[0],
        role="user",
        content='/call list_expenses {"from": "2026-11-01", "to": "2026-11-30"}',
    )
    waiting = client.beta.threads.runs.create_and_poll(thread_id=threads[0], assistant_id=v1.platform_id)  # type: ignore[attr-defined]
    assert waiting.status == "requires_action"
    _break_list_expenses(root)
    capsys.readouterr()
    command = [
        "conversations",
        "migrate",
        "run",
        NAME,
        "--to",
        "2",
        "--active-runs",
        "cancel",
        "-C",
        str(root),
    ]
    assert run(command) == 0
    assert "6 moved, 0 failed" in capsys.readouterr().out
    run_now = client.beta.threads.runs.retrieve(waiting.id, thread_id=threads[0])  # type: ignore[attr-defined]
    assert run_now.status in ("cancelled", "cancelling")
    with open_store(f"sqlite:///{root / '.reconcile' / 'state.db'}") as store:
        for thread in threads:
            pin = store.assignment(WS, NAME, thread)
            assert pin is not None and pin.version == 2
            assert client.beta.threads.retrieve(thread).metadata[labels.VERSION] == "2"  # type: ignore[attr-defined]
