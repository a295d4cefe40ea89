"""The release service without the CLI: a library user opens a project's state store from its project
file alone and lists, rolls back, promotes and resolves, recorded as this user on this host."""

from __future__ import annotations

import getpass
import socket
from pathlib import Path

import pytest

from reconciler import service
from reconciler.errors import UserError
from reconciler.model.stored import VersionRecord
from reconciler.store import open_store

NAME = "CorporateAssist"
PROJECT = """apiVersion: reconciler.dev/v1
kind: Project
metadata:
  name: library-user
spec:
  state: sqlite:///state/here.db
  targets:
    local:
      type: local
      api: assistants-v2   # the versions seeded below are platform assistants
"""


def _project(root: Path, *, versions: int) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "reconcile.yaml").write_text(PROJECT, encoding="utf-8")
    if versions:
        (root / "state").mkdir()
        with open_store(f"sqlite:///{root / 'state' / 'here.db'}") as store:
            for n in range(1, versions + 1):
                record = VersionRecord(
                    assistant=NAME,
                    number=n,
                    platform_id=f"asst_{n}",
                    fingerprint=f"{n:02d}" * 32,
                    parent=n - 1 or None,
                    created_at=1_767_225_600.0 + n,
                )
                store.add_version("local", record)
                store.move_pointer("local", NAME, "stable", n, user="ci", host="runner", reason="", now=n)
    return root


def test_a_library_user_rolls_back_promotes_and_resolves_through_the_service(tmp_path: Path) -> None:
    root = _project(tmp_path / "p", versions=3)
    with service.open_release_state(root) as state:
        assert state.workspace == "local"
        assert [v.number for v in service.list_versions(state, NAME)] == [1, 2, 3]
        back = service.rollback(state, NAME, reason="v3 breaks old threads")
        assert (back.move.from_version, back.move.to_version, back.platform_id) == (3, 2, "asst_2")
        assert not back.forward
        ahead = service.rollback(state, NAME, to=3)
        assert ahead.forward
        promoted = service.promote(state, NAME, to=1, reason="fixed")
        assert promoted.platform_id == "asst_1"
        assert service.resolve(state, NAME).platform_id == "asst_1"
        last = state.store.pointer_history("local", NAME)[-1]
    assert (last.user, last.host, last.reason) == (getpass.getuser(), socket.gethostname(), "fixed")


def test_a_missing_sqlite_store_is_refused_not_created(tmp_path: Path) -> None:
    root = _project(tmp_path / "p", versions=0)
    with pytest.raises(UserError, match=r"no state store at .*here\.db: nothing was applied to 'local' yet"):
        service.open_release_state(root)
    assert not (root / "state").exists()
