"""`materialize: agents` (issue 15 item 5) end to end, through the real SDK on the emulator: each new bundle
version makes one platform agent labelled with it, never updated afterwards (a new version makes another,
a metadata-only change calls nothing); a lost create response or a kill between the create and its record
leaves one agent, not two; gc and destroy delete the agents of the versions they delete, also after the
setting is turned off; and without it nothing is made on `/agents` (gc and destroy only look)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx2
import pytest

from reconciler import service
from reconciler.cli.main import run
from reconciler.emulator import EmulatorApp, EmulatorConfig
from reconciler.emulator.faults import FaultConfig, FaultInjector
from reconciler.emulator.transport import EmulatorTransport
from reconciler.model import labels
from reconciler.model.stored import VersionRecord
from reconciler.rollout.gc import GcOutcome
from reconciler.store import open_store
from tests.integration.support import (
    FakeClock,
    apply_project,
    edit_file,
    make_project,
    plan_project,
    sdk,
    transport,
)

NAME = "CorporateAssist"
WS = "local"
OWNER = "corporate-assist/local"
MANIFEST = "manifests/corporate-assist.yaml"
INSTRUCTIONS = ("You are CorporateAssist, the assistant", "You are CorporateAssist, the helpful assistant")
METADATA = ("team: workplace-tools", "team: platform-tools")


def materialized(root: Path) -> Path:
    """Every target of the project (all `api: responses`) with `materialize: agents`."""
    edit_file(root, "reconcile.yaml", "api: responses\n", "api: responses\n      materialize: agents\n")
    return root


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return materialized(make_project(tmp_path / "project", api="responses"))


def agents(app: EmulatorApp) -> dict[str, dict[str, Any]]:
    """Every agent on the platform, as another SDK user sees it: id -> the whole object."""
    client = sdk(app)
    try:
        return {a.id: a.model_dump() for a in client.beta.agents.list(limit=100)}
    finally:
        client.close()


def versions(root: Path) -> tuple[VersionRecord, ...]:
    with open_store(f"sqlite:///{root / '.reconcile' / 'state.db'}") as store:
        return store.versions(WS, NAME)


def agent_of(app: EmulatorApp, version: VersionRecord) -> dict[str, Any]:
    (found,) = [a for a in agents(app).values() if a["metadata"].get(labels.VERSION) == str(version.number)]
    return found


class Recording(EmulatorTransport):
    """Records every request as `METHOD /path`."""

    def __init__(self, app: EmulatorApp) -> None:
        super().__init__(app)
        self.requests: list[str] = []
        self._lock = threading.Lock()

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        with self._lock:
            self.requests.append(f"{request.method} {request.url.path}")
        return super().handle_request(request)

    def to_agents(self) -> list[str]:
        return [r for r in self.requests if r.split(" ")[1].startswith("/v1/agents")]


def _apply(root: Path, via: EmulatorTransport) -> None:
    _, report = apply_project(root, via)
    assert report is not None and report.ok, [s.error for s in report.steps if s.error]


def _gc(root: Path, via: EmulatorTransport, keep: int = 1) -> list[tuple[int, GcOutcome]]:
    with service.open_workspace(root, transport=via) as ws:
        report = service.collect_garbage(ws, keep=keep)
    return [(i.number, i.outcome) for i in report.items]


def test_one_agent_per_version_never_updated_and_gc_deletes_the_old_ones_agent(
    root: Path, app: EmulatorApp
) -> None:
    seen = Recording(app)
    _apply(root, seen)
    (v1,) = versions(root)
    first = agent_of(app, v1)
    assert len(agents(app)) == 1
    assert first["metadata"] == {
        "team": "workplace-tools",
        "owner": "finance-it",
        labels.MANAGED_BY: labels.MANAGED_BY_VALUE,
        labels.OWNER: OWNER,
        labels.NAME: NAME,
        labels.VERSION: "1",
        labels.FINGERPRINT: v1.fingerprint,
    }
    assert first["name"] == f"{NAME} v1" and first["model"] == v1.bundle["model"]
    assert first["instructions"] == v1.bundle["instructions"]
    # The two functions; file_search and code_interpreter have no persisted Agents tool.
    assert [t["name"] for t in first["tools"]] == ["create_meeting", "list_expenses"]
    assert seen.to_agents() == ["GET /v1/agents", "POST /v1/agents"]  # looked first, then made it
    assert not plan_project(root, transport(app)).has_changes

    # A change of behaviour: version 2 and its own agent; version 1's agent stays exactly as it was.
    edit_file(root, MANIFEST, *INSTRUCTIONS)
    _apply(root, transport(app))
    v1, v2 = versions(root)
    assert agent_of(app, v1) == first
    second = agent_of(app, v2)
    assert second["id"] != first["id"] and "helpful assistant" in second["instructions"]
    assert second["metadata"][labels.PARENT] == "1"

    # Metadata only: the bundle is updated in place, the agents are not asked anything.
    before = agents(app)
    quiet = Recording(app)
    edit_file(root, MANIFEST, *METADATA)
    _apply(root, quiet)
    assert versions(root)[1].bundle["metadata"]["team"] == "platform-tools"
    assert quiet.to_agents() == [] and agents(app) == before

    # gc keeps the newest version: version 1 is flagged and its agent (only its) deleted.
    assert _gc(root, transport(app)) == [(1, GcOutcome.DELETED)]
    assert list(agents(app)) == [second["id"]]
    assert versions(root)[0].deleted


def test_a_lost_agent_create_response_leaves_one_agent(tmp_path: Path) -> None:
    """Every POST and DELETE on /agents is handled and its response lost: the retried create finds the
    agent its lost one made; the retried delete finds it gone."""
    clock = FakeClock()
    faults = FaultConfig(seed=6, lost_rate=1.0, only=("agents",), writes_only=True)
    app = EmulatorApp(EmulatorConfig(faults=faults))
    app.faults = FaultInjector(faults, clock=clock.time, sleep=clock.sleep)
    try:
        root = materialized(make_project(tmp_path / "project", api="responses", retry={"maxAttempts": 10}))
        _, report = apply_project(root, transport(app), sleep=clock.sleep)
        assert report is not None and report.ok, [s.error for s in report.steps if s.error]
        assert report.retries > 0  # the response really was lost
        edit_file(root, MANIFEST, *INSTRUCTIONS)
        _, report = apply_project(root, transport(app), sleep=clock.sleep)
        assert report is not None and report.ok
        app.faults = FaultInjector(FaultConfig())  # read back without faults
        assert len(versions(root)) == 2
        assert sorted(a["metadata"][labels.VERSION] for a in agents(app).values()) == ["1", "2"]
        app.faults = FaultInjector(faults, clock=clock.time, sleep=clock.sleep)
        assert _gc(root, transport(app)) == [(1, GcOutcome.DELETED)]
        app.faults = FaultInjector(FaultConfig())
        assert [a["metadata"][labels.VERSION] for a in agents(app).values()] == ["2"]
    finally:
        app.close()


class Killed(BaseException):
    """The apply process died (not an Exception: nothing on the way up mistakes it for an error)."""


class DiesAfterTheAgentCreate(EmulatorTransport):
    """The platform makes the agent; the process dies before the bundle's version is recorded."""

    def __init__(self, app: EmulatorApp) -> None:
        super().__init__(app)
        self.dead = False

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        if self.dead:
            raise Killed("the process is dead")
        response = super().handle_request(request)
        if request.method == "POST" and request.url.path == "/v1/agents":
            self.dead = True
            raise Killed("killed between the agent create and the version's record")
        return response


