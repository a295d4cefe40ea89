"""Sticky assignment: each conversation (or thread) pinned to one version of its assistant, written once
when the runtime first sees it, so every later turn goes to the same version.

`assign_conversation` is on the runtime's request path (a new conversation waits for it), so it is one
statement when the conversation is new: an insert that does nothing when the pin exists, returning the
row only when it made it. Writers racing on one conversation therefore all end up with the first one's
version: the loser's insert does nothing and it reads the winner's row.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from itertools import islice

from reconciler.errors import StateError
from reconciler.model.rollouts import Assignment, PinConflict, PinImport
from reconciler.store import rows
from reconciler.store.guard import check_text
from reconciler.store.sqlcore import Row, SqlCore

__all__ = ["ConversationTable"]

_ASSIGN = (
    "INSERT INTO conversations (workspace, assistant, conversation, version, assigned_at, last_seen) "
    "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (workspace, assistant, conversation) DO NOTHING "
    "RETURNING version"
)


# A canary pin, written only while the rollout that chose it is active. The rollout's row is read FOR
# SHARE on PostgreSQL: an abort (which updates that row, then moves the canary's pins to stable) either
# commits first, and this insert sees it ended and writes nothing, or waits for this insert to commit and
# then moves its pin with the others. Without it a pin could land on the canary just after the abort moved
# the canary's pins, and stay there.
_ASSIGN_CANARY = (
    "INSERT INTO conversations (workspace, assistant, conversation, version, assigned_at, last_seen) "
    "SELECT ?, ?, ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM rollouts WHERE workspace = ? AND id = ? "
    "AND status IN ('progressing', 'paused'){lock}) "
    "ON CONFLICT (workspace, assistant, conversation) DO NOTHING RETURNING version"
)


# Imported pins go in chunks: one lookup of the pins already held per chunk, then one executemany of the
# new ones. The bound keeps the lookup's parameter list under SQLite's and psycopg's limits.
_IMPORT_CHUNK = 500
_IMPORT = (
    "INSERT INTO conversations (workspace, assistant, conversation, version, assigned_at, last_seen) "
    "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (workspace, assistant, conversation) DO NOTHING"
)
# A migrated conversation (moved_to set) lives on in its copy, pinned on its own: it holds nothing.
_LIVE = " AND moved_to IS NULL"


def _chunks(pins: Iterable[Assignment]) -> Iterator[list[Assignment]]:
    it = iter(pins)
    while chunk := list(islice(it, _IMPORT_CHUNK)):
        yield chunk


def _to_assignment(row: Row) -> Assignment:
    conversation, assistant, version, assigned_at, last_seen = row
    return rows.decode(
        "conversations",
        lambda: rows.row_key(assistant=assistant, conversation=conversation),
        lambda: Assignment(
            conversation=rows.text(conversation, "conversation"),
            assistant=rows.text(assistant, "assistant"),
            version=rows.integer(version, "version"),
            assigned_at=rows.timestamp(assigned_at, "assigned_at"),
            last_seen=rows.timestamp(last_seen, "last_seen"),
        ),
    )


def _to_count(assistant: str, row: Row) -> tuple[int, int]:
    version, count = row
    return rows.decode(
        "conversations",
        lambda: rows.row_key(assistant=assistant, version=version),
        lambda: (rows.integer(version, "version"), rows.integer(count, "count")),
    )


def _to_assistant_count(row: Row) -> tuple[str, int, int]:
    assistant, version, count = row
    return rows.decode(
        "conversations",
        lambda: rows.row_key(assistant=assistant, version=version),
        lambda: (
            rows.text(assistant, "assistant"),
            rows.integer(version, "version"),
            rows.integer(count, "count"),
        ),
    )


class ConversationTable(SqlCore):
    # -- reads -------------------------------------------------------------------------------------
    def assignment(self, workspace: str, assistant: str, conversation: str) -> Assignment | None:
        found = self._query(
            "SELECT conversation, assistant, version, assigned_at, last_seen FROM conversations "
            "WHERE workspace = ? AND assistant = ? AND conversation = ?",
            (self._workspace(workspace), assistant, conversation),
        )
        return _to_assignment(found[0]) if found else None

    def conversation_counts(
        self, workspace: str, assistant: str, *, seen_since: float | None = None, live_only: bool = False
    ) -> dict[int, int]:
        where = "workspace = ? AND assistant = ?"
        params: tuple[object, ...] = (self._workspace(workspace), assistant)
        if seen_since is not None:
            where += " AND last_seen >= ?"
            params += (seen_since,)
        if live_only:
            where += _LIVE
        found = self._query(
            f"SELECT version, count(*) FROM conversations WHERE {where} "  # noqa: S608 (only ? marks)
            "GROUP BY version ORDER BY version",
            params,
        )
        return dict(_to_count(assistant, row) for row in found)

    def live_conversations(self, workspace: str, *, seen_since: float) -> dict[str, dict[int, int]]:
        # One query for every assistant: a plan of many assistants must not make a round trip for each.
        found = self._query(
            "SELECT assistant, version, count(*) FROM conversations "  # noqa: S608 (a constant, no value)
            f"WHERE workspace = ? AND last_seen >= ?{_LIVE} "
            "GROUP BY assistant, version ORDER BY assistant, version",
            (self._workspace(workspace), seen_since),
        )
        out: dict[str, dict[int, int]] = {}
        for row in found:
            assistant, version, count = _to_assistant_count(row)
            out.setdefault(assistant, {})[version] = count
        return out

    # -- writes ------------------------------------------------------------------------------------
    def assign_conversation(
        self,
        workspace: str,
        assistant: str,
        conversation: str,
        version: int,
        *,
        now: float,
        rollout_id: str | None = None,
    ) -> Assignment | None:
        workspace = self._workspace(workspace)
        if not assistant or not conversation:
            raise StateError("an assignment needs an assistant and a conversation")
        check_text(conversation, what="a conversation id")
        values = (workspace, assistant, conversation, version, now, now)
        # Outside a caller's transaction the insert commits on its own: one statement, one round trip.
        if rollout_id is None:
            made = self._query(_ASSIGN, values)
        else:
            guarded = _ASSIGN_CANARY.format(lock=self.dialect.share_lock)
            made = self._query(guarded, (*values, workspace, rollout_id))
        if made:
            return Assignment(
                conversation=conversation,
                assistant=assistant,
                version=version,
                assigned_at=now,
                last_seen=now,
            )
        held = self.assignment(workspace, assistant, conversation)
        if held is None and rollout_id is None:
            # pins are never deleted; a row that vanished is a store edited by hand
            raise StateError(f"the pin of conversation {conversation!r} of {assistant} vanished while read")
        return held  # None: the rollout that chose the canary has ended; choose again

    def touch_conversations(self, workspace: str, seen: Sequence[tuple[str, str]], *, now: float) -> None:
        if not seen:
            return
        workspace = self._workspace(workspace)
        # Batches from several processes may land out of order: `last_seen` only moves forward.
        touch = (
            f"UPDATE conversations SET last_seen = {self.dialect.greatest}(last_seen, ?) "  # noqa: S608
            "WHERE workspace = ? AND assistant = ? AND conversation = ?"
        )
        with self.transaction():
            self._exec_many(touch, [(now, workspace, a, c) for a, c in dict.fromkeys(seen)])

    def import_conversations(
        self, workspace: str, pins: Iterable[Assignment], *, dry_run: bool = False
    ) -> PinImport:
        workspace = self._workspace(workspace)
        new = already = 0
        conflicts: list[PinConflict] = []
        with self.transaction():
            for chunk in _chunks(pins):
                held = self._held(workspace, chunk)
                fresh: list[tuple[object, ...]] = []
                for pin in chunk:
                    key = (pin.assistant, pin.conversation)
                    if key in held:
                        already += 1
                        if held[key] != pin.version:
                            conflicts.append(
                                PinConflict(
                                    conversation=pin.conversation,
                                    assistant=pin.assistant,
                                    held=held[key],
                                    imported=pin.version,
                                )
                            )
                        continue
                    if not pin.assistant or not pin.conversation:
                        raise StateError("an imported pin needs an assistant and a conversation")
                    check_text(pin.conversation, what="a conversation id")
                    held[key] = pin.version  # a second row for it later in the chunk finds this pin
                    fresh.append(
                        (
                            workspace,
                            pin.assistant,
                            pin.conversation,
                            pin.version,
                            pin.assigned_at,
                            pin.last_seen,
                        )
                    )
                # DO NOTHING still guards a runtime pinning one of these between the lookup and here.
                if not dry_run:
                    self._exec_many(_IMPORT, fresh)
                new += len(fresh)
        return PinImport(new=new, already=already, conflicts=tuple(conflicts))

    def _held(self, workspace: str, chunk: Sequence[Assignment]) -> dict[tuple[str, str], int]:
        """(assistant, conversation) -> the version of the pins the store already holds for `chunk`."""
        by_assistant: dict[str, list[str]] = {}
        for pin in chunk:
            by_assistant.setdefault(pin.assistant, []).append(pin.conversation)
        held: dict[tuple[str, str], int] = {}
        for assistant, conversations in by_assistant.items():
            marks = ", ".join("?" * len(conversations))
            found = self._query(
                "SELECT conversation, version FROM conversations "  # noqa: S608 (only ? marks)
                f"WHERE workspace = ? AND assistant = ? AND conversation IN ({marks})",
                (workspace, assistant, *conversations),
            )
            for conversation, version in found:
                held[(assistant, str(conversation))] = rows.decode(
                    "conversations",
                    lambda: rows.row_key(assistant=assistant, conversation=conversation),  # noqa: B023
                    lambda: rows.integer(version, "version"),  # noqa: B023 (called at once)
                )
        return held

    def reassign_conversations(
        self, workspace: str, assistant: str, from_version: int, to_version: int, *, now: float
    ) -> int:
        workspace = self._workspace(workspace)
        if from_version == to_version:
            return 0
        return self._exec(
            "UPDATE conversations SET version = ?, assigned_at = ? "
            "WHERE workspace = ? AND assistant = ? AND version = ?",
            (to_version, now, workspace, assistant, from_version),
        )
