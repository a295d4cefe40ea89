"""The release commands end to end through `reconcile ...`: versions, rollback, promote and resolve read
and move pointers in the state store with no platform call; gc deletes old versions on the platform."""

from __future__ import annotations

import getpass
import io
import socket
import sys
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from reconciler import service
from reconciler.cli.main import run
from reconciler.config import ConversationSettings, RetrySettings
from reconciler.emulator import EmulatorApp, EmulatorConfig
from reconciler.errors import PermanentPlatformError
from reconciler.model.desired import Kind
from reconciler.model.live import LiveState
from reconciler.model.stored import VersionRecord
from reconciler.store import StateStore, open_store
from reconciler.targets.handlers import HandlerTable, Ref
from tests.integration.support import edit_file, make_project, sdk

pytestmark = pytest.mark.filterwarnings("ignore:deprecated:DeprecationWarning")

NAME = "CorporateAssist"
WS = "local"
# The `local` target here is a real-platform target on a port nothing listens on, with a key variable
# that is unset: building it fails, and contacting it would fail too.
UNREACHABLE = (
    "  targets:\n"
    "    local:\n"
    "      type: openai\n"
    "      baseURL: http://127.0.0.1:9/v1\n"
    "      apiKeyEnv: RECONCILER_TEST_NEVER_SET_KEY\n"
)


def _state(root: Path) -> StateStore:
    return open_store(f"sqlite:///{root / '.reconcile' / 'state.db'}")


def _seed(root: Path, ids: list[str], stable: int, verdicts: dict[int, dict[str, Any]] | None = None) -> None:
    """Versions 1..len(ids) as apply leaves them, `stable` moved through each in turn to `stable`."""
    (root / ".reconcile").mkdir(exist_ok=True)
    with _state(root) as store:
        for n, platform_id in enumerate(ids, start=1):
            verdict = (verdicts or {}).get(n, {"tools": {}})
            record = VersionRecord(
                assistant=NAME,
                number=n,
                platform_id=platform_id,
                fingerprint=f"{n:02d}" * 32,
                parent=n - 1 or None,
                created_at=1_767_225_600.0 + 3600 * n,  # 2026-01-01T00:00Z + n hours
                verdict=verdict if n > 1 else {},
            )
            store.add_version(WS, record)
        for n in range(1, stable + 1):
            store.move_pointer(WS, NAME, "stable", n, user="ci", host="runner", reason="apply", now=float(n))


