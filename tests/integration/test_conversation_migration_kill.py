"""Issue 17, Done when: kill -9 a conversation migration at random points (20+ kills that land in work
left to do); it resumes to completion with no conversation moved twice, none lost, every move recorded,
every copy holding its original's items exactly once and in order, upcast.

The emulator serves on 127.0.0.1 from this process (a real HTTP server, the Responses flavour);
`reconcile conversations migrate run NAME --to 2 --concurrency 4` runs as a real child process, forked
from a warm parent that imported the CLI and the engine once (`test_kill_harness.Launcher`), and is
SIGKILLed after a random delay (seeded).

Design. Conversations come in rounds of `BATCH` (45 items each, function calls under list_expenses' v1
schema: a copy is a create with 20 items and two appends, so kills land in appends too). A round is one
migration, killed again and again; the request budget (`conversations.requestsPerMinute`) paces a round to
a few seconds unkilled, so a kill delay drawn from `KILL_AFTER` lands before the engine starts (the
migration not yet recorded or its workflows not yet enqueued), in the middle of the copies, or near the
end (the last conversations, the migration being marked done). When a run finishes its round before its
kill, the next round seeds `BATCH` new conversations pinned to v1 (so a new migration starts) and the
killing goes on. A kill counts when the round's migration was unfinished at that moment; the loop goes
on until `KILLS` counted. Then one unkilled run finishes the last round (exit 0).

Checks: every conversation of every round has exactly one move, each to its own copy; every migration is
DONE with nothing pending or failed; each copy, read through the SDK, holds exactly its original's items
in order with the function calls' arguments upcast; each original is labelled `reconciler/migrated-to`
its copy. Orphans are copies labelled `reconciler/migrated-from` X that are not X's recorded copy (the
platform cannot list conversations: counted from the emulator's own storage). They come only from a kill
that cut off a create: the platform made the copy, the engine never checkpointed the step (the request
was under way at the kill, or answered and not yet recorded; docs/decisions/0001-durable-engine.md). So
each was asked for by a killed run before its kill, holds the create's 20 items only, and there are at
most as many as kills.

Reproduce: MIGRATION_KILL_SEED=<seed> pytest tests/integration/test_conversation_migration_kill.py -s;
the children's output is in <tmp_path>/childNN.{out,err}, the kills in the failure message.
"""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import openai
import pytest
from werkzeug.wrappers import Request, Response

from reconciler.emulator import EmulatorConfig
from reconciler.emulator.server import EmulatorServer
from reconciler.model import labels
from reconciler.model.moves import ItemStatus, MigrationStatus
from reconciler.store import open_store
from tests.integration.support import edit_file
from tests.integration.test_conversation_migration import NAME, WS, _break_list_expenses, _project
from tests.integration.test_kill_harness import Launcher

pytestmark = [pytest.mark.slow, pytest.mark.server]

SEED = int(os.environ.get("MIGRATION_KILL_SEED", "17"))
BATCH = 40  # conversations per round (one migration each)
TURNS = 11  # user message, function call, its output, answer: 44 items, and a closing message: 45
KILLS = 20  # kills that must land while the round's migration is unfinished
MAX_ROUNDS = 8
MAX_TRIALS = 45
KILL_AFTER = (0.05, 2.5)  # seconds after the fork (the child needs ~0.3 s before its first request)
REQUESTS_PER_MINUTE = 4_000  # a round of 40 conversations (8 requests each) takes ~5 s unkilled
CONCURRENCY = "4"
BUDGET_SECONDS = 150.0
# The parent imports what `migrate run` imports when it runs, so a forked child starts at once.
PRELOAD = ("reconciler.service.conversation_migrations", "reconciler.render.migrations")


@dataclass
class Kill:
    round: int
    after: float  # seconds after the fork
    pending_before: int | None  # None: the round's migration was not recorded yet
    pending_after: int | None
    in_hand: int  # workflows the killed process had started (PENDING in DBOS)
    last_write: str  # the platform write the child sent last before the kill
    started: float = 0.0  # monotonic: the fork
    killed: float = 0.0  # monotonic: the SIGKILL

    @property
    def where(self) -> str:
        if self.pending_before is None or (self.pending_before == self.pending_after and not self.in_hand):
            return "before"
        return "end" if not self.pending_after else "during"

    def __str__(self) -> str:
        return (
            f"r{self.round} +{self.after:.2f}s pending {self.pending_before}->{self.pending_after} "
            f"in hand {self.in_hand} last {self.last_write}"
        )


