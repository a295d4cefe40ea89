"""Conversation migrations as operators meet them, through the CLI on a real HTTP emulator, at a small scale:
a migration that follows a canary's weight (refused without `--follow-rollout`; the canary's share moves,
the rest once promoted), an upcast that fails one conversation (named with item and pointer; the others
move), `cancel` and `status`, and `--delete-after` carried out by `gc`."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from types import SimpleNamespace

import openai
import pytest

from reconciler.cli.main import run
from reconciler.emulator.server import EmulatorServer
from reconciler.model.moves import ItemStatus, MigrationStatus
from reconciler.model.rollouts import canary_choice
from reconciler.service import conversation_migrations
from reconciler.store import open_store
from tests.integration.support import edit_file, make_project
from tests.integration.test_conversation_migration import (
    NAME,
    TARGETS,
    WS,
    _break_list_expenses,
    _items,
    _project,
    _seed,
    server,  # noqa: F401  (the fixture)
)

pytestmark = [pytest.mark.server]

COUNT = 40
STEPS = """  rollout:
    strategy: canary
    steps:
      - weight: 30
      - pause: indefinite
"""


def _state(root: Path) -> str:
    return f"sqlite:///{root / '.reconcile' / 'state.db'}"


def _moved(root: Path) -> set[str]:
    with open_store(_state(root)) as store:
        return {
            m.conversation for r in store.migrations(WS, NAME) for m in store.conversation_moves(WS, r.id)
        }


def test_a_migration_follows_the_canary_weight_and_finishes_when_promoted(
    tmp_path: Path,
    server: EmulatorServer,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-migration-test")
    root = make_project(
        tmp_path / "project", api="responses", canary=True,
        target_yaml=TARGETS.format(api="responses", url=server.base_url),
    )  # fmt: skip
    edit_file(root, "reconcile.yaml", "defaultTarget: local", f"defaultTarget: {WS}")
    assistant = root / "manifests" / "corporate-assist.yaml"
    head, _, _ = assistant.read_text(encoding="utf-8").partition("  rollout:\n")
    assistant.write_text(head + STEPS, encoding="utf-8")
    (root / "manifests" / "tool-health.yaml").unlink()
    assert run(["apply", str(root), "--auto-approve"]) == 0
    client = openai.OpenAI(base_url=server.base_url, api_key="sk-migration-test")
    ids = _seed(client, root, COUNT)
    _break_list_expenses(root)  # v2 starts a canary rollout
    assert run(["rollout", "step", NAME, "-C", str(root)]) == 0  # weight 30, then the pause
    with open_store(_state(root)) as store:
        rollout = store.active_rollout(WS, NAME)
    assert rollout is not None and rollout.weight == 30
    share = {c for c in ids if canary_choice(rollout, c) == 2}
    assert 0 < len(share) < COUNT
    capsys.readouterr()

    assert run(["conversations", "migrate", "run", NAME, "--to", "2", "-C", str(root)]) == 1
    assert "would skip the canary; add --follow-rollout" in capsys.readouterr().err

    done: list[int] = []
    command = ["conversations", "migrate", "run", NAME, "--to", "2", "--follow-rollout", "-C", str(root)]
    runner = threading.Thread(target=lambda: done.append(run(command)))
    runner.start()
    deadline = time.monotonic() + 60
    while _moved(root) != share and time.monotonic() < deadline:
        time.sleep(0.2)
    time.sleep(1.0)  # the run goes on waiting: nothing beyond the canary's share moves
    assert _moved(root) == share and runner.is_alive()
    assert run(["rollout", "promote", NAME, "--full", "-C", str(root)]) == 0
    assert run(["rollout", "step", NAME, "-C", str(root)]) == 0  # the controller ends the rollout
    runner.join(60)
    assert done == [0] and _moved(root) == set(ids)


def test_a_failing_upcast_names_the_conversation_item_and_pointer_and_the_rest_move(
    tmp_path: Path,
    server: EmulatorServer,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    root = _project(tmp_path, server, monkeypatch, "responses")
    client = openai.OpenAI(base_url=server.base_url, api_key="sk-migration-test")
    ids = _seed(client, root, 5)
    items = _items(99)
    items[1]["arguments"] = json.dumps({"from": "last month", "to": "2026-11-30"})  # not a date under v2
    bad = client.conversations.create(items=items).id  # type: ignore[arg-type]
    with open_store(_state(root)) as store:
        store.assign_conversation(WS, NAME, bad, 1, now=time.time())
    _break_list_expenses(root)
    capsys.readouterr()
    assert run(["conversations", "migrate", "plan", NAME, "--to", "2", "-C", str(root)]) == 1
    said = capsys.readouterr().out
    assert f"1 conversation would fail:\n    {bad}: conversation {bad} item 1 /start_date:" in said
    plan_json = ["conversations", "migrate", "plan", NAME, "--to", "2", "-C", str(root), "--format", "json"]
    assert run(plan_json) == 1
    plan = json.loads(capsys.readouterr().out)
    assert plan["conversations"] == {"1": 6} and plan["changed_calls"] == 5 and plan["failed"] == 1
    assert plan["failures"][0]["conversation"] == bad
    assert run(["conversations", "migrate", "run", NAME, "--to", "2", "-C", str(root)]) == 1
    assert "5 moved, 1 failed, 0 skipped, 0 pending" in capsys.readouterr().out
    assert _moved(root) == set(ids)
    assert run(["conversations", "migrate", "status", NAME, "-C", str(root), "--format", "json"]) == 0
    status = json.loads(capsys.readouterr().out)
    assert status["status"] == "done" and status["counts"]["failed"] == 1
    assert status["failures"][0]["conversation"] == bad and "/start_date" in status["failures"][0]["error"]


def test_cancel_stops_a_migration_and_status_says_who(
    tmp_path: Path,
    server: EmulatorServer,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from reconciler import service
    from reconciler.service.conversation_migrations import MigrationRequest, start_migration

    root = _project(tmp_path, server, monkeypatch, "responses")
    client = openai.OpenAI(base_url=server.base_url, api_key="sk-migration-test")
    _seed(client, root, 6)
    _break_list_expenses(root)
    with service.open_workspace(root) as ws:
        record = start_migration(ws, MigrationRequest(NAME, 2))
    capsys.readouterr()
    assert (
        run(["conversations", "migrate", "cancel", NAME, "--reason", "wrong upcaster", "-C", str(root)]) == 0
    )
    assert f"Migration {record.id} of {NAME} to version 2: cancelled by " in capsys.readouterr().out
    assert run(["conversations", "migrate", "cancel", NAME, "-C", str(root)]) == 1  # nothing running now
    assert run(["conversations", "migrate", "status", NAME, "-C", str(root)]) == 0
    said = capsys.readouterr().out
    assert ": cancelled (started " in said and "wrong upcaster" in said and "0 moved" in said
    with open_store(_state(root)) as store:
        found = store.migration(record.id)
        assert found is not None and found.status is MigrationStatus.CANCELLED
        assert store.migration_progress(record.id).counts[ItemStatus.PENDING] == 6
    assert _moved(root) == set()


def test_delete_after_is_carried_out_by_gc(
    tmp_path: Path,
    server: EmulatorServer,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    root = _project(tmp_path, server, monkeypatch, "responses")
    client = openai.OpenAI(base_url=server.base_url, api_key="sk-migration-test")
    ids = _seed(client, root, 4)
    _break_list_expenses(root)
    # An hour, not a second: on a loaded CI machine the run itself outlasted one second and its own
    # closing sweep deleted the originals before "not yet due" was looked at.
    command = ["conversations", "migrate", "run", NAME, "--to", "2", "--delete-after", "1h", "-C", str(root)]
    assert run(command) == 0
    assert client.conversations.retrieve(ids[0]).id == ids[0]  # not yet due
    two_hours_on = SimpleNamespace(
        time=lambda: time.time() + 7200, sleep=time.sleep, monotonic=time.monotonic
    )
    monkeypatch.setattr(conversation_migrations, "time", two_hours_on)
    capsys.readouterr()
    assert run(["gc", str(root), "--auto-approve"]) == 0
    assert "deleted: 4 old conversations migrated longer ago than --delete-after" in capsys.readouterr().out
    for conversation in ids:
        with pytest.raises(openai.NotFoundError):
            client.conversations.retrieve(conversation)
    assert run(["gc", str(root), "--auto-approve"]) == 0  # nothing more is due
    assert "old conversation" not in capsys.readouterr().out
