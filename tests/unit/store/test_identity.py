"""Who runs this process: the user from the password database, or USER when it has no entry."""

from __future__ import annotations

import getpass
import socket

import pytest

from reconciler.store.identity import Identity, whoami


def test_whoami_is_this_user_on_this_host() -> None:
    assert whoami() == Identity(user=getpass.getuser(), host=socket.gethostname())


def test_a_user_the_password_database_lacks_falls_back_to_user(monkeypatch: pytest.MonkeyPatch) -> None:
    def missing() -> str:
        raise KeyError("uid not found")

    monkeypatch.setattr(getpass, "getuser", missing)
    monkeypatch.setenv("USER", "ci-runner")
    assert whoami().user == "ci-runner"
