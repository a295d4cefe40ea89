"""`reconcile ci apply` against the fake GitHub of github_fake.py, on a copy of the example project applied
once to the embedded `local` target: a pull request's plan is saved (as the plan job's artifact, or a file)
and commented with `ci comment`, the pull request is merged in the fake, and `ci apply` runs for the merge
commit. Covered: a fresh saved plan applied exactly (the zip fetched without the token); the artifact
missing, or not the reviewed plan, and a new plan equal to the reviewed one applied; the platform changed
after review: nothing applied, the pull request told, exit 1 in one line; a push no pull request merged
refused unless --allow-unreviewed; a plan comment written by someone else than the bot not trusted; the
artifact's download bounded, and never redirected to plain http."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from reconciler.cli.main import run
from reconciler.emulator import EmulatorApp, EmulatorConfig
from reconciler.errors import PermanentPlatformError
from reconciler.gitops.github import GitHub
from reconciler.gitops.review import apply_marker, artifact_name
from tests.integration.github_fake import FakeGitHub, running
from tests.integration.support import platform_state, sdk

ROOT = Path(__file__).resolve().parents[2]
HEAD = "1111111111111111111111111111111111111111"
MERGE = "2222222222222222222222222222222222222222"
PR = 7


@pytest.fixture(scope="module")
def applied(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example project, applied to `local` once (copied by each test: an apply is 1-2 s)."""
    project = tmp_path_factory.mktemp("applied") / "example"
    project.mkdir()
    shutil.copytree(ROOT / "manifests", project / "manifests")
    shutil.copy(ROOT / "reconcile.yaml", project / "reconcile.yaml")
    # The local platform's Admin API needs no pacing here: its 9 a minute would make later plans wait.
    with (project / "reconcile.yaml").open("a", encoding="utf-8") as out:
        out.write("  retry:\n    adminRequestsPerMinute: 6000\n")
    assert run(["apply", str(project), "--auto-approve"]) == 0
    return project


@pytest.fixture
def example(applied: Path, tmp_path: Path) -> Path:
    project = tmp_path / "example"
    shutil.copytree(applied, project)
    return project


@pytest.fixture
def github(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeGitHub]:
    with running() as fake:
        for name in ("GITHUB_STEP_SUMMARY", "GITHUB_RUN_ID", "GITHUB_EVENT_PATH", "GITHUB_SHA"):
            monkeypatch.delenv(name, raising=False)
        monkeypatch.setenv("GITHUB_API_URL", fake.url)
        monkeypatch.setenv("GITHUB_TOKEN", fake.token)
        monkeypatch.setenv("GITHUB_REPOSITORY", fake.repository)
        monkeypatch.setenv("GITHUB_SERVER_URL", "https://github.com")
        yield fake


def change_manifests(project: Path) -> None:
    """The pull request: CorporateAssist's behaviour and the vector store's metadata change."""
    assistant = project / "manifests" / "corporate-assist.yaml"
    assistant.write_text(
        assistant.read_text(encoding="utf-8").replace("temperature: 0.2", "temperature: 0.3")
    )
    store = project / "manifests" / "expense-policy.yaml"
    store.write_text(store.read_text(encoding="utf-8").replace("owner: finance-it", "owner: finance-ops"))


def review(project: Path, github: FakeGitHub, *, upload: bool = True) -> str:
    """Plan the pull request's head, comment it, upload the plan as the plan job does, merge it."""
    change_manifests(project)
    saved = project / f"plan-{HEAD}.json"
    assert run(["plan", str(project), "-out", str(saved)]) == 0
    assert run(["ci", "comment", str(saved), "--target", "local", "--pr", str(PR), "--sha", HEAD]) == 0
    if upload:
        github.upload(artifact_name("local", HEAD), {saved.name: saved.read_bytes()}, head_sha=HEAD)
    github.merge(PR, head_sha=HEAD, merge_sha=MERGE)
    plan_id = json.loads(saved.read_text(encoding="utf-8"))["plan_id"]
    assert isinstance(plan_id, str)
    return plan_id


def versions(project: Path, capsys: pytest.CaptureFixture[str]) -> list[int]:
    capsys.readouterr()
    assert run(["versions", "CorporateAssist", str(project), "-json"]) == 0
    return [v["number"] for v in json.loads(capsys.readouterr().out)["versions"]]


def ci_apply(project: Path, *extra: str) -> int:
    return run(["ci", "apply", "-C", str(project), "--target", "local", "--sha", MERGE, *extra])