def test_a_kill_between_the_agent_create_and_the_record_leaves_one_agent(
    root: Path, app: EmulatorApp
) -> None:
    with pytest.raises(Killed):
        apply_project(root, DiesAfterTheAgentCreate(app))
    (made,) = agents(app)
    assert versions(root) == ()  # nothing recorded: the rerun creates the version again
    _apply(root, transport(app))
    (v1,) = versions(root)
    assert list(agents(app)) == [made] and agent_of(app, v1)["id"] == made
    assert not plan_project(root, transport(app)).has_changes


def test_destroying_the_assistant_deletes_the_agents_of_all_its_versions(
    root: Path, app: EmulatorApp
) -> None:
    _apply(root, transport(app))
    edit_file(root, MANIFEST, *INSTRUCTIONS)
    _apply(root, transport(app))
    assert len(agents(app)) == 2
    stranger = sdk(app)
    try:  # an agent of another owner, carrying version 1's other labels, is not ours to delete
        v1 = versions(root)[0]
        kept = stranger.beta.agents.create(
            model="gpt-4.1", metadata={**v1.bundle["metadata"], labels.OWNER: "someone/else"}
        ).id
    finally:
        stranger.close()
    (root / MANIFEST).unlink()
    _apply(root, transport(app))
    assert list(agents(app)) == [kept]
    assert all(v.deleted for v in versions(root))


