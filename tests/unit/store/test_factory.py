"""`open_store` picks the backend by DSN scheme, explains a missing psycopg, and never echoes a password."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from reconciler.errors import StateError
from reconciler.store import open_store
from reconciler.store.factory import absolute_dsn, sqlite_file
from reconciler.store.guard import check_text, dump_json
from reconciler.store.sqlite import SqliteStore


def test_sqlite_dsns_open_memory_and_relative_or_absolute_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with open_store("sqlite:///:memory:") as store:
        assert isinstance(store, SqliteStore) and store.path == ":memory:"
    with open_store(f"sqlite:///{tmp_path}/abs/state.db") as store:  # sqlite:////abs/... is absolute
        assert (tmp_path / "abs" / "state.db").is_file()
    monkeypatch.chdir(tmp_path)
    with open_store("sqlite:///.reconcile/state.db"):
        assert (tmp_path / ".reconcile" / "state.db").is_file()


@pytest.mark.parametrize("dsn", ["mysql://root@db/x", "state.db", "sqlite:///"])
def test_unsupported_dsns_are_a_state_error(dsn: str) -> None:
    with pytest.raises(StateError, match=r"unsupported state DSN scheme|needs a path"):
        open_store(dsn)


def test_missing_psycopg_says_which_extra_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delitem(sys.modules, "reconciler.store.postgres", raising=False)
    monkeypatch.setitem(sys.modules, "psycopg", None)  # makes `import psycopg` raise ImportError
    with pytest.raises(StateError, match=r"reconciler\[postgres\]"):
        open_store("postgresql://postgres@127.0.0.1:5432/test")


def test_a_failed_postgres_connection_never_shows_the_password() -> None:
    pytest.importorskip("psycopg")
    with pytest.raises(StateError) as caught:
        open_store("postgres://ana:hunter2secret@127.0.0.1:1/state?connect_timeout=2")
    assert "hunter2secret" not in str(caught.value)
    assert "ana:***@127.0.0.1:1" in str(caught.value)


@pytest.mark.parametrize(
    "secret",
    ["sk-" + "a" * 48, "sk-proj-" + "Ab3_-" * 10, "sk-admin-" + "Z9" * 15, "sk-svcacct-" + "x1" * 12],
)
def test_key_shaped_values_are_refused_without_being_echoed(secret: str) -> None:
    with pytest.raises(StateError) as caught:
        dump_json({"nested": [{"value": f"Bearer {secret}"}]}, what="detail")
    assert secret not in str(caught.value)


def test_ordinary_values_pass_the_guard() -> None:
    assert check_text("sk-local-emulator", what="x") == "sk-local-emulator"  # the emulator placeholder
    assert dump_json({"path": "docs/task-sk-notes.md", "sha": "ab" * 32}, what="x").startswith("{")


def test_sqlite_file_names_the_file_an_sqlite_dsn_opens_and_nothing_else() -> None:
    assert sqlite_file("sqlite:///.reconcile/state.db") == Path(".reconcile/state.db")
    assert sqlite_file("sqlite:////srv/state.db") == Path("/srv/state.db")
    for dsn in ("sqlite:///:memory:", "sqlite:///", "postgresql://u@h:5432/db", "state.db"):
        assert sqlite_file(dsn) is None


def test_absolute_dsn_anchors_only_a_relative_sqlite_path_at_the_root(tmp_path: Path) -> None:
    assert (
        absolute_dsn("sqlite:///.reconcile/state.db", tmp_path) == f"sqlite:///{tmp_path}/.reconcile/state.db"
    )
    for dsn in ("sqlite:////srv/state.db", "sqlite:///:memory:", "postgresql://u:secret@h/db"):
        assert absolute_dsn(dsn, tmp_path) == dsn
