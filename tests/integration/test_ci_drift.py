"""`reconcile ci drift` against the fake GitHub of github_fake.py, on a copy of the example project and the
embedded `local` target: no drift opens nothing; an out-of-band edit opens one issue (marker, label, exit 2);
a rerun updates that issue; an apply that undoes the drift closes it (exit 0)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from reconciler.cli.main import run
from reconciler.emulator import EmulatorApp, EmulatorConfig
from reconciler.gitops.drift_issue import LABEL, marker
from reconciler.gitops.github import GitHub
from tests.integration.github_fake import FakeGitHub, running
from tests.integration.support import platform_state, sdk

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def github(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeGitHub]:
    with running() as fake:
        for name in ("GITHUB_STEP_SUMMARY", "GITHUB_RUN_ID", "GITHUB_EVENT_PATH"):
            monkeypatch.delenv(name, raising=False)
        monkeypatch.setenv("GITHUB_API_URL", fake.url)
        monkeypatch.setenv("GITHUB_TOKEN", fake.token)
        monkeypatch.setenv("GITHUB_REPOSITORY", fake.repository)
        monkeypatch.setenv("GITHUB_SERVER_URL", "https://github.com")
        yield fake


@pytest.fixture
def example(tmp_path: Path) -> Path:
    project = tmp_path / "example"
    project.mkdir()
    shutil.copytree(ROOT / "manifests", project / "manifests")
    shutil.copy(ROOT / "reconcile.yaml", project / "reconcile.yaml")
    # The local platform's Admin API needs no pacing here: its 9 a minute would make the fourth check wait.
    with (project / "reconcile.yaml").open("a", encoding="utf-8") as out:
        out.write("  retry:\n    adminRequestsPerMinute: 6000\n")
    return project


def edit_out_of_band(project: Path) -> None:
    """Give a managed vector store an expiry behind reconciler's back, on the local platform."""
    local = EmulatorApp(EmulatorConfig(db_path=str(project / ".reconcile" / "local-platform.db")))
    try:
        store = platform_state(local).vector_stores[0]
        client = sdk(local)
        try:
            client.vector_stores.update(store.id, expires_after={"anchor": "last_active_at", "days": 7})
        finally:
            client.close()
    finally:
        local.close()


def test_a_drift_issue_is_opened_updated_and_closed(
    github: FakeGitHub, example: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    drift = ["ci", "drift", "-C", str(example), "--target", "local"]
    assert run(["apply", str(example), "--auto-approve"]) == 0
    capsys.readouterr()

    assert run(drift) == 0
    assert capsys.readouterr().out == "No drift in local, and no drift issue open.\n"
    assert github.issues == {}
    assert [r["method"] for r in github.requests] == ["GET"]
    assert github.requests[0]["query"] == f"state=open&labels={LABEL}&per_page=100&page=1"

    edit_out_of_band(example)
    assert run(drift) == 2
    out = capsys.readouterr().out
    assert out.startswith("Drift in local (1 objects): opened the drift issue #101: https://github.com/")
    (issue,) = github.issues.values()
    assert issue["title"] == "Drift in local" and issue["labels"] == [{"name": LABEL}]
    assert issue["body"].startswith(marker("local") + "\n## Drift in local\n")
    assert "```text\n" in issue["body"] and "VectorStore/" in issue["body"]

    assert run(drift) == 2
    assert "updated the drift issue #101" in capsys.readouterr().out
    assert list(github.issues) == [101] and github.issues[101]["state"] == "open"
    assert [r["method"] for r in github.requests][-2:] == ["GET", "PATCH"]

    assert run(["apply", str(example), "--auto-approve"]) == 0
    capsys.readouterr()
    assert run(drift) == 0
    assert capsys.readouterr().out.startswith("No drift in local: closed the drift issue #101")
    closed = github.issues[101]
    assert (closed["state"], closed["state_reason"]) == ("closed", "completed")
    assert closed["body"].startswith(marker("local") + "\nNo drift in `local` any more")

    assert run(drift) == 0  # closed issues are not listed: nothing more to do
    assert list(github.issues) == [101] and github.requests[-1]["method"] == "GET"


def test_open_issues_skip_pull_requests_and_other_targets(github: FakeGitHub) -> None:
    label = [{"name": LABEL}]
    github.issues = {
        1: {"number": 1, "state": "open", "labels": label, "body": marker("local"), "pull_request": {}},
        2: {"number": 2, "state": "open", "labels": label, "body": marker("localx") + "\nx"},
        3: {"number": 3, "state": "open", "labels": [], "body": marker("local")},
        4: {"number": 4, "state": "open", "labels": label, "body": marker("local") + "\nours"},
    }
    client = GitHub(github.url, github.token, github.repository)
    assert [i["number"] for i in client.open_issues(LABEL)] == [4, 2]


def test_a_missing_repository_is_an_error_exit_1(
    github: FakeGitHub, example: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("GITHUB_REPOSITORY")
    assert run(["ci", "drift", "-C", str(example)]) == 1
    assert "GITHUB_REPOSITORY is not set" in capsys.readouterr().err
    assert github.requests == []