class Writes:
    """Wraps the emulator's handler: the kind of each platform write, in order (to see where kills land),
    and when each conversation was created (to tell which run made an orphan)."""

    def __init__(self, handle: Callable[[Request], Response]) -> None:
        self._handle = handle
        self._lock = threading.Lock()
        self.seen: list[str] = []
        # conversation id -> when its create arrived (a create may arrive before a kill and be answered
        # after it: the platform made the copy and the dead client never heard of it)
        self.created: dict[str, float] = {}

    def __call__(self, request: Request) -> Response:
        if request.method != "POST":
            return self._handle(request)
        parts = request.path.rstrip("/").split("/")  # ["", "v1", "conversations", id?, "items"?]
        kind = {3: "create", 4: "label", 5: "append"}.get(len(parts), request.path)
        arrived = time.monotonic()
        with self._lock:
            self.seen.append(kind)
        response = self._handle(request)
        if kind == "create" and response.status_code == 200:
            created = json.loads(response.get_data())["id"]
            with self._lock:
                self.created[created] = arrived
        return response

    def last(self, since: int) -> str:
        with self._lock:
            return self.seen[-1] if len(self.seen) > since else "-"


@pytest.fixture
def server() -> Iterator[EmulatorServer]:
    emulator = EmulatorServer(EmulatorConfig(), threads=8).start()
    yield emulator
    emulator.close()


def _items(n: int) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    for turn in range(TURNS):
        month = (n + turn) % 12 + 1
        call = f"call_{n}_{turn}"
        arguments = {"from": f"2026-{month:02d}-01", "to": f"2026-{month:02d}-2{turn % 9}"}
        items += [
            {"type": "message", "role": "user", "content": f"conversation {n}, turn {turn}"},
            {
                "type": "function_call",
                "call_id": call,
                "name": "list_expenses",
                "arguments": json.dumps(arguments),
            },
            {"type": "function_call_output", "call_id": call, "output": json.dumps({"expenses": [turn]})},
            {"type": "message", "role": "assistant", "content": f"answer {n}.{turn}"},
        ]
    return [*items, {"type": "message", "role": "user", "content": f"conversation {n}, thanks"}]


def _seed(
    client: openai.OpenAI, state: str, first: int, count: int = BATCH
) -> dict[str, list[dict[str, Any]]]:
    """`count` conversations on v1 (create with 20 items, then 20 and 5 more), pinned in the state."""

    def one(n: int) -> tuple[str, list[dict[str, Any]]]:
        items = _items(n)
        conversation = client.conversations.create(items=items[:20], metadata={labels.NAME: NAME}).id  # type: ignore[arg-type]
        for start in range(20, len(items), 20):
            client.conversations.items.create(conversation, items=items[start : start + 20])  # type: ignore[arg-type]
        return conversation, items

    with ThreadPoolExecutor(max_workers=6) as pool:
        seeded = dict(pool.map(one, range(first, first + count)))
    with open_store(state) as store:
        for conversation in seeded:
            store.assign_conversation(WS, NAME, conversation, 1, now=time.time())
    return seeded


def _state(root: Path) -> str:
    return f"sqlite:///{root / '.reconcile' / 'state.db'}"


def _round_status(root: Path, rounds: int) -> tuple[str | None, int | None, bool]:
    """The current round's migration: (id, conversations pending, done); (None, None, False) while the
    round's migration is not recorded."""
    with open_store(_state(root)) as store:
        found = store.migrations(WS, NAME)
        if len(found) < rounds:
            return None, None, False
        record = found[-1]
        progress = store.migration_progress(record.id)
    return record.id, progress.counts[ItemStatus.PENDING], record.status is MigrationStatus.DONE


def _in_hand(root: Path, migration_id: str | None) -> int:
    """Workflows of the migration a dead process had started: PENDING in DBOS's system database."""
    path = root / ".reconcile" / "workflows.sqlite"
    if migration_id is None or not path.exists():
        return 0
    with closing(sqlite3.connect(path, timeout=10)) as db:  # not read-only: it may replay a dead writer's WAL
        (count,) = db.execute(
            "SELECT count(*) FROM workflow_status WHERE status = 'PENDING' AND workflow_uuid LIKE ?",
            (f"{migration_id}/%",),
        ).fetchone()
    return int(count)


