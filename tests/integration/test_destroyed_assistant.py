"""Issue 12 item 9: an assistant destroyed by apply (its manifest removed) no longer resolves. Its
pointers are cleared in the release history (who, where, why), `reconcile resolve` fails with one line,
`reconciler.runtime.Router` raises `AssistantNotDeployed` (its cache included), `versions` still shows the
history, and bringing the manifest back deploys a new version. Through the real SDK on the emulator, on
both flavours (a platform assistant, or a release bundle in the store)."""

from __future__ import annotations

import getpass
import socket
from pathlib import Path

import pytest

from reconciler.cli.main import run
from reconciler.emulator import EmulatorApp
from reconciler.errors import ReconcilerError
from reconciler.runtime import AssistantNotDeployed, Router, resolve_assistant
from reconciler.store import open_store
from tests.integration.support import APIS, apply_project, make_project, platform_state, transport

pytestmark = pytest.mark.filterwarnings("ignore:deprecated:DeprecationWarning")

NAME = "CorporateAssist"
WS = "local"
MANIFEST = "manifests/corporate-assist.yaml"


@pytest.fixture(params=APIS)
def project(tmp_path: Path, request: pytest.FixtureRequest) -> Path:
    return make_project(tmp_path / "project", api=request.param)


def _serving(root: Path, app: EmulatorApp) -> str:
    """The one version object that serves: the platform assistant, or (Responses era: none on the
    platform) the bundle of the store's one live version."""
    on_platform = [a.id for a in platform_state(app).assistants]
    if "api: responses" not in (root / "reconcile.yaml").read_text(encoding="utf-8"):
        (only,) = on_platform
        return only
    assert on_platform == []
    with open_store(_dsn(root)) as store:
        (live,) = [v.platform_id for v in store.versions(WS, NAME) if not v.deleted]
    return live


def _dsn(root: Path) -> str:
    return f"sqlite:///{root / '.reconcile' / 'state.db'}"


def _destroy(root: Path, app: EmulatorApp) -> str:
    """Remove the assistant's manifest and apply; returns the text of the manifest that was removed."""
    text = (root / MANIFEST).read_text(encoding="utf-8")
    (root / MANIFEST).unlink()
    _, report = apply_project(root, transport(app))
    assert report is not None and report.ok
    assert platform_state(app).assistants == []
    return text


def test_a_destroyed_assistant_has_no_pointers_and_the_history_says_who_cleared_them(
    project: Path, app: EmulatorApp
) -> None:
    apply_project(project, transport(app))
    _destroy(project, app)
    with open_store(_dsn(project)) as store:
        assert store.pointers(WS, NAME) == {}
        (v1,) = store.versions(WS, NAME)
        assert v1.deleted  # its platform object went with the assistant
        created, cleared = store.pointer_history(WS, NAME)
    assert (created.from_version, created.to_version) == (None, 1)
    assert (cleared.pointer, cleared.from_version, cleared.to_version) == ("stable", 1, None)
    assert (cleared.user, cleared.host) == (getpass.getuser(), socket.gethostname())
    assert "removed from the manifests" in cleared.reason


def test_a_router_in_the_same_process_stops_serving_the_destroyed_id_at_once(
    project: Path, app: EmulatorApp
) -> None:
    apply_project(project, transport(app))
    with Router(_dsn(project), WS, ttl_seconds=3600) as router:
        live = _serving(project, app)
        assert router.assistant_id(NAME) == live  # cached for an hour
        _destroy(project, app)
        with pytest.raises(AssistantNotDeployed, match="destroyed") as raised:
            router.assistant_id(NAME)
    assert isinstance(raised.value, ReconcilerError)
    with pytest.raises(AssistantNotDeployed):
        resolve_assistant(_dsn(project), WS, NAME)


def test_resolve_fails_in_one_line_and_versions_still_shows_the_history(
    project: Path, app: EmulatorApp, capsys: pytest.CaptureFixture[str]
) -> None:
    apply_project(project, transport(app))
    _destroy(project, app)
    capsys.readouterr()

    assert run(["resolve", NAME, str(project)]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    (line,) = captured.err.splitlines()
    assert line.startswith("error: ") and "AssistantNotDeployed" not in line and "destroyed" in line

    assert run(["versions", NAME, str(project)]) == 0
    _header, row = capsys.readouterr().out.splitlines()
    assert row.startswith("1 (deleted)") and "stable" not in row

    assert run(["rollback", NAME, str(project)]) == 1  # nothing to roll back to: every version is gone
    assert "error:" in capsys.readouterr().err


def test_bringing_the_manifest_back_deploys_the_next_version(project: Path, app: EmulatorApp) -> None:
    apply_project(project, transport(app))
    text = _destroy(project, app)
    (project / MANIFEST).write_text(text, encoding="utf-8")
    _, report = apply_project(project, transport(app))
    assert report is not None and report.ok
    live = _serving(project, app)
    with open_store(_dsn(project)) as store:
        v1, v2 = store.versions(WS, NAME)
        assert (v1.deleted, v2.deleted, v2.number, v2.platform_id) == (True, False, 2, live)
        assert store.pointers(WS, NAME) == {"stable": 2}
        assert store.pointer_history(WS, NAME)[-1].from_version is None
    assert resolve_assistant(_dsn(project), WS, NAME) == live
