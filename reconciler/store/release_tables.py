"""Assistant versions and release pointers: immutable version rows, the pointer each name holds, and the
append-only history of every pointer move (from, to, when, user, host, why), clears included.
"""

from __future__ import annotations

from pydantic import ValidationError

from reconciler.errors import StateError
from reconciler.model.stored import Acceptance, PointerMove, VersionRecord
from reconciler.store import rows
from reconciler.store.guard import check_text, dump_json
from reconciler.store.sqlcore import Row, SqlCore

__all__ = ["ReleaseTables"]


def _to_version(row: Row) -> VersionRecord:
    assistant, number, platform_id, fingerprint, parent, created_at, verdict, deleted, bundle, tools = row
    return rows.decode(
        "versions",
        lambda: rows.row_key(assistant=assistant, number=number),
        lambda: VersionRecord(
            assistant=rows.text(assistant, "assistant"),
            number=rows.integer(number, "number"),
            platform_id=rows.text(platform_id, "platform_id"),
            fingerprint=rows.text(fingerprint, "fingerprint"),
            parent=rows.optional_integer(parent, "parent"),
            created_at=rows.timestamp(created_at, "created_at"),
            verdict=rows.json_object(verdict, "verdict"),
            deleted=rows.flag(deleted, "deleted"),
            bundle=rows.json_object(bundle, "bundle"),
            tools=rows.json_object(tools, "tools"),
        ),
    )


def _to_acceptance(value: object) -> Acceptance | None:
    raw = rows.json_object(value, "accepted")
    if not raw:
        return None
    try:
        return Acceptance.model_validate(raw)
    except ValidationError as exc:
        raise StateError(
            "the state store's pointer_history table holds an unreadable acceptance: "
            f"{exc.errors()[0]['msg']}"
        ) from None


def _to_move(row: Row) -> PointerMove:
    assistant, pointer, from_version, to_version, at, user, host, reason, cleared, accepted = row
    return rows.decode(
        "pointer_history",
        lambda: rows.row_key(assistant=assistant, pointer=pointer, moved_at=at),
        lambda: PointerMove(
            assistant=rows.text(assistant, "assistant"),
            pointer=rows.text(pointer, "pointer"),
            from_version=rows.optional_integer(from_version, "from_version"),
            to_version=None if rows.flag(cleared, "cleared") else rows.integer(to_version, "to_version"),
            at=rows.timestamp(at, "moved_at"),
            user=rows.text(user, "moved_by_user"),
            host=rows.text(host, "moved_by_host"),
            reason=rows.text(reason, "reason"),
            accepted=_to_acceptance(accepted),
        ),
    )


def _to_pointer(row: Row) -> tuple[str, str, int]:
    assistant, pointer, version = row
    return rows.decode(
        "pointers",
        lambda: rows.row_key(assistant=assistant, pointer=pointer),
        lambda: (
            rows.text(assistant, "assistant"),
            rows.text(pointer, "pointer"),
            rows.integer(version, "version"),
        ),
    )


