"""Conversation migrations in the store: each migration run, the conversations it covers (one row each, the
unit of work), and the moves the runtime follows (`model.moves`).

A conversation finished is one transaction: its item marked done, its move recorded, its copy pinned to
the target version and its own pin marked moved. A worker killed at any point leaves either all of that or
none of it, so a rerun of the unit either finds it done or does it again from the start. `finish_item`
refuses to finish an item twice (the second caller learns who won), which is what keeps two workers that
both ran one conversation from recording two copies.
"""

from __future__ import annotations

from collections.abc import Sequence

from reconciler.errors import StateError
from reconciler.model.moves import (
    ConversationMove,
    ItemStatus,
    MigrationItem,
    MigrationOptions,
    MigrationProgress,
    MigrationRecord,
    MigrationStatus,
)
from reconciler.store import rows
from reconciler.store.guard import check_text
from reconciler.store.sqlcore import Row, SqlCore

__all__ = ["MigrationTables"]

_MIGRATION_COLUMNS = (
    "id, workspace, assistant, to_version, flavour, options, status, total, created_at, updated_at, "
    "by_user, by_host, message"
)
_ITEM_COLUMNS = (
    "migration_id, conversation, from_version, status, new_conversation, items, error, updated_at, "
    "delete_after, deleted_at"
)
_MOVE_COLUMNS = (
    "workspace, assistant, conversation, to_version, new_conversation, from_version, migration_id, moved_at"
)


def _to_migration(row: Row) -> MigrationRecord:
    (mid, workspace, assistant, to_version, _flavour, options, status, total, created_at, updated_at,
     by_user, by_host, message) = row  # fmt: skip
    return rows.decode(
        "conversation_migrations",
        lambda: rows.row_key(id=mid),
        lambda: MigrationRecord(
            id=rows.text(mid, "id"),
            workspace=rows.text(workspace, "workspace"),
            assistant=rows.text(assistant, "assistant"),
            to_version=rows.integer(to_version, "to_version"),
            options=MigrationOptions.model_validate(rows.json_object(options, "options")),
            status=MigrationStatus(rows.text(status, "status")),
            total=rows.integer(total, "total"),
            created_at=rows.timestamp(created_at, "created_at"),
            updated_at=rows.timestamp(updated_at, "updated_at"),
            by_user=rows.text(by_user, "by_user"),
            by_host=rows.text(by_host, "by_host"),
            message=rows.text(message, "message"),
        ),
    )


def _to_item(row: Row) -> MigrationItem:
    (mid, conversation, from_version, status, new_conversation, items, error, updated_at, delete_after,
     deleted_at) = row  # fmt: skip
    return rows.decode(
        "migration_items",
        lambda: rows.row_key(migration=mid, conversation=conversation),
        lambda: MigrationItem(
            migration_id=rows.text(mid, "migration_id"),
            conversation=rows.text(conversation, "conversation"),
            from_version=rows.integer(from_version, "from_version"),
            status=ItemStatus(rows.text(status, "status")),
            new_conversation=None if new_conversation is None else rows.text(new_conversation, "copy"),
            items=rows.integer(items, "items"),
            error=rows.text(error, "error"),
            updated_at=rows.timestamp(updated_at, "updated_at"),
            delete_after=rows.optional_timestamp(delete_after, "delete_after"),
            deleted_at=rows.optional_timestamp(deleted_at, "deleted_at"),
        ),
    )


def _to_move(row: Row) -> ConversationMove:
    workspace, assistant, conversation, to_version, new_conversation, from_version, mid, moved_at = row
    return rows.decode(
        "conversation_moves",
        lambda: rows.row_key(assistant=assistant, conversation=conversation, to_version=to_version),
        lambda: ConversationMove(
            workspace=rows.text(workspace, "workspace"),
            assistant=rows.text(assistant, "assistant"),
            conversation=rows.text(conversation, "conversation"),
            to_version=rows.integer(to_version, "to_version"),
            new_conversation=rows.text(new_conversation, "new_conversation"),
            from_version=rows.integer(from_version, "from_version"),
            migration_id=rows.text(mid, "migration_id"),
            moved_at=rows.timestamp(moved_at, "moved_at"),
        ),
    )


