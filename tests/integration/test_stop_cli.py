"""`reconcile stop` / `reconcile start` end to end (issue 16 item 7): the state store alone (no platform
call), one line out, recorded with user, host, time and reason, shown by `versions`, and refused turns in
a runtime Router on another connection from its next lookup."""

from __future__ import annotations

import getpass
import json
import socket
from pathlib import Path

import pytest

from reconciler import service
from reconciler.cli.main import run
from reconciler.runtime import Router, Stopped
from tests.integration.test_releases_cli import NAME, WS, _no_workspace, _state, offline  # noqa: F401

pytestmark = pytest.mark.filterwarnings("ignore:deprecated:DeprecationWarning")


def test_stop_and_start_through_the_cli(
    offline: Path,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setattr(service, "open_workspace", _no_workspace)
    dsn = f"sqlite:///{offline / '.reconcile' / 'state.db'}"
    with Router(dsn, WS, ttl_seconds=3600) as router:
        assert router.assistant_id(NAME) == "asst_three"

        assert run(["stop", NAME, str(offline), "--reason", "leaking data"]) == 0
        out = capsys.readouterr().out
        assert out.startswith(f"Stopped {NAME} in {WS}:") and out.count("\n") == 1
        with pytest.raises(Stopped) as stopped:
            router.assistant_id(NAME)
        assert (stopped.value.reason, stopped.value.user) == ("leaking data", getpass.getuser())

        assert run(["stop", NAME, str(offline), "--reason", "again"]) == 0
        assert "already stopped" in capsys.readouterr().out

        assert run(["versions", NAME, str(offline)]) == 0
        last = capsys.readouterr().out.splitlines()[-1]
        assert last.startswith("STOPPED since ") and "leaking data" in last
        assert run(["versions", NAME, str(offline), "--format", "json"]) == 0
        shown = json.loads(capsys.readouterr().out)["stopped"]
        assert (shown["reason"], shown["user"], shown["host"]) == (
            "leaking data",
            getpass.getuser(),
            socket.gethostname(),
        )
        assert run(["resolve", NAME, str(offline)]) == 0  # the pointer is untouched: resolve still answers
        capsys.readouterr()

        assert run(["start", NAME, str(offline), "--reason", "fixed"]) == 0
        assert capsys.readouterr().out.startswith(f"Started {NAME} in {WS}:")
        assert router.assistant_id(NAME) == "asst_three"
        assert run(["start", NAME, str(offline)]) == 0
        assert "is not stopped" in capsys.readouterr().out

    assert run(["versions", NAME, str(offline), "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["stopped"] is None
    with _state(offline) as store:
        history = store.stop_history(WS, NAME)
    assert [(e.stopped, e.reason) for e in history] == [(True, "leaking data"), (False, "fixed")]
    assert (history[0].user, history[0].host) == (getpass.getuser(), socket.gethostname())
    assert not (offline / ".reconcile" / "local-platform.db").exists()


def test_stopping_an_unknown_name_is_refused_in_one_line(
    offline: Path,  # noqa: F811
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert run(["stop", "Nobody", str(offline)]) == 1
    err = capsys.readouterr().err
    assert "'Nobody' has no versions in local" in err and err.count("\n") == 1