UPSERT_POINTER = (
    "INSERT INTO pointers (workspace, assistant, pointer, version, updated_at) "
    "VALUES (?, ?, ?, ?, ?) ON CONFLICT (workspace, assistant, pointer) DO UPDATE SET "
    "version = excluded.version, updated_at = excluded.updated_at"
)
INSERT_MOVE = (
    "INSERT INTO pointer_history (workspace, assistant, pointer, from_version, to_version, "
    "moved_at, moved_by_user, moved_by_host, reason, accepted) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


def version_row(workspace: str, version: VersionRecord) -> Row:
    if version.number < 1:
        raise StateError(f"version numbers start at 1, got {version.number} for {version.assistant}")
    verdict = dump_json(version.verdict, what=f"verdict of {version.assistant} v{version.number}")
    return (
        workspace,
        version.assistant,
        version.number,
        check_text(version.platform_id, what="platform id"),
        version.fingerprint,
        version.parent,
        version.created_at,
        verdict,
        int(version.deleted),
        dump_json(version.bundle, what=f"bundle of {version.assistant} v{version.number}"),
        dump_json(version.tools, what=f"tools of {version.assistant} v{version.number}"),
    )


def move_row(workspace: str, move: PointerMove) -> Row:
    accepted = dump_json(
        move.accepted.model_dump(mode="json") if move.accepted else {},
        what="the acceptance of a pointer move",
    )
    return (
        workspace,
        move.assistant,
        move.pointer,
        move.from_version,
        move.to_version,
        move.at,
        move.user,
        move.host,
        move.reason,
        accepted,
    )


# A cleared pointer's history row keeps the version it let go in `to_version` too (the column is NOT NULL).
_INSERT_CLEARED = (
    "INSERT INTO pointer_history (workspace, assistant, pointer, from_version, to_version, "
    "moved_at, moved_by_user, moved_by_host, reason, cleared) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 1)"
)


_VERSION_COLUMNS = (
    "SELECT assistant, number, platform_id, fingerprint, parent, created_at, verdict, deleted, bundle, tools "
)


class ReleaseTables(SqlCore):
    # -- reads -------------------------------------------------------------------------------------
    def versions(self, workspace: str, assistant: str) -> tuple[VersionRecord, ...]:
        found = self._query(
            _VERSION_COLUMNS + "FROM versions WHERE workspace = ? AND assistant = ? ORDER BY number",
            (self._workspace(workspace), assistant),
        )
        return tuple(_to_version(row) for row in found)

    def _all_versions(self, workspace: str) -> tuple[VersionRecord, ...]:
        found = self._query(
            _VERSION_COLUMNS + "FROM versions WHERE workspace = ? ORDER BY assistant, number",
            (self._workspace(workspace),),
        )
        return tuple(_to_version(row) for row in found)

    def pointers(self, workspace: str, assistant: str) -> dict[str, int]:
        found = self._query(
            "SELECT assistant, pointer, version FROM pointers WHERE workspace = ? AND assistant = ? "
            "ORDER BY pointer",
            (self._workspace(workspace), assistant),
        )
        return {pointer: version for _, pointer, version in map(_to_pointer, found)}

    def _all_pointers(self, workspace: str) -> dict[str, dict[str, int]]:
        found = self._query(
            "SELECT assistant, pointer, version "
            "FROM pointers "
            "WHERE workspace = ? "
            "ORDER BY assistant, pointer",
            (self._workspace(workspace),),
        )
        result: dict[str, dict[str, int]] = {}
        for assistant, pointer, version in map(_to_pointer, found):
            result.setdefault(assistant, {})[pointer] = version
        return result

    def pointer_history(self, workspace: str, assistant: str) -> tuple[PointerMove, ...]:
        found = self._query(
            "SELECT assistant, pointer, from_version, to_version, moved_at, moved_by_user, moved_by_host, "
            "reason, cleared, accepted "
            "FROM pointer_history "
            "WHERE workspace = ? AND assistant = ? "
            "ORDER BY id",
            (self._workspace(workspace), assistant),
        )
        return tuple(_to_move(row) for row in found)

    def _all_acceptances(self, workspace: str) -> tuple[Acceptance, ...]:
        found = self._query(
            "SELECT accepted FROM pointer_history WHERE workspace = ? AND accepted <> '{}' ORDER BY id",
            (self._workspace(workspace),),
        )
        return tuple(a for (text,) in found if (a := _to_acceptance(text)) is not None)

    # -- writes ------------------------------------------------------------------------------------
    def add_version(self, workspace: str, version: VersionRecord) -> None:
        row = version_row(workspace, version)
        with self.transaction():
            self._serialize(f"versions/{workspace}/{version.assistant}")
            exists = self._query(
                "SELECT 1 FROM versions WHERE workspace = ? AND assistant = ? AND number = ?",
                (self._workspace(workspace), version.assistant, version.number),
            )
            if exists:
                raise StateError(
                    f"{version.assistant} version {version.number} already exists in {workspace}"
                )
            self._exec(
                "INSERT INTO versions (workspace, assistant, number, platform_id, fingerprint, parent, "
                "created_at, verdict, deleted, bundle, tools) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                row,
            )

    def mark_version_deleted(self, workspace: str, assistant: str, number: int) -> None:
        with self.transaction():
            self._serialize(f"pointers/{workspace}/{assistant}")
            holders = self._query(
                "SELECT pointer FROM pointers WHERE workspace = ? AND assistant = ? AND version = ? "
                "ORDER BY pointer",
                (self._workspace(workspace), assistant, number),
            )
            if holders:
                names = ", ".join(str(row[0]) for row in holders)
                raise StateError(f"{assistant} version {number} is held by pointer {names}; move it first")
            changed = self._exec(
                "UPDATE versions SET deleted = 1 WHERE workspace = ? AND assistant = ? AND number = ?",
                (workspace, assistant, number),
            )
            if not changed:
                raise StateError(f"{assistant} has no version {number} in {workspace}")

    def move_pointer(
        self,
        workspace: str,
        assistant: str,
        pointer: str,
        to_version: int,
        *,
        user: str,
        host: str,
        reason: str,
        now: float,
        accepted: Acceptance | None = None,
    ) -> PointerMove:
        if not pointer:
            raise StateError("a release pointer needs a name")
        check_text(reason, what="the reason of a pointer move")
        with self.transaction():
            # Serialise movers of this assistant's pointers so `from_version` is the value we replace,
            # even when the pointer row does not exist yet (nothing to SELECT ... FOR UPDATE).
            self._serialize(f"pointers/{workspace}/{assistant}")
            target = self._query(
                "SELECT deleted FROM versions WHERE workspace = ? AND assistant = ? AND number = ?",
                (self._workspace(workspace), assistant, to_version),
            )
            if not target:
                raise StateError(f"{assistant} has no version {to_version} in {workspace}")
            if target[0][0]:
                raise StateError(f"{assistant} version {to_version} was deleted; it cannot serve traffic")
            current = self._query(
                "SELECT assistant, pointer, version FROM pointers "
                "WHERE workspace = ? AND assistant = ? AND pointer = ?",
                (workspace, assistant, pointer),
            )
            from_version = _to_pointer(current[0])[2] if current else None
            move = PointerMove(
                assistant=assistant,
                pointer=pointer,
                from_version=from_version,
                to_version=to_version,
                at=now,
                user=user,
                host=host,
                reason=reason,
                accepted=accepted,
            )
            self._exec(UPSERT_POINTER, (workspace, assistant, pointer, to_version, now))
            self._exec(INSERT_MOVE, move_row(workspace, move))
        return move

    def clear_pointers(
        self, workspace: str, assistant: str, *, user: str, host: str, reason: str, now: float
    ) -> tuple[PointerMove, ...]:
        check_text(reason, what="the reason of a pointer move")
        with self.transaction():
            self._serialize(f"pointers/{workspace}/{assistant}")
            held = self._query(
                "SELECT pointer, version FROM pointers WHERE workspace = ? AND assistant = ? "
                "ORDER BY pointer",
                (self._workspace(workspace), assistant),
            )
            self._exec("DELETE FROM pointers WHERE workspace = ? AND assistant = ?", (workspace, assistant))
            for pointer, version in held:
                self._exec(
                    _INSERT_CLEARED,
                    (workspace, assistant, pointer, version, version, now, user, host, reason),
                )
        return tuple(
            PointerMove(
                assistant=assistant,
                pointer=str(pointer),
                from_version=int(version),
                to_version=None,
                at=now,
                user=user,
                host=host,
                reason=reason,
            )
            for pointer, version in held
        )

    def clear_pointer(
        self, workspace: str, assistant: str, pointer: str, *, user: str, host: str, reason: str, now: float
    ) -> PointerMove | None:
        check_text(reason, what="the reason of a pointer move")
        with self.transaction():
            self._serialize(f"pointers/{workspace}/{assistant}")
            held = self._query(
                "SELECT assistant, pointer, version FROM pointers "
                "WHERE workspace = ? AND assistant = ? AND pointer = ?",
                (self._workspace(workspace), assistant, pointer),
            )
            if not held:
                return None
            version = _to_pointer(held[0])[2]
            self._exec(
                "DELETE FROM pointers WHERE workspace = ? AND assistant = ? AND pointer = ?",
                (workspace, assistant, pointer),
            )
            self._exec(
                _INSERT_CLEARED, (workspace, assistant, pointer, version, version, now, user, host, reason)
            )
        return PointerMove(
            assistant=assistant,
            pointer=pointer,
            from_version=version,
            to_version=None,
            at=now,
            user=user,
            host=host,
            reason=reason,
        )
