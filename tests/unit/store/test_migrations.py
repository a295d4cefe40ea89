"""Migration files: ordering and numbering rules, pending-only application, refusal of edited or newer
schemas, rollback of a failed migration, and two processes migrating a fresh file at once."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from reconciler.errors import StateError
from reconciler.store.migrate import Migration, applied_migrations, bundled_migrations, parse_migrations
from reconciler.store.sqlite import SQLITE, SqliteStore

M1 = "-- first; a comment may hold a semicolon\nCREATE TABLE a (x INTEGER);\nCREATE INDEX a_x ON a (x);\n"
M2 = "CREATE TABLE b (y TEXT NOT NULL DEFAULT '')"
M3 = "CREATE TABLE c (z TEXT);\nCREATE TABLE broken (;"


def _tables(store: SqliteStore) -> set[str]:
    rows = store._query("SELECT name FROM sqlite_master WHERE type = 'table'")
    return {str(r[0]) for r in rows}


def test_files_are_ordered_by_number_not_by_listing_order() -> None:
    ordered = parse_migrations({"0010_j.sql": "", **{f"{n:04d}_m{n}.sql": "" for n in range(9, 0, -1)}})
    assert [m.number for m in ordered] == list(range(1, 11))
    assert ordered[-1].name == "0010_j.sql"


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ({"0001_a.sql": "", "0003_c.sql": ""}, "follows a gap"),
        ({"0002_b.sql": ""}, "follows a gap"),
        ({"0001_a.sql": "", "0001_b.sql": ""}, "two migrations numbered 1"),
        ({"1_a.sql": ""}, "NNNN_description.sql"),
        ({"0001_Initial.sql": ""}, "NNNN_description.sql"),
    ],
)
def test_bad_numbering_is_refused(files: dict[str, str], message: str) -> None:
    with pytest.raises(StateError, match=message):
        parse_migrations(files)


def test_statements_skip_comment_lines() -> None:
    assert Migration(1, "0001_a.sql", M1).statements() == [
        "CREATE TABLE a (x INTEGER)",
        "CREATE INDEX a_x ON a (x)",
    ]


def test_bundled_migrations_are_numbered_and_render_for_both_dialects() -> None:
    bundled = bundled_migrations()
    assert [m.name for m in bundled] == [
        "0001_initial.sql",
        "0002_versions.sql",
        "0003_list_hints.sql",
        "0004_lease_holder_process.sql",
        "0005_release_history.sql",
        "0006_pace_budgets.sql",
        "0007_vector_store_file_records.sql",
        "0008_release_bundles.sql",
        "0009_stops.sql",
        "0010_rollouts.sql",
        "0011_version_tools.sql",
        "0012_conversation_migrations.sql",
        "0013_budget_acceptances.sql",
    ]
    postgres = pytest.importorskip("reconciler.store.postgres")
    for dialect in (SQLITE, postgres.POSTGRES):
        for migration in bundled:
            for statement in migration.statements():
                rendered = dialect.render_migration(statement)
                assert "{{" not in rendered and "%" not in rendered


def test_only_pending_migrations_run_and_reruns_change_nothing() -> None:
    first = (Migration(1, "0001_a.sql", M1),)
    both = (*first, Migration(2, "0002_b.sql", M2))
    with SqliteStore(":memory:", migrations=first) as store:
        assert _tables(store) >= {"a", "schema_migrations"} and "b" not in _tables(store)
        assert store.migrate(both) == [2]
        assert store.migrate(both) == []
        assert list(applied_migrations(store)) == [1, 2]
        assert "b" in _tables(store)


def test_a_failed_migration_leaves_nothing_behind() -> None:
    first = (Migration(1, "0001_a.sql", M1),)
    with SqliteStore(":memory:", migrations=first) as store:
        with pytest.raises(StateError):
            store.migrate((*first, Migration(2, "0002_c.sql", M3)))
        assert list(applied_migrations(store)) == [1]
        assert "c" not in _tables(store)  # DDL is transactional: the first statement was rolled back


def test_an_edited_applied_migration_is_refused() -> None:
    edited = (Migration(1, "0001_a.sql", M1 + "\n-- edited"),)
    with (
        SqliteStore(":memory:", migrations=(Migration(1, "0001_a.sql", M1),)) as store,
        pytest.raises(StateError, match="changed after it was applied"),
    ):
        store.migrate(edited)


def test_a_database_from_a_newer_reconciler_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    two = (Migration(1, "0001_a.sql", M1), Migration(2, "0002_b.sql", M2))
    SqliteStore(path, migrations=two).close()
    with pytest.raises(StateError, match="newer than this reconciler knows"):
        SqliteStore(path, migrations=two[:1])


def test_two_openers_of_a_fresh_file_migrate_it_once(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    barrier = threading.Barrier(4, timeout=30)
    errors: list[BaseException] = []

    def opener() -> None:
        try:
            barrier.wait()
            SqliteStore(path).close()
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=opener) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors
    with SqliteStore(path) as store:
        rows = store._query("SELECT number FROM schema_migrations ORDER BY number")
        assert [r[0] for r in rows] == [m.number for m in bundled_migrations()]
        assert store.schema_version() == len(bundled_migrations())


def test_a_file_that_is_not_a_database_is_our_error(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    path.write_bytes(b"this is not a SQLite database, just bytes long enough to have a header" * 4)
    with pytest.raises(StateError, match="not a database"):
        SqliteStore(path)


def test_pointer_history_written_before_0005_reads_back_as_moves(tmp_path: Path) -> None:
    """A store written by a reconciler without 0005: its history rows stay plain moves after migrating."""
    path = tmp_path / "state.db"
    with SqliteStore(path, migrations=bundled_migrations()[:4]) as old:
        old._exec(  # as that reconciler wrote it: no later column
            "INSERT INTO versions (workspace, assistant, number, platform_id, fingerprint) "
            "VALUES ('prod', 'A', 1, 'asst_1', 'f')"
        )
        old._exec(
            "INSERT INTO pointer_history (workspace, assistant, pointer, from_version, to_version, "
            "moved_at, moved_by_user, moved_by_host, reason) "
            "VALUES ('prod', 'A', 'stable', NULL, 1, 1.0, 'u', 'h', 'r')"
        )
    with SqliteStore(path) as store:
        (move,) = store.pointer_history("prod", "A")
        assert (move.from_version, move.to_version, move.cleared) == (None, 1, False)