def test_without_materialize_no_agent_is_made_and_retiring_versions_only_looks(
    tmp_path: Path, app: EmulatorApp
) -> None:
    root = make_project(tmp_path / "project", api="responses")
    seen = Recording(app)
    _apply(root, seen)
    edit_file(root, MANIFEST, *INSTRUCTIONS)
    _apply(root, seen)
    edit_file(root, MANIFEST, *METADATA)
    _apply(root, seen)
    assert seen.to_agents() == []  # applies, new versions and metadata changes: nothing on /agents
    assert _gc(root, seen) == [(1, GcOutcome.DELETED)]
    (root / MANIFEST).unlink()
    _apply(root, seen)
    # Retiring a version looks for the agent a version made while the setting was on (one listing each).
    assert set(seen.to_agents()) == {"GET /v1/agents"}
    assert agents(app) == {}


def test_turning_materialize_off_leaves_no_agent_behind_when_versions_retire(
    tmp_path: Path, app: EmulatorApp
) -> None:
    root = materialized(make_project(tmp_path / "project", api="responses"))
    _apply(root, transport(app))
    edit_file(root, MANIFEST, *INSTRUCTIONS)
    _apply(root, transport(app))
    assert len(agents(app)) == 2
    edit_file(root, "reconcile.yaml", "      materialize: agents\n", "")
    assert _gc(root, transport(app)) == [(1, GcOutcome.DELETED)]
    assert [a["name"] for a in agents(app).values()] == ["CorporateAssist v2"]
    (root / MANIFEST).unlink()
    _apply(root, transport(app))
    assert agents(app) == {}


@pytest.fixture
def cli_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    root = materialized(make_project(tmp_path / "project", api="responses"))
    monkeypatch.chdir(root)
    yield root


def test_the_cli_flow_on_the_local_target(cli_project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`reconcile apply` / `gc` on the project's own local platform (its database under .reconcile/)."""
    root = cli_project
    assert run(["apply", str(root), "--auto-approve"]) == 0
    edit_file(root, MANIFEST, *INSTRUCTIONS)
    assert run(["apply", str(root), "--auto-approve"]) == 0
    assert run(["gc", str(root), "--keep", "1", "--auto-approve"]) == 0
    assert "deleted: CorporateAssist version 1" in capsys.readouterr().out
    app = EmulatorApp(EmulatorConfig(db_path=str(root / ".reconcile" / "local-platform.db")))
    try:
        (only,) = agents(app).values()
        assert only["metadata"][labels.VERSION] == "2" and only["metadata"][labels.OWNER] == OWNER
    finally:
        app.close()
