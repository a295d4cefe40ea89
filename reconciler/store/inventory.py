"""The inventory table: platform objects we created or adopted, keyed by workspace and resource key.

The table's `path` column is empty since migration 0007 gave vector-store files keys of their own kind;
it stays because it is part of the primary key.
"""

from __future__ import annotations

from typing import Any

from reconciler.model.desired import ResourceKey
from reconciler.model.interning import share_tools
from reconciler.model.stored import InventoryRecord
from reconciler.store import rows
from reconciler.store.guard import check_text, dump_json
from reconciler.store.sqlcore import Row, SqlCore

__all__ = ["DELETE_INVENTORY", "UPSERT_INVENTORY", "InventoryTable", "inventory_row"]


UPSERT_INVENTORY = (
    "INSERT INTO inventory (workspace, kind, name, path, platform_id, fingerprint, live_hash, "
    "protect, attributes, updated_at) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
    "ON CONFLICT (workspace, kind, name, path) DO UPDATE SET "
    "platform_id = excluded.platform_id, fingerprint = excluded.fingerprint, "
    "live_hash = excluded.live_hash, protect = excluded.protect, "
    "attributes = excluded.attributes, updated_at = excluded.updated_at"
)
# `path` stays in the key of old states' tables; since records of vector-store files have their own kind
# (migration 0007) it is always empty.
DELETE_INVENTORY = "DELETE FROM inventory WHERE workspace = ? AND kind = ? AND name = ? AND path = ''"


def inventory_row(workspace: str, record: InventoryRecord) -> tuple[Any, ...]:
    """The parameters of UPSERT_INVENTORY for one record, its attributes encoded and checked."""
    return (
        workspace,
        record.key.kind.value,
        record.key.name,
        "",
        check_text(record.platform_id, what=f"platform id of {record.key}"),
        record.fingerprint,
        record.live_hash,
        int(record.protect),
        dump_json(record.attributes, what=f"inventory attributes of {record.key}"),
        record.updated_at,
    )


def _attributes(value: object) -> dict[str, Any]:
    # An assistant's record keeps the spec its apply left (for drift): its tools are the catalogue's,
    # held once for every record, as the desired and live specs hold them (`model.interning`).
    attributes = rows.json_object(value, "attributes")
    share_tools(attributes.get("spec"))
    return attributes


def _to_record(workspace: str, row: Row) -> InventoryRecord:
    kind, name, path, platform_id, fingerprint, live_hash, protect, attributes, updated_at = row
    return rows.decode(
        "inventory",
        lambda: rows.row_key(workspace=workspace, kind=kind, name=name, path=path),
        lambda: InventoryRecord(
            key=ResourceKey.parse(f"{rows.text(kind, 'kind')}/{rows.text(name, 'name')}"),
            platform_id=rows.text(platform_id, "platform_id"),
            fingerprint=rows.text(fingerprint, "fingerprint"),
            live_hash=rows.text(live_hash, "live_hash"),
            protect=rows.flag(protect, "protect"),
            attributes=_attributes(attributes),
            updated_at=rows.timestamp(updated_at, "updated_at"),
        ),
    )


class InventoryTable(SqlCore):
    def inventory(self, workspace: str) -> tuple[InventoryRecord, ...]:
        found = self._query(
            "SELECT kind, name, path, platform_id, fingerprint, live_hash, protect, attributes, updated_at "
            "FROM inventory "
            "WHERE workspace = ? "
            "ORDER BY kind, name, path",
            (self._workspace(workspace),),
        )
        return tuple(_to_record(workspace, row) for row in found)

    def upsert_inventory(self, workspace: str, record: InventoryRecord) -> None:
        with self.transaction():
            self._exec(UPSERT_INVENTORY, inventory_row(self._workspace(workspace), record))

    def delete_inventory(self, workspace: str, key: ResourceKey) -> bool:
        with self.transaction():
            removed = self._exec(DELETE_INVENTORY, (self._workspace(workspace), key.kind.value, key.name))
        return removed > 0