class MigrationTables(SqlCore):
    # -- migrations --------------------------------------------------------------------------------
    def start_migration(self, record: MigrationRecord, conversations: Sequence[tuple[str, int]]) -> None:
        """Record a migration and its items (conversation, from version), all pending, in one transaction."""
        workspace = self._workspace(record.workspace)
        for conversation, _ in conversations:
            check_text(conversation, what="a conversation id")
        with self.transaction():
            self._exec(
                f"INSERT INTO conversation_migrations ({_MIGRATION_COLUMNS}) "  # noqa: S608 (only ? marks)
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    record.id, workspace, record.assistant, record.to_version, record.options.flavour,
                    record.options.model_dump_json(), record.status.value, record.total, record.created_at,
                    record.updated_at, record.by_user, record.by_host, record.message,
                ),
            )  # fmt: skip
            self._exec_many(
                "INSERT INTO migration_items (migration_id, conversation, from_version, status, updated_at) "
                "VALUES (?, ?, ?, ?, ?)",
                [(record.id, c, v, ItemStatus.PENDING.value, record.created_at) for c, v in conversations],
            )

    def migration(self, migration_id: str) -> MigrationRecord | None:
        found = self._query(
            f"SELECT {_MIGRATION_COLUMNS} FROM conversation_migrations WHERE id = ?",  # noqa: S608
            (migration_id,),
        )
        return _to_migration(found[0]) if found else None

    def migrations(self, workspace: str, assistant: str | None = None) -> tuple[MigrationRecord, ...]:
        """The workspace's migrations (of one assistant), oldest first."""
        where, params = "workspace = ?", [self._workspace(workspace)]
        if assistant is not None:
            where, params = where + " AND assistant = ?", [*params, assistant]
        found = self._query(
            f"SELECT {_MIGRATION_COLUMNS} FROM conversation_migrations WHERE {where} "  # noqa: S608
            "ORDER BY created_at, id",
            params,
        )
        return tuple(_to_migration(row) for row in found)

    def set_migration_status(
        self, migration_id: str, status: MigrationStatus, *, now: float, message: str = ""
    ) -> bool:
        """Move a running migration to `status`; False when it had already finished (a cancel after the
        last item, or a second cancel), which changes nothing."""
        changed = self._exec(
            "UPDATE conversation_migrations SET status = ?, updated_at = ?, message = ? "
            "WHERE id = ? AND status = ?",
            (status.value, now, message, migration_id, MigrationStatus.RUNNING.value),
        )
        return changed > 0

    def migration_progress(self, migration_id: str) -> MigrationProgress:
        record = self.migration(migration_id)
        if record is None:
            raise StateError(f"no conversation migration {migration_id!r}")
        found = self._query(
            "SELECT status, count(*) FROM migration_items WHERE migration_id = ? GROUP BY status",
            (migration_id,),
        )
        counts = {status: 0 for status in ItemStatus}
        for status, count in found:
            counts[ItemStatus(rows.text(status, "status"))] = rows.integer(count, "count")
        return MigrationProgress(migration=record, counts=counts)

    # -- items -------------------------------------------------------------------------------------
    def migration_items(
        self, migration_id: str, *, status: ItemStatus | None = None, limit: int | None = None
    ) -> tuple[MigrationItem, ...]:
        where, params = "migration_id = ?", [migration_id]
        if status is not None:
            where, params = where + " AND status = ?", [*params, status.value]
        tail = f" LIMIT {int(limit)}" if limit is not None else ""
        found = self._query(
            f"SELECT {_ITEM_COLUMNS} FROM migration_items WHERE {where} "  # noqa: S608 (only ? marks)
            f"ORDER BY conversation{tail}",
            params,
        )
        return tuple(_to_item(row) for row in found)

    def items_settled_since(self, migration_id: str, *, since: float) -> int:
        """How many of the migration's items were settled (done, failed, skipped) at or after `since`."""
        found = self._query(
            "SELECT count(*) FROM migration_items WHERE migration_id = ? AND status <> ? AND updated_at >= ?",
            (migration_id, ItemStatus.PENDING.value, since),
        )
        return rows.integer(found[0][0], "count")

    def migration_item(self, migration_id: str, conversation: str) -> MigrationItem | None:
        found = self._query(
            f"SELECT {_ITEM_COLUMNS} FROM migration_items "  # noqa: S608 (only ? marks)
            "WHERE migration_id = ? AND conversation = ?",
            (migration_id, conversation),
        )
        return _to_item(found[0]) if found else None

    def finish_item(self, move: ConversationMove, *, items: int, delete_after: float | None) -> bool:
        """Conversation moved: item done, move recorded, the copy pinned to the target version, the old pin
        marked moved (Responses era; on Assistants v2 `new_conversation` is the thread itself, whose pin
        moves to the target version). False, with nothing written, when the item was no longer pending."""
        workspace = self._workspace(move.workspace)
        check_text(move.new_conversation, what="a conversation id")
        with self.transaction():
            claimed = self._exec(
                "UPDATE migration_items SET status = ?, new_conversation = ?, items = ?, updated_at = ?, "
                "delete_after = ? WHERE migration_id = ? AND conversation = ? AND status = ?",
                (
                    ItemStatus.DONE.value, move.new_conversation, items, move.moved_at, delete_after,
                    move.migration_id, move.conversation, ItemStatus.PENDING.value,
                ),
            )  # fmt: skip
            if not claimed:
                return False
            self._exec(
                f"INSERT INTO conversation_moves ({_MOVE_COLUMNS}) "  # noqa: S608 (only ? marks)
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    workspace, move.assistant, move.conversation, move.to_version, move.new_conversation,
                    move.from_version, move.migration_id, move.moved_at,
                ),
            )  # fmt: skip
            if move.new_conversation == move.conversation:  # a thread moves in place
                self._exec(
                    "UPDATE conversations SET version = ?, assigned_at = ? "
                    "WHERE workspace = ? AND assistant = ? AND conversation = ?",
                    (move.to_version, move.moved_at, workspace, move.assistant, move.conversation),
                )
                return True
            self._exec(
                "INSERT INTO conversations (workspace, assistant, conversation, version, assigned_at, "
                "last_seen) VALUES (?, ?, ?, ?, ?, "
                "COALESCE((SELECT last_seen FROM conversations WHERE workspace = ? AND assistant = ? "
                "AND conversation = ?), ?)) ON CONFLICT (workspace, assistant, conversation) DO NOTHING",
                (
                    workspace, move.assistant, move.new_conversation, move.to_version, move.moved_at,
                    workspace, move.assistant, move.conversation, move.moved_at,
                ),
            )  # fmt: skip
            self._exec(
                "UPDATE conversations SET moved_to = ? WHERE workspace = ? AND assistant = ? "
                "AND conversation = ?",
                (move.new_conversation, workspace, move.assistant, move.conversation),
            )
        return True

    def settle_item(
        self, migration_id: str, conversation: str, status: ItemStatus, *, error: str, now: float
    ) -> bool:
        """A pending item failed or was skipped; False when it was no longer pending."""
        if status not in (ItemStatus.FAILED, ItemStatus.SKIPPED):
            raise StateError(f"an item is settled as failed or skipped, not {status.value}")
        return (
            self._exec(
                "UPDATE migration_items SET status = ?, error = ?, updated_at = ? "
                "WHERE migration_id = ? AND conversation = ? AND status = ?",
                (status.value, error[:2000], now, migration_id, conversation, ItemStatus.PENDING.value),
            )
            > 0
        )

    def items_due_for_deletion(self, workspace: str, *, now: float, limit: int) -> tuple[MigrationItem, ...]:
        """Old conversations whose `--delete-after` has passed and that are not deleted yet."""
        found = self._query(
            f"SELECT {', '.join('i.' + c.strip() for c in _ITEM_COLUMNS.split(','))} "  # noqa: S608
            "FROM migration_items i JOIN conversation_migrations m ON m.id = i.migration_id "
            "WHERE m.workspace = ? AND i.status = ? AND i.delete_after IS NOT NULL AND i.delete_after <= ? "
            f"AND i.deleted_at IS NULL ORDER BY i.delete_after LIMIT {int(limit)}",
            (self._workspace(workspace), ItemStatus.DONE.value, now),
        )
        return tuple(_to_item(row) for row in found)

    def mark_deleted(self, migration_id: str, conversation: str, *, now: float) -> None:
        self._exec(
            "UPDATE migration_items SET deleted_at = ? WHERE migration_id = ? AND conversation = ?",
            (now, migration_id, conversation),
        )

    # -- moves -------------------------------------------------------------------------------------
    def conversation_move(self, workspace: str, assistant: str, conversation: str) -> ConversationMove | None:
        """The latest move of `conversation` (to the highest version), or None when it never moved."""
        found = self._query(
            f"SELECT {_MOVE_COLUMNS} FROM conversation_moves "  # noqa: S608 (only ? marks)
            "WHERE workspace = ? AND assistant = ? AND conversation = ? ORDER BY to_version DESC LIMIT 1",
            (self._workspace(workspace), assistant, conversation),
        )
        return _to_move(found[0]) if found else None

    def conversation_moves(self, workspace: str, migration_id: str) -> tuple[ConversationMove, ...]:
        found = self._query(
            f"SELECT {_MOVE_COLUMNS} FROM conversation_moves "  # noqa: S608 (only ? marks)
            "WHERE workspace = ? AND migration_id = ? ORDER BY conversation",
            (self._workspace(workspace), migration_id),
        )
        return tuple(_to_move(row) for row in found)

    def pinned_conversations(
        self, workspace: str, assistant: str, *, versions: Sequence[int], seen_since: float | None
    ) -> tuple[tuple[str, int], ...]:
        """(conversation, version) of the conversations pinned to one of `versions`, not moved, last seen
        at or after `seen_since`: what a migration covers."""
        if not versions:
            return ()
        marks = ", ".join("?" for _ in versions)
        where = f"workspace = ? AND assistant = ? AND version IN ({marks}) AND moved_to IS NULL"
        params: list[object] = [self._workspace(workspace), assistant, *versions]
        if seen_since is not None:
            where, params = where + " AND last_seen >= ?", [*params, seen_since]
        found = self._query(
            f"SELECT conversation, version FROM conversations WHERE {where} "  # noqa: S608 (only ? marks)
            "ORDER BY conversation",
            params,
        )
        return tuple((rows.text(c, "conversation"), rows.integer(v, "version")) for c, v in found)
