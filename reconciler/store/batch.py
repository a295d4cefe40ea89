"""Batched apply writes: the journal rows, inventory records, versions and pointer moves of a group of
apply steps in one transaction, each kind of row with one statement, so a large apply costs the store a
few statements per group instead of fifteen per step.
"""

from __future__ import annotations

from collections.abc import Sequence

from reconciler.errors import StateError
from reconciler.model.stored import PointerMove
from reconciler.store.guard import check_text
from reconciler.store.inventory import DELETE_INVENTORY, UPSERT_INVENTORY, inventory_row
from reconciler.store.journal import UPSERT_STEP, step_row
from reconciler.store.records import ApplyStatus, PointerWrite, WriteBatch
from reconciler.store.release_tables import INSERT_MOVE, UPSERT_POINTER, move_row, version_row
from reconciler.store.sqlcore import SqlCore

__all__ = ["BatchTable"]

# SQLite's oldest builds allow 999 parameters a statement: look-ups by name go in chunks well below.
_CHUNK = 400


class BatchTable(SqlCore):
    def write_batch(
        self, workspace: str, batch: WriteBatch, *, user: str, host: str, now: float
    ) -> tuple[PointerMove, ...]:
        workspace = self._workspace(workspace)
        # Encoded before the transaction: a value the guard refuses fails the batch before it begins.
        steps = [step_row(batch.apply_id, s.step_key, s.status, s.detail, now) for s in batch.steps]
        upserts = [inventory_row(workspace, r) for r in batch.upserts]
        deletes = [(workspace, k.kind.value, k.name) for k in batch.deletes]
        versions = [version_row(workspace, v) for v in batch.versions]
        for move in batch.moves:
            check_text(move.reason, what="the reason of a pointer move")
        with self.transaction():
            if steps:
                self._require_running_apply(batch.apply_id)
            assistants = {v.assistant for v in batch.versions} | {m.assistant for m in batch.moves}
            self._serialize_all(
                [f"versions/{workspace}/{a}" for a in assistants]
                + [f"pointers/{workspace}/{m.assistant}" for m in batch.moves]
            )
            self._exec_many(UPSERT_INVENTORY, upserts)
            self._exec_many(DELETE_INVENTORY, deletes)
            self._exec_many(_INSERT_VERSION, versions)
            moves = self._move_pointers(workspace, batch.moves, user=user, host=host, now=now)
            self._exec_many(UPSERT_STEP, steps)
        return moves

    def _require_running_apply(self, apply_id: str) -> None:
        found = self._query("SELECT status FROM applies WHERE apply_id = ?", (apply_id,))
        if not found:
            raise StateError(f"no apply with id {apply_id!r} in the journal")
        if found[0][0] != ApplyStatus.RUNNING.value:
            raise StateError(f"apply {apply_id} already finished ({found[0][0]}); its journal is closed")

    def _move_pointers(
        self, workspace: str, moves: Sequence[PointerWrite], *, user: str, host: str, now: float
    ) -> tuple[PointerMove, ...]:
        """The moves that change a pointer, checked as `move_pointer` checks one: to an existing version
        that was not deleted."""
        if not moves:
            return ()
        names = sorted({m.assistant for m in moves})
        deleted: dict[tuple[str, int], bool] = {}
        current: dict[tuple[str, str], int] = {}
        for start in range(0, len(names), _CHUNK):
            chunk = names[start : start + _CHUNK]
            within = f"workspace = ? AND assistant IN ({', '.join('?' * len(chunk))})"
            for assistant, number, gone in self._query(
                "SELECT assistant, number, deleted FROM versions WHERE " + within,  # noqa: S608 (only ? marks)
                (workspace, *chunk),
            ):
                deleted[(str(assistant), int(number))] = bool(gone)
            for assistant, pointer, version in self._query(
                "SELECT assistant, pointer, version FROM pointers WHERE " + within,  # noqa: S608 (only ? marks)
                (workspace, *chunk),
            ):
                current[(str(assistant), str(pointer))] = int(version)
        made: list[PointerMove] = []
        for move in moves:
            gone = deleted.get((move.assistant, move.to_version))
            if gone is None:
                raise StateError(f"{move.assistant} has no version {move.to_version} in {workspace}")
            if gone:
                raise StateError(
                    f"{move.assistant} version {move.to_version} was deleted; it cannot serve traffic"
                )
            before = current.get((move.assistant, move.pointer))
            if before == move.to_version:
                continue
            made.append(
                PointerMove(
                    assistant=move.assistant,
                    pointer=move.pointer,
                    from_version=before,
                    to_version=move.to_version,
                    at=now,
                    user=user,
                    host=host,
                    reason=move.reason,
                    accepted=move.accepted,
                )
            )
        self._exec_many(
            UPSERT_POINTER, [(workspace, m.assistant, m.pointer, m.to_version, now) for m in made]
        )
        self._exec_many(INSERT_MOVE, [move_row(workspace, m) for m in made])
        return tuple(made)


# A version already recorded keeps its row; only its bundle may be rewritten, and only when the behaviour
# is the same (a bundle's metadata, name or description changed in place, as a platform assistant's would).
_INSERT_VERSION = (
    "INSERT INTO versions (workspace, assistant, number, platform_id, fingerprint, parent, created_at, "
    "verdict, deleted, bundle, tools) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
    "ON CONFLICT (workspace, assistant, number) DO UPDATE SET bundle = excluded.bundle "
    "WHERE versions.fingerprint = excluded.fingerprint AND versions.bundle <> excluded.bundle"
)