@pytest.fixture
def offline(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project whose target fails if built or contacted, and a service that refuses to open it."""
    monkeypatch.delenv("RECONCILER_TEST_NEVER_SET_KEY", raising=False)
    root = make_project(tmp_path / "project", target_yaml=UNREACHABLE)
    _seed(
        root,
        ["asst_one", "asst_two", "asst_three"],
        stable=3,
        verdicts={3: {"tools": {"create_meeting": {"backward": "no", "forward": "no"}}, "accepted": "room"}},
    )
    return root


def _no_workspace(*args: object, **kwargs: object) -> None:
    raise AssertionError("a release command opened the workspace (and with it the platform)")


def test_the_offline_target_really_fails_when_used(offline: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # Without this, "rollback made no platform call" could pass merely because calls happen to work.
    assert run(["gc", str(offline)]) == 1
    assert "API key is not set" in capsys.readouterr().err


def test_rollback_moves_stable_with_no_platform_call(
    offline: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(service, "open_workspace", _no_workspace)
    assert run(["rollback", NAME, str(offline), "--reason", "v3 breaks old threads"]) == 0
    out = capsys.readouterr().out
    assert "stable version 3 -> version 2 (asst_two)" in out
    with _state(offline) as store:
        assert store.pointers(WS, NAME) == {"stable": 2}
        last = store.pointer_history(WS, NAME)[-1]
    assert (last.from_version, last.to_version, last.reason) == (3, 2, "v3 breaks old threads")
    assert (last.user, last.host) == (getpass.getuser(), socket.gethostname())
    assert not (offline / ".reconcile" / "local-platform.db").exists()


def test_versions_promote_and_resolve(
    offline: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(service, "open_workspace", _no_workspace)
    assert run(["rollback", NAME, str(offline), "--to", "1"]) == 0
    assert run(["resolve", NAME, str(offline)]) == 0
    assert run(["promote", NAME, str(offline), "--to", "2", "--reason", "fixed"]) == 0
    capsys.readouterr()
    assert run(["resolve", NAME, str(offline)]) == 0
    assert capsys.readouterr().out == "asst_two\n"  # the id alone, for scripts
    assert run(["versions", NAME, str(offline)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["VERSION", "POINTERS", "COMPAT", "CREATED", "FINGERPRINT", "PLATFORM", "ID"]
    assert lines[1].split() == ["1", "-", "-", "2026-01-01", "01:00:00Z", "010101010101", "asst_one"]
    assert lines[2].split()[:3] == ["2", "stable", "compatible"]
    assert "breaking (backward+forward), accepted" in lines[3]


def test_release_commands_work_while_the_manifests_are_broken(
    offline: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (offline / "manifests" / "broken.yaml").write_text("kind: Assistant\nspec: [\n", encoding="utf-8")
    assert run(["validate", str(offline)]) == 1  # the manifests really are broken
    monkeypatch.setattr(service, "open_workspace", _no_workspace)
    assert run(["rollback", NAME, str(offline)]) == 0
    assert run(["resolve", NAME, str(offline)]) == 0


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["rollback", NAME, "--to", "9"], "CorporateAssist has no version 9"),
        (["promote", NAME, "--to", "3"], "CorporateAssist's 'stable' pointer already holds"),
        (["versions", "Nobody"], "'Nobody' has no versions in local"),
        (["resolve", NAME, "--pointer", "canary"], "CorporateAssist has no 'canary'"),
        (["rollback", NAME, "--target", "prod"], "unknown target 'prod'"),
    ],
)
def test_refusals_exit_1_with_one_line(
    offline: Path, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    assert run([*argv[:2], str(offline), *argv[2:]]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"error: {message}") and err.count("\n") == 1
    with _state(offline) as store:
        assert store.pointers(WS, NAME) == {"stable": 3}
        assert len(store.pointer_history(WS, NAME)) == 3


def test_a_rollback_right_after_a_rollback_refuses_to_move_forward(
    offline: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(["rollback", NAME, str(offline)]) == 0
    capsys.readouterr()
    assert run(["rollback", NAME, str(offline)]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"error: {NAME}'s 'stable' pointer was moved back from ")
    assert f"`reconcile promote {NAME} --to 3` undoes that rollback" in err
    with _state(offline) as store:
        assert store.pointers(WS, NAME) == {"stable": 2}
    assert run(["rollback", NAME, str(offline), "--to", "3"]) == 0  # asked for by number: done, and said
    assert (
        "Moved forward (rollback --to) CorporateAssist: stable version 2 -> version 3"
        in capsys.readouterr().out
    )


def test_no_state_store_is_an_error_not_a_new_empty_store(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = make_project(tmp_path / "fresh")
    assert run(["versions", NAME, str(root)]) == 1
    assert "nothing was applied to 'local' yet" in capsys.readouterr().err
    assert not (root / ".reconcile").exists()


# -- gc against the embedded emulator ------------------------------------------------------------------


def _platform(root: Path) -> EmulatorApp:
    return EmulatorApp(EmulatorConfig.from_env(db_path=str(root / ".reconcile" / "local-platform.db")))


def _create_assistants(root: Path, count: int) -> list[str]:
    (root / ".reconcile").mkdir(exist_ok=True)
    app = _platform(root)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            client = sdk(app)
            ids = [client.beta.assistants.create(model="gpt-4o", name=f"a{i}").id for i in range(count)]
            client.close()
        return ids
    finally:
        app.close()


def _assistants_on_platform(root: Path) -> set[str]:
    app = _platform(root)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            client = sdk(app)
            ids = {a.id for a in client.beta.assistants.list(limit=100)}
            client.close()
        return ids
    finally:
        app.close()


def test_gc_deletes_old_versions_on_the_platform_and_keeps_the_rest(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = make_project(tmp_path / "project")
    *versions, stranger = _create_assistants(root, 5)
    # v1..v4 on the platform, v5 recorded but already gone; stable rolled back to v2
    _seed(root, [*versions, "asst_gone"], stable=5)
    with _state(root) as store:
        store.move_pointer(WS, NAME, "stable", 2, user="u", host="h", reason="rollback", now=9.0)

    assert run(["gc", str(root), "--keep", "2", "--dry-run"]) == 0
    assert "would delete: CorporateAssist version 1" in capsys.readouterr().out
    assert _assistants_on_platform(root) == {*versions, stranger}

    assert run(["gc", str(root), "--keep", "2", "--auto-approve"]) == 0
    out = capsys.readouterr().out
    assert f"deleted: CorporateAssist version 1 ({versions[0]})" in out
    assert f"deleted: CorporateAssist version 3 ({versions[2]})" in out
    assert "gc local: 2 of 2 old versions deleted; 3 kept (--keep 2)." in out
    # v2 (stable), v4 and v5 (newest two) kept; an assistant never recorded as a version is untouched
    assert _assistants_on_platform(root) == {versions[1], versions[3], stranger}
    with _state(root) as store:
        assert [v.number for v in store.versions(WS, NAME) if v.deleted] == [1, 3]

    # v5's object is gone already: the adapter's delete is idempotent, so it is simply flagged
    assert run(["gc", str(root), "--keep", "0", "--auto-approve"]) == 0
    assert "deleted: CorporateAssist version 5 (asst_gone)" in capsys.readouterr().out
    assert _assistants_on_platform(root) == {versions[1], stranger}


class _Terminal(io.StringIO):
    """stdin as a terminal that answers with the text given."""

    def isatty(self) -> bool:
        return True


def test_gc_asks_before_deleting_as_apply_does(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Issue 13 item 5: gc deleted platform objects without asking."""
    root = make_project(tmp_path / "project")
    versions = _create_assistants(root, 3)
    _seed(root, versions, stable=3)
    listed = "".join(f"would delete: {NAME} version {n} ({versions[n - 1]})\n" for n in (1, 2))

    monkeypatch.setattr(sys, "stdin", io.StringIO(""))  # CI: no terminal and no --auto-approve
    assert run(["gc", str(root), "--keep", "1"]) == 1
    out, err = capsys.readouterr()
    assert out == listed
    assert err == (
        "\nRefusing to delete without --auto-approve when stdin is not a terminal.\n"
        "gc cancelled; nothing was deleted.\n"
    )
    monkeypatch.setattr(sys, "stdin", _Terminal("n\n"))
    assert run(["gc", str(root), "--keep", "1"]) == 1
    out = capsys.readouterr().out
    assert out.startswith(listed) and "Delete 2 old versions from the platform? [y/N]" in out
    assert _assistants_on_platform(root) == set(versions)
    with _state(root) as store:
        assert not any(v.deleted for v in store.versions(WS, NAME))

    monkeypatch.setattr(sys, "stdin", _Terminal("y\n"))
    assert run(["gc", str(root), "--keep", "1"]) == 0
    assert "gc local: 2 of 2 old versions deleted; 1 kept (--keep 1)." in capsys.readouterr().out
    assert _assistants_on_platform(root) == {versions[2]}
    assert run(["gc", str(root), "--keep", "1"]) == 0  # nothing left to delete: nothing to ask
    assert capsys.readouterr().out == "gc local: 0 of 0 old versions deleted; 1 kept (--keep 1).\n"


@dataclass
class _FakeWorkspace:
    store: StateStore
    target: Any
    name: str = WS
    owner: str = "corporate-assist/local"
    project: Any = field(
        default_factory=lambda: SimpleNamespace(
            config=SimpleNamespace(retry=RetrySettings(), conversations=ConversationSettings())
        )
    )

    def __enter__(self) -> _FakeWorkspace:
        return self

    def __exit__(self, *exc: object) -> None:
        self.store.close()


class _FlakyTarget:
    """A target that is its own (and only) handler: gc deletes assistants."""

    versions_on_platform = True
    kind = Kind.ASSISTANT

    def __init__(self) -> None:
        self.deleted: list[str] = []
        self.handlers = HandlerTable.of("flaky", self)

    def delete(self, ref: Ref) -> None:
        if ref.id == "asst_two":
            raise PermanentPlatformError("delete assistant asst_two: 500 internal error", status=500)
        self.deleted.append(ref.id)

    def read(self, kinds: Any, tuning: Any = None) -> LiveState:
        return LiveState()  # nothing listed: no owner label stands in the way


def test_gc_reports_a_failed_deletion_carries_on_and_exits_1(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    root = make_project(tmp_path / "project")
    _seed(root, ["asst_one", "asst_two", "asst_three", "asst_four"], stable=4)
    target = _FlakyTarget()
    monkeypatch.setattr(service, "open_workspace", lambda *a, **k: _FakeWorkspace(_state(root), target))
    assert run(["gc", str(root), "--keep", "1", "--auto-approve"]) == 1
    captured = capsys.readouterr()
    assert "failed: CorporateAssist version 2 (asst_two)" in captured.err
    assert "500 internal error" in captured.err
    assert "gc local: 2 of 3 old versions deleted; 1 kept (--keep 1)." in captured.out
    assert target.deleted == ["asst_one", "asst_three"]


# -- the scenario, with apply making the versions ----------------------------------------------


def test_breaking_change_then_one_command_rollback_leaves_the_platform_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    root = make_project(tmp_path / "project")
    assert run(["apply", str(root), "--auto-approve"]) == 0
    edit_file(
        root,
        "manifests/create-meeting.yaml",
        "      attendees:\n",
        "      location:\n        type: string\n      attendees:\n",
    )
    edit_file(
        root,
        "manifests/create-meeting.yaml",
        "duration_minutes, attendees]",
        "duration_minutes, location, attendees]",
    )
    edit_file(
        root,
        "manifests/corporate-assist.yaml",
        "  versioning: immutable\n",
        '  versioning: immutable\n  acceptBreaking: "rooms"\n',
    )
    assert run(["apply", str(root), "--auto-approve"]) == 0
    capsys.readouterr()
    assert run(["versions", NAME, str(root)]) == 0
    rows = [line.split()[:3] for line in capsys.readouterr().out.splitlines()[1:]]
    assert rows == [["1", "-", "-"], ["2", "stable", "breaking"]]
    with _state(root) as store:
        v1, v2 = store.versions(WS, NAME)

    def platform_files() -> dict[str, bytes]:  # the emulator's database, WAL and journal included
        return {p.name: p.read_bytes() for p in (root / ".reconcile").glob("local-platform.db*")}

    before = platform_files()
    assert before
    monkeypatch.setattr(service, "open_workspace", _no_workspace)
    assert run(["rollback", NAME, str(root), "--reason", "old threads call create_meeting"]) == 0
    assert platform_files() == before
    capsys.readouterr()
    assert run(["resolve", NAME, str(root)]) == 0
    assert capsys.readouterr().out == f"{v1.platform_id}\n"
    assert v2.platform_id in _assistants_on_platform(root)  # v2 still exists: promote is instant too


def test_gc_names_the_versions_live_conversations_keep_with_the_configured_retention(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Issue 17 item 1: gc says which versions it kept for conversations, how many, and the retention
    (`conversations.retention` of reconcile.yaml) behind it."""
    import time

    root = make_project(tmp_path / "project")
    with (root / "reconcile.yaml").open("a", encoding="utf-8") as project_file:
        project_file.write("  conversations:\n    retention: 12h\n")
    versions = _create_assistants(root, 4)
    _seed(root, versions, stable=4)
    now = time.time()
    with _state(root) as store:
        for n in range(3):
            store.assign_conversation(WS, NAME, f"recent{n}", 2, now=now - 3_600)
        store.assign_conversation(WS, NAME, "idle", 1, now=now - 86_400)  # older than 12 hours
    assert run(["gc", str(root), "--keep", "1", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert (
        f"kept: {NAME} version 2: 3 conversations pinned to it, seen in the last 12 hours "
        "(conversations.retention)\n"
    ) in out
    assert f"would delete: {NAME} version 1" in out and f"would delete: {NAME} version 3" in out