def test_a_fresh_saved_plan_is_applied_exactly(
    github: FakeGitHub, example: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    reviewed = review(example, github)
    capsys.readouterr()
    assert ci_apply(example) == 0
    out = capsys.readouterr().out
    assert f"Reviewed on pull request #{PR}: plan {reviewed} at {HEAD[:12]}" in out
    assert f"The saved plan {reviewed} is the reviewed plan and still fresh: applying it exactly." in out
    assert "Apply complete!" in out
    assert versions(example, capsys) == [1, 2]
    paths = [r["path"] for r in github.requests]
    assert f"/repos/acme/agents/commits/{MERGE}/pulls" in paths and any(
        p.startswith("/_blobs/") for p in paths
    )
    blob = next(r for r in github.requests if r["path"].startswith("/_blobs/"))
    assert "authorization" not in blob["headers"]  # the token stays with GitHub
    assert github.bodies(PR)[0].splitlines()[1].startswith(f"<!-- reconciler:reviewed plan={reviewed} ")


def test_without_the_artifact_a_new_plan_equal_to_the_reviewed_one_is_applied(
    github: FakeGitHub, example: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    reviewed = review(example, github, upload=False)
    capsys.readouterr()
    assert ci_apply(example) == 0
    out = capsys.readouterr().out
    assert f"No artifact {artifact_name('local', HEAD)} (expired, or never uploaded): planning again." in out
    assert f"The new plan {reviewed} is the reviewed plan: applying it." in out
    assert versions(example, capsys) == [1, 2]


def test_a_saved_plan_that_is_not_the_reviewed_one_is_not_used(
    github: FakeGitHub, example: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    older = example / "older.json"
    assert run(["plan", str(example), "-out", str(older)]) == 0  # before the pull request's change
    older_id = json.loads(older.read_text(encoding="utf-8"))["plan_id"]
    reviewed = review(example, github, upload=False)
    capsys.readouterr()
    assert ci_apply(example, "--plan", str(older)) == 0
    out = capsys.readouterr().out
    assert f"The saved plan {older_id} is not the reviewed plan {reviewed}: planning again." in out
    assert f"The new plan {reviewed} is the reviewed plan: applying it." in out
    assert versions(example, capsys) == [1, 2]


def test_a_plan_changed_since_review_is_not_applied_and_the_pr_is_told(
    github: FakeGitHub, example: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    reviewed = review(example, github)
    edit_the_store_out_of_band(example)  # after review, before the merge's apply
    capsys.readouterr()
    assert ci_apply(example) == 1
    out, err = capsys.readouterr()
    assert f"The saved plan {reviewed} is stale (objects changed since the plan was made: VectorStore/" in out
    assert (
        err.count("\n") == 1
        and f"changed since it was reviewed on pull request #{PR} (reviewed {reviewed}" in err
    )
    assert "nothing was applied; created a comment on it: https://github.com/acme/agents/pull/7#" in err
    assert versions(example, capsys) == [1]  # CorporateAssist's version 2 was not made
    plan_comment, refusal = github.bodies(PR)
    assert refusal.startswith(
        apply_marker("local") + "\n## Not applied to `local`: the plan changed since review"
    )
    now = err.split(", now ", 1)[1].split(")", 1)[0]
    assert now != reviewed and f"`{reviewed}`" in refusal and f"`{now}`" in refusal
    assert "## Reconciler plan for local" in refusal and "VectorStore/ExpensePolicy2026" in refusal
    assert plan_comment.startswith("<!-- reconciler:plan target=local -->")  # the review is left as it was

    capsys.readouterr()
    assert ci_apply(example) == 1  # a rerun updates the same refusal comment
    assert len(github.bodies(PR)) == 2 and "updated a comment on it" in capsys.readouterr().err


def test_a_push_no_pull_request_merged_is_refused_unless_allowed(
    github: FakeGitHub, example: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    change_manifests(example)
    assert ci_apply(example) == 1
    out, err = capsys.readouterr()
    assert f"No merged pull request for commit {MERGE[:12]}." in out
    assert err.startswith("error: no reviewed plan for local at 222222222222") and "--allow-unreviewed" in err
    assert versions(example, capsys) == [1]

    assert ci_apply(example, "--allow-unreviewed") == 0
    assert "--allow-unreviewed, so a fresh plan is applied." in capsys.readouterr().out
    assert versions(example, capsys) == [1, 2]


def test_a_plan_comment_by_someone_else_is_not_trusted(
    github: FakeGitHub, example: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    review(example, github)
    for item in github.comments[PR]:
        item["user"] = {"login": "mallory"}
    capsys.readouterr()
    assert ci_apply(example) == 1
    assert (
        f"Pull request #{PR} has no plan comment for local by github-actions[bot]." in capsys.readouterr().out
    )
    assert versions(example, capsys) == [1]


def edit_the_store_out_of_band(project: Path) -> None:
    """Give the managed vector store an expiry behind reconciler's back, on the local platform."""
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


def test_an_artifact_download_is_bounded_and_follows_no_plain_http_redirect(github: FakeGitHub) -> None:
    client = GitHub(github.url, github.token, github.repository)
    made = github.upload("big", {"plan-x.json": b"0123456789" * 1_000})
    assert client.download_artifact(int(made["id"]), limit=1_000_000).startswith(b"PK")
    with pytest.raises(PermanentPlatformError, match="over 100 bytes"):
        client.download_artifact(int(made["id"]), limit=100)
    github.fail_next(302, {"Location": "http://storage.example.com/blob"})
    with pytest.raises(PermanentPlatformError, match="redirected to a http URL: refused"):
        client.download_artifact(int(made["id"]), limit=1_000_000)