def _expected_copy(items: list[dict[str, Any]]) -> list[tuple[str, str | None, Any]]:
    """What a copy must hold: the same items in order, list_expenses' from/to renamed."""
    out: list[tuple[str, str | None, Any]] = []
    for item in items:
        if item["type"] == "function_call":
            old = json.loads(item["arguments"])
            out.append(("function_call", item["call_id"], {"start_date": old["from"], "end_date": old["to"]}))
        elif item["type"] == "function_call_output":
            out.append(("function_call_output", item["call_id"], item["output"]))
        else:
            out.append(("message", item["role"], item["content"]))
    return out


def _held(client: openai.OpenAI, conversation: str) -> list[tuple[str, str | None, Any]]:
    """What a conversation holds, read through the SDK (pages of 100, oldest first)."""
    out: list[tuple[str, str | None, Any]] = []
    for item in client.conversations.items.list(conversation, order="asc", limit=100):
        if item.type == "function_call":
            out.append(("function_call", item.call_id, json.loads(item.arguments)))
        elif item.type == "function_call_output":
            out.append(("function_call_output", item.call_id, item.output))
        else:
            text = "".join(getattr(part, "text", "") for part in getattr(item, "content", []))
            out.append((item.type, getattr(item, "role", None), text))
    return out


def wrong_copies(
    client: openai.OpenAI, originals: dict[str, list[dict[str, Any]]], copies: dict[str, str]
) -> list[str]:
    """Copies that do not hold exactly their original's items (once each, in order, upcast), and originals
    not labelled with their copy."""
    wrong: list[str] = []
    for conversation, items in originals.items():
        held = _held(client, copies[conversation])
        if held != _expected_copy(items):
            calls = [c for kind, c, _ in held if kind != "message"]
            wrong.append(f"{conversation} -> {copies[conversation]}: {len(held)} items, call ids {calls}")
        metadata = client.conversations.retrieve(conversation).metadata or {}
        if metadata.get(labels.MIGRATED_TO) != copies[conversation]:
            wrong.append(
                f"{conversation} labelled {metadata.get(labels.MIGRATED_TO)}, copy {copies[conversation]}"
            )
    return wrong


def unrecorded_copies(server: EmulatorServer, copies: dict[str, str]) -> list[tuple[str, str, int]]:
    """(copy, original, items it holds) for every conversation labelled `reconciler/migrated-from` an
    original whose recorded copy it is not. Read from the emulator's storage: the API cannot list."""
    storage = server.app.storage
    found: list[tuple[str, str, int]] = []
    for stored in storage.all("conversation"):
        source = (stored.get("metadata") or {}).get(labels.MIGRATED_FROM)
        if source is not None and copies.get(source) != stored["id"]:
            found.append((stored["id"], source, len(storage.all("conversation_item", parent=stored["id"]))))
    return found


