"""The SQLite state file (issue 12, item 7): a missing file is a fresh state, made whole before it appears
at its path; an existing file that is empty or unreadable is an error saying what to do, and is left as
it was found."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from reconciler.errors import StateError
from reconciler.store.sqlite import SqliteStore


def test_a_missing_file_is_a_fresh_state(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "state.db"
    with SqliteStore(path) as store:
        assert store.inventory("local") == ()
    assert path.stat().st_size > 0
    assert sorted(p.name for p in path.parent.iterdir() if p.name.startswith(".")) == []  # no leftovers


def test_an_empty_file_is_an_error_and_is_left_as_found(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    path.write_bytes(b"")
    with pytest.raises(StateError, match=r"is empty \(0 bytes\), not a new state: restore it from a backup"):
        SqliteStore(path)
    assert path.stat().st_size == 0


def test_a_file_that_is_not_a_database_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    path.write_bytes(b"garbage " * 1000)
    with pytest.raises(StateError, match=r"is unreadable \(file is not a database\): restore it"):
        SqliteStore(path)
    assert path.read_bytes() == b"garbage " * 1000


def test_openers_racing_to_create_the_file_share_it(tmp_path: Path) -> None:
    """None of them may see a half-made (0-byte) file and refuse it, nor start a second state."""
    path = tmp_path / "state.db"
    start = threading.Barrier(6)
    errors: list[BaseException] = []

    def open_and_write(i: int) -> None:
        start.wait()
        try:
            with SqliteStore(path) as store:
                store.save_list_hints("local", {f"list-{i}": ("cursor",)}, now=0.0, drop=[])
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=open_and_write, args=(i,)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    with SqliteStore(path) as store:
        assert len(store.list_hints("local")) == 6
