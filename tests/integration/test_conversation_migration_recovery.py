"""Issue 17 regressions found by a newcomer's review, through the CLI on a real HTTP emulator:

- a rerun tries again the conversations whose workflows ended in platform errors (DBOS does not resume an
  ended workflow: the rerun gave up on them at once and the migration stayed stuck);
- a rerun whose remaining conversations sit in the hands of a worker that is gone (killed, its id not
  reused) stops and names that worker instead of waiting for ever;
- a migration to the version the conversations are already on records nothing (it used to record an
  empty migration that hid the real one from `status`);
- `status` and `cancel` read only the store: they work without the platform's API key.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import openai
import pytest

from reconciler import service
from reconciler.cli.main import run
from reconciler.emulator.server import EmulatorServer
from reconciler.model.moves import ItemStatus
from reconciler.service.conversation_migrations import run_migration
from reconciler.service.migration_status import running_migrations
from reconciler.store import open_store
from tests.integration.support import edit_file
from tests.integration.test_conversation_migration import (
    NAME,
    WS,
    _break_list_expenses,
    _project,
    _seed,
    server,  # noqa: F401  (the fixture)
)

pytestmark = [pytest.mark.server, pytest.mark.slow]


def _state(root: Path) -> str:
    return f"sqlite:///{root / '.reconcile' / 'state.db'}"


def test_a_rerun_tries_again_what_failed_on_platform_errors(
    tmp_path: Path,
    server: EmulatorServer,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    root = _project(tmp_path, server, monkeypatch, "responses")
    ids = _seed(openai.OpenAI(base_url=server.base_url, api_key="sk-migration-test"), root, 5)
    _break_list_expenses(root)
    project = root / "reconcile.yaml"
    project.write_text(
        project.read_text(encoding="utf-8") + "  retry:\n    maxAttempts: 1\n", encoding="utf-8"
    )
    edit_file(root, "reconcile.yaml", server.base_url, "http://127.0.0.1:9")  # nothing listens there
    capsys.readouterr()
    command = ["conversations", "migrate", "run", NAME, "--to", "2", "-C", str(root)]
    assert run(command) == 1
    said = capsys.readouterr().out
    assert "0 moved, 0 failed, 0 skipped, 5 pending" in said and "connection failed" in said
    edit_file(root, "reconcile.yaml", "http://127.0.0.1:9", server.base_url)  # the platform is back
    assert run(command) == 0
    said = capsys.readouterr().out
    assert "Resuming migration" in said and "5 moved, 0 failed, 0 skipped, 0 pending" in said
    with open_store(_state(root)) as store:
        (migration,) = store.migrations(WS, NAME)
        assert {m.conversation for m in store.conversation_moves(WS, migration.id)} == set(ids)


def test_a_rerun_names_a_worker_that_is_gone_with_conversations_in_hand(
    tmp_path: Path,
    server: EmulatorServer,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    root = _project(tmp_path, server, monkeypatch, "responses")
    _seed(openai.OpenAI(base_url=server.base_url, api_key="sk-migration-test"), root, 14)
    _break_list_expenses(root)
    edit_file(root, "reconcile.yaml", "requestsPerMinute: 60000", "requestsPerMinute: 300")  # slow enough
    ghost = subprocess.Popen(
        [sys.executable, "-m", "reconciler", "conversations", "migrate", "run", NAME, "--to", "2",
         "--worker-id", "ghost", "--concurrency", "4", "-C", str(root)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
        env={**os.environ, "OPENAI_API_KEY": "sk-migration-test"},
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with open_store(_state(root)) as store:
                running = running_migrations(store, WS, NAME)
                if running and store.items_settled_since(running[0].id, since=0.0) >= 2:
                    break
            time.sleep(0.2)
        else:
            pytest.fail("the ghost worker never got going")
        os.killpg(ghost.pid, signal.SIGKILL)  # gone, with conversations in hand
    finally:
        ghost.wait(10)
    started = time.monotonic()
    with service.open_workspace(root) as ws:
        (record,) = running_migrations(ws.store, ws.name, NAME)
        result = run_migration(ws, record, worker_id="someone-else", stall_seconds=3.0)
    assert time.monotonic() - started < 120
    held = dict(result.held_elsewhere)
    assert set(held) == {"ghost"} and held["ghost"] >= 1
    # Those still pending are in its hands (some in hand may be recorded already, their labels not sent).
    assert 1 <= result.status.progress.counts[ItemStatus.PENDING] <= held["ghost"]
    # Run again under the ghost's id: what it held is recovered and the migration finishes.
    assert (
        run(["conversations", "migrate", "run", NAME, "--to", "2", "--worker-id", "ghost", "-C", str(root)])
        == 0
    )


def test_nothing_to_migrate_records_nothing_and_status_needs_no_api_key(
    tmp_path: Path,
    server: EmulatorServer,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    root = _project(tmp_path, server, monkeypatch, "responses")
    _seed(openai.OpenAI(base_url=server.base_url, api_key="sk-migration-test"), root, 3)
    _break_list_expenses(root)
    assert run(["conversations", "migrate", "run", NAME, "--to", "2", "-C", str(root)]) == 0
    capsys.readouterr()
    assert run(["conversations", "migrate", "run", NAME, "--to", "2", "-C", str(root)]) == 0
    assert "Nothing to migrate: no conversation of CorporateAssist" in capsys.readouterr().out
    monkeypatch.delenv("OPENAI_API_KEY")
    assert run(["conversations", "migrate", "status", NAME, "-C", str(root)]) == 0
    said = capsys.readouterr().out
    assert ": done (started " in said and "3 moved, 0 failed, 0 skipped, 0 pending of 3" in said
    assert run(["conversations", "migrate", "cancel", NAME, "-C", str(root)]) == 1  # nothing runs
    assert "has no running conversation migration" in capsys.readouterr().err
