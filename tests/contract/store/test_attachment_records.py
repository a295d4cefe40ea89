"""Migration 0007 on a state written by the old layout: vector-store files were `VectorStore` rows told
apart by a `path`; they become `VectorStoreFile/<store>/<path>` records, and the stores themselves stay."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reconciler.model.desired import Kind, ResourceKey
from reconciler.store import open_store
from reconciler.store.migrate import bundled_migrations
from reconciler.store.sqlstore import SqlStore

OLD_ROW = (
    "INSERT INTO inventory (workspace, kind, name, path, platform_id, fingerprint, live_hash, protect, "
    "attributes, updated_at) VALUES ('prod', 'VectorStore', 'docs', ?, ?, 'f', '', 0, ?, 1.0)"
)


@pytest.mark.parametrize("kind", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_attachment_rows_of_the_old_layout_become_vector_store_file_records(
    tmp_path: Path, request: pytest.FixtureRequest, kind: str
) -> None:
    dsn = f"sqlite:///{tmp_path}/state.db" if kind == "sqlite" else request.getfixturevalue("pg_schema_dsn")
    before = bundled_migrations()[:6]
    older = open_store(dsn)
    assert isinstance(older, SqlStore)
    with older:  # a store as a reconciler before 0007 left it
        older._exec("DELETE FROM schema_migrations WHERE number >= 7")
        older._exec("DROP TABLE budget_acceptances")  # 0013's, which came later
        for table in ("rate_budgets", "conversation_moves", "migration_items", "conversation_migrations"):
            older._exec(f"DROP TABLE {table}")  # 0012's, which came later
        for table in ("telemetry", "conversations", "analysis_runs", "rollout_events", "rollouts"):
            older._exec(f"DROP TABLE {table}")  # 0010's, which came later
        older._exec("DROP TABLE stop_history")  # 0009's
        older._exec("DROP TABLE stops")
        older._exec("ALTER TABLE versions DROP COLUMN tools")  # 0011's
        older._exec("ALTER TABLE versions DROP COLUMN bundle")  # 0008's, which came later
        assert older.migrate(before) == []
        older._exec(OLD_ROW, ("", "vs_1", json.dumps({"spec": {"name": "docs"}})))
        for path, file_id in (("docs/a.md", "file_a"), ("docs/sub/b.md", "file_b")):
            attributes = json.dumps({"path": path, "store_id": "vs_1", "sha256": file_id * 2})
            older._exec(OLD_ROW, (path, file_id, attributes))
    with open_store(dsn) as store:
        records = {r.key: r for r in store.inventory("prod")}
        assert set(records) == {
            ResourceKey(kind=Kind.VECTOR_STORE, name="docs"),
            ResourceKey.attachment("docs", "docs/a.md"),
            ResourceKey.attachment("docs", "docs/sub/b.md"),
        }
        assert records[ResourceKey(kind=Kind.VECTOR_STORE, name="docs")].platform_id == "vs_1"
        attached = records[ResourceKey.attachment("docs", "docs/sub/b.md")]
        assert (attached.platform_id, attached.store_id, attached.sha256) == (
            "file_b",
            "vs_1",
            "file_bfile_b",
        )
        assert attached.key.store_and_path == ("docs", "docs/sub/b.md")
        # The migrated records are the ones apply rewrites and forgets: no second row appears.
        store.upsert_inventory("prod", attached.model_copy(update={"platform_id": "file_b2"}))
        assert store.delete_inventory("prod", ResourceKey.attachment("docs", "docs/a.md")) is True
        assert [r.platform_id for r in store.inventory("prod")] == ["vs_1", "file_b2"]
