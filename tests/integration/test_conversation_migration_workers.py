"""Issue 17, Done when: two workers on PostgreSQL share one run without double work, and a worker killed
-9 mid-run and restarted with its `--worker-id` resumes the conversations it had in hand.

The state is on PostgreSQL (a fresh schema, `pg_schema_dsn`); DBOS keeps its queue in the schema beside
it (`STATE_dbos`, dropped afterwards). 150 conversations of 45 items (v1 function calls) go to v2 as in
real use: `reconcile conversations worker --worker-id a` and `--worker-id b` run as child processes, and
`reconcile conversations migrate run NAME --to 2 --worker-id c` records the migration, enqueues it and
works the queue beside them. Once a holds workflows in hand (PENDING under executor a in DBOS), it is
SIGKILLed and started again with the same id. `migrate run` ends (exit 0) only when every conversation is
settled, which needs a's recovery: DBOS recovers an executor's PENDING workflows when it launches. Then
the workers get SIGTERM and must exit 0.

Checks: every conversation moved once, to a copy holding exactly its items upcast; at least two executors
ran workflows (DBOS's `workflow_status.executor_id`, `WORKER/PROJECT/WORKSPACE`); every workflow ended
SUCCESS; unrecorded copies only from a's kill (a create cut off before its checkpoint: at most one per
workflow a had in hand, 20 items each).
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import openai
import pytest

from reconciler.cli.main import run as run_cli
from reconciler.emulator import EmulatorConfig
from reconciler.emulator.server import EmulatorServer
from reconciler.model.moves import ItemStatus, MigrationStatus
from reconciler.store import open_store
from reconciler.threads.engine import system_schema
from tests.integration.support import edit_file, make_project
from tests.integration.test_conversation_migration import NAME, TARGETS, WS, _break_list_expenses
from tests.integration.test_conversation_migration_kill import _seed, unrecorded_copies, wrong_copies
from tests.integration.test_kill_harness import _child_env

pytestmark = [pytest.mark.slow, pytest.mark.server, pytest.mark.postgres]

CONVERSATIONS = 150
REQUESTS_PER_MINUTE = 6_000  # 150 conversations x 8 requests: ~12 s, time for a kill and a restart
CONCURRENCY = "4"
START_SECONDS = 30.0  # a child process to import the CLI and launch DBOS
RUN_SECONDS = 90.0  # the migration, start to end
STOP_SECONDS = 15.0  # a worker, SIGTERM to exit


class Child:
    """`reconcile ARGS` as a child process (`python -m reconciler`), its output in files under `logs`."""

    def __init__(self, logs: Path, name: str, *args: str) -> None:
        self.name = name
        self.out, self.err = logs / f"{name}.out", logs / f"{name}.err"
        self._files: list[IO[bytes]] = [self.out.open("wb"), self.err.open("wb")]
        self.process = subprocess.Popen(
            [sys.executable, "-m", "reconciler", *args],
            env=_child_env(),
            stdin=subprocess.DEVNULL,
            stdout=self._files[0],
            stderr=self._files[1],
        )

    def said(self) -> str:
        return self.out.read_text(encoding="utf-8", errors="replace")

    def tail(self) -> str:
        err = self.err.read_text(encoding="utf-8", errors="replace")
        return f"{self.name}: stdout ...{self.said()[-600:]!r} stderr ...{err[-1200:]!r}"

    def wait_for(self, text: str, seconds: float) -> None:
        end = time.monotonic() + seconds
        while text not in self.said():
            assert self.process.poll() is None, f"{self.name} ended: {self.tail()}"
            assert time.monotonic() < end, f"{self.name} did not say {text!r} in {seconds}s: {self.tail()}"
            time.sleep(0.1)

    def stop(self, sig: signal.Signals, seconds: float) -> int:
        self.process.send_signal(sig)
        try:
            return self.process.wait(timeout=seconds)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)
            why = f"{self.name} did not end within {seconds}s of {sig.name}: {self.tail()}"
            raise AssertionError(why) from None
        finally:
            self.close()

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)
        for file in self._files:
            file.close()


@pytest.fixture
def server() -> Iterator[EmulatorServer]:
    emulator = EmulatorServer(EmulatorConfig(), threads=12).start()
    yield emulator
    emulator.close()


def _workflows(dsn: str, migration_id: str) -> list[tuple[str, str, str]]:
    """(workflow id, status, worker id) of the migration's workflows, from DBOS's tables."""
    from sqlalchemy import create_engine, text

    schema = system_schema(dsn)
    engine = create_engine(dsn.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                text(
                    f'SELECT workflow_uuid, status, executor_id FROM "{schema}".workflow_status '
                    "WHERE workflow_uuid LIKE :prefix"
                ),
                {"prefix": f"{migration_id}/%"},
            ).all()
    finally:
        engine.dispose()
    return [(str(r[0]), str(r[1]), str(r[2]).split("/")[0]) for r in rows]


@pytest.fixture
def dbos_schema_dropped(pg_schema_dsn: str, pg_admin_url: str) -> Iterator[str]:
    """The state's DSN; DBOS's schema beside the state's is dropped afterwards, as the state's is."""
    import psycopg

    yield pg_schema_dsn
    with psycopg.connect(pg_admin_url, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{system_schema(pg_schema_dsn)}" CASCADE')


def test_two_workers_share_one_run_and_a_killed_worker_resumes_its_conversations(
    tmp_path: Path, server: EmulatorServer, monkeypatch: pytest.MonkeyPatch, dbos_schema_dropped: str
) -> None:
    pg_schema_dsn = dbos_schema_dropped
    started = time.monotonic()
    monkeypatch.setenv("OPENAI_API_KEY", "sk-migration-test")
    targets = TARGETS.format(api="responses", url=server.base_url)
    root = make_project(tmp_path / "project", api="responses", target_yaml=targets)
    edit_file(root, "reconcile.yaml", "defaultTarget: local", f"defaultTarget: {WS}")
    edit_file(root, "reconcile.yaml", "state: sqlite:///.reconcile/state.db", f"state: {pg_schema_dsn}")
    edit_file(root, "reconcile.yaml", "requestsPerMinute: 60000", f"requestsPerMinute: {REQUESTS_PER_MINUTE}")
    assert run_cli(["apply", str(root), "--auto-approve"]) == 0
    _break_list_expenses(root)
    client = openai.OpenAI(base_url=server.base_url, api_key="sk-migration-test", max_retries=0)
    originals = _seed(client, pg_schema_dsn, 0, CONVERSATIONS)
    seeded = time.monotonic()

    workers = ("conversations", "worker", "--concurrency", CONCURRENCY, "-C", str(root), "--worker-id")
    children: list[Child] = []
    try:
        a = Child(tmp_path, "worker-a", *workers, "a")
        b = Child(tmp_path, "worker-b", *workers, "b")
        children += [a, b]
        a.wait_for("Worker on", START_SECONDS)
        b.wait_for("Worker on", START_SECONDS)
        run = Child(
            tmp_path,
            "run-c",
            *("conversations", "migrate", "run", NAME, "--to", "2", "--concurrency", CONCURRENCY),
            *("--worker-id", "c", "-C", str(root)),
        )
        children.append(run)
        run.wait_for("Migration mig_", START_SECONDS)
        migration_id = run.said().split("Migration ", 1)[1].split(":", 1)[0]

        # Kill a once it holds workflows in hand, then start it again with its id.
        end = time.monotonic() + RUN_SECONDS
        in_hand: list[str] = []
        while not in_hand:
            assert run.process.poll() is None, f"the run ended before a held work: {run.tail()}"
            assert time.monotonic() < end, f"a never held a workflow: {a.tail()}"
            in_hand = [
                w
                for w, status, ex in _workflows(pg_schema_dsn, migration_id)
                if ex == "a" and status == "PENDING"
            ]
            time.sleep(0.2)
        time.sleep(0.3)  # let it get into the conversations' steps
        assert a.stop(signal.SIGKILL, 10) == -signal.SIGKILL
        killed_at = time.monotonic() - seeded
        held = [
            w
            for w, status, ex in _workflows(pg_schema_dsn, migration_id)
            if ex == "a" and status == "PENDING"
        ]
        assert held, "a held nothing when it was killed"
        a = Child(tmp_path, "worker-a2", *workers, "a")
        children.append(a)

        code = run.process.wait(timeout=max(1.0, end - time.monotonic()))
        assert code == 0, run.tail()
        assert "150 moved, 0 failed, 0 skipped, 0 pending" in run.said(), run.tail()
        done_at = time.monotonic() - seeded
        for worker in (a, b):
            assert worker.stop(signal.SIGTERM, STOP_SECONDS) == 0, worker.tail()
    finally:
        for child in children:
            child.close()

    with open_store(pg_schema_dsn) as store:
        (migration,) = store.migrations(WS, NAME)
        moves = store.conversation_moves(WS, migration.id)
        progress = store.migration_progress(migration.id)
    assert migration.status is MigrationStatus.DONE and progress.counts[ItemStatus.DONE] == CONVERSATIONS
    assert sorted(m.conversation for m in moves) == sorted(originals)
    copies = {m.conversation: m.new_conversation for m in moves}
    assert len(set(copies.values())) == CONVERSATIONS
    wrong = wrong_copies(client, originals, copies)
    assert not wrong, f"{wrong[:5]} ({len(wrong)} in all)"

    workflows = _workflows(pg_schema_dsn, migration.id)
    assert len(workflows) == CONVERSATIONS
    assert {status for _, status, _ in workflows} == {"SUCCESS"}, workflows
    by_executor = {
        ex: sum(1 for _, _, e in workflows if e == ex) for ex in sorted({e for _, _, e in workflows})
    }
    assert len(by_executor) >= 2, by_executor
    # a's workflows in hand at its kill ended too: a's restart re-enqueued them (DBOS recovers an executor's
    # PENDING workflows at launch, through a queue, so whichever worker dequeues first resumes them).
    finished_by = {w: ex for w, _, ex in workflows}
    resumed_by = sorted(finished_by[w] for w in held)
    orphans = unrecorded_copies(server, copies)
    # Only a create a's kill cut off may have left a copy unrecorded: one of a's in-hand conversations, the
    # create's 20 items and nothing appended.
    assert len(orphans) <= len(held), orphans
    lost_creates = {f"{migration.id}/{source}" for _, source, items in orphans if items == 20}
    assert len(lost_creates) == len(orphans) and lost_creates <= set(held), (orphans, held)
    print(
        f"\nworkers test: {CONVERSATIONS} conversations, workflows by executor {by_executor}, "
        f"a killed at {killed_at:.1f} s holding {len(held)} (resumed by {resumed_by}), "
        f"run done at {done_at:.1f} s, "
        f"orphans {len(orphans)}, total {time.monotonic() - started:.1f} s"
    )