def test_kill_9_at_random_points_resumes_with_no_duplicate_and_none_lost(
    tmp_path: Path, server: EmulatorServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    started = time.monotonic()
    root = _project(tmp_path, server, monkeypatch, "responses")
    edit_file(root, "reconcile.yaml", "requestsPerMinute: 60000", f"requestsPerMinute: {REQUESTS_PER_MINUTE}")
    client = openai.OpenAI(base_url=server.base_url, api_key="sk-migration-test", max_retries=0)
    _break_list_expenses(root)
    originals = _seed(client, _state(root), 0)
    writes = Writes(server.app.handle)
    server.app.handle = writes  # type: ignore[method-assign]
    rng = random.Random(SEED)
    argv = (
        "conversations",
        "migrate",
        "run",
        NAME,
        "--to",
        "2",
        "-C",
        str(root),
        "--concurrency",
        CONCURRENCY,
    )
    kills: list[Kill] = []
    starts: list[float] = []  # every run's fork, killed or not
    log: list[str] = []
    rounds = 1

    def context() -> str:
        return (
            f"seed={SEED} rounds={rounds} kills={[str(k) for k in kills]} log={log} "
            f"elapsed={time.monotonic() - started:.0f}s"
        )

    launcher = Launcher(root, preload=PRELOAD)
    try:
        while len(kills) < KILLS:
            assert len(kills) + len(log) < MAX_TRIALS, f"too many trials: {context()}"
            assert time.monotonic() - started < BUDGET_SECONDS, f"out of time: {context()}"
            migration, pending_before, done = _round_status(root, rounds)
            if done:
                assert rounds < MAX_ROUNDS, f"rounds end too soon for {KILLS} kills: {context()}"
                originals |= _seed(client, _state(root), rounds * BATCH)
                rounds += 1
                migration, pending_before, done = None, None, False
            after = rng.uniform(*KILL_AFTER)
            since = len(writes.seen)
            forked = time.monotonic()
            starts.append(forked)
            pid, number = launcher.start(*argv)
            code = launcher.exit_code(after)
            if code is not None:
                log.append(f"r{rounds} ended by itself with {code} before +{after:.2f}s")
                assert code == 0, f"{launcher.tail(number)}; {context()}"
                continue
            os.kill(pid, signal.SIGKILL)
            killed = time.monotonic()
            assert launcher.exit_code(10) == -signal.SIGKILL, context()
            migration, pending_after, done = _round_status(root, rounds)
            if done:
                log.append(f"r{rounds} killed at +{after:.2f}s after it finished")
                continue
            in_hand = _in_hand(root, migration)
            kill = Kill(
                rounds, after, pending_before, pending_after, in_hand, writes.last(since), forked, killed
            )
            kills.append(kill)
        starts.append(time.monotonic())
        code, number = launcher.run(*argv)
        assert code == 0, f"the run after the last kill: {launcher.tail(number)}; {context()}"
    finally:
        launcher.close()
    runs_seconds = time.monotonic() - started

    # Every conversation moved once, to its own copy; every migration done with nothing left.
    with open_store(_state(root)) as store:
        migrations = store.migrations(WS, NAME)
        moves = [m for record in migrations for m in store.conversation_moves(WS, record.id)]
        progress = [store.migration_progress(record.id) for record in migrations]
    assert len(migrations) == rounds, context()
    for each in progress:
        assert each.migration.status is MigrationStatus.DONE, context()
        assert each.counts[ItemStatus.PENDING] == each.counts[ItemStatus.FAILED] == 0, context()
        assert each.counts[ItemStatus.DONE] == BATCH, context()
    moved = [m.conversation for m in moves]
    assert sorted(moved) == sorted(originals), f"moves: {len(moved)} of {len(originals)}; {context()}"
    copies = {m.conversation: m.new_conversation for m in moves}
    assert len(set(copies.values())) == len(copies), context()

    # Each copy holds its original's items once each, in order, upcast; each original points at it.
    wrong = wrong_copies(client, originals, copies)
    assert not wrong, f"{wrong[:5]} ({len(wrong)} in all); {context()}"

    # Orphans: copies the platform made that no move records (the emulator's storage: the API cannot list).
    # A create whose checkpoint a kill lost: made by a killed run, shortly before its kill, holding the
    # create's 20 items and nothing appended (the rerun made another copy).
    orphans: list[str] = []
    for orphan, source, held in unrecorded_copies(server, copies):
        made = writes.created.get(orphan, -1.0)
        # The run that sent it: the last one started before it arrived (the next run forks after the kill
        # and needs ~0.3 s before its first request; a dead run's request may arrive just after the kill).
        sender = max((start for start in starts if start <= made), default=None)
        by = next((k for k in kills if k.started == sender), None)
        if by is None:
            before_kill = "by a run that was not killed"
        else:
            before_kill = f"{(by.killed - made) * 1000:.0f} ms before its run's kill"
        orphans.append(f"{orphan} from {source}: {held} items, asked for {before_kill}")
        assert source in originals and held == 20 and by is not None, (
            f"not a lost create: {orphans[-1]}; {context()}"
        )
    where = {place: sum(1 for k in kills if k.where == place) for place in ("before", "during", "end")}
    last = {
        kind: sum(1 for k in kills if k.last_write == kind) for kind in ("create", "append", "label", "-")
    }
    elapsed = time.monotonic() - started
    print(
        f"\nmigration kill test: seed {SEED}, {len(originals)} conversations in {rounds} rounds, "
        f"{len(kills)} kills ({where}; last write before the kill {last}; "
        f"{sum(k.in_hand for k in kills)} workflows in hand), {len(log)} other runs, "
        f"orphans {len(orphans)} {[o.rsplit(', ', 1)[1] for o in orphans]}, "
        f"runs {runs_seconds:.1f} s, total {elapsed:.1f} s"
    )
    assert len(orphans) <= len(kills), f"{orphans}; {context()}"
