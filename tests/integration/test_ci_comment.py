"""`reconcile ci comment` against a fake of GitHub's REST API on 127.0.0.1: first comment, update in place,
two targets, truncation, a push (summary only), a missing token, the token never printed; and the comment's
Markdown for a first apply as a golden file (UPDATE_GOLDEN=1 regenerates it, as tests/unit/render does)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from reconciler.cli.main import run
from reconciler.errors import TemporaryPlatformError
from reconciler.gitops.comment import GITHUB_LIMIT, marker
from reconciler.gitops.github import GitHub
from reconciler.plan.definition import Action, FieldChange, Plan, Stage
from tests.golden_files import assert_matches_golden
from tests.integration.github_fake import FakeGitHub, running
from tests.unit.render import plans

GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "gitops" / "comment_create_all.md"
PR = 17
HEAD = "abc123" + "0" * 34


@pytest.fixture
def github(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeGitHub]:
    with running() as fake:
        event = tmp_path / "event.json"
        head = {"sha": HEAD, "repo": {"fork": False}}
        event.write_text(json.dumps({"pull_request": {"number": PR, "head": head}}), encoding="utf-8")
        for name in ("GITHUB_STEP_SUMMARY", "GITHUB_RUN_ID"):
            monkeypatch.delenv(name, raising=False)
        monkeypatch.setenv("GITHUB_API_URL", fake.url)
        monkeypatch.setenv("GITHUB_TOKEN", fake.token)
        monkeypatch.setenv("GITHUB_REPOSITORY", fake.repository)
        monkeypatch.setenv("GITHUB_EVENT_PATH", str(event))
        monkeypatch.setenv("GITHUB_SERVER_URL", "https://github.com")
        yield fake


def save(tmp_path: Path, plan: Plan, name: str = "plan.json") -> Path:
    path = tmp_path / name
    path.write_text(plan.with_id().to_json(), encoding="utf-8")
    return path


def huge_plan() -> Plan:
    base = plans.create_all()
    changes = tuple(
        plans.change(
            f"Assistant/helper-{i:04d}",
            Stage.ASSISTANTS,
            Action.UPDATE,
            "instructions changed " + "because " * 20,
            changes=(FieldChange(path="instructions", before="old " * 50, after="new " * 50),),
        )
        for i in range(600)
    )
    return base.model_copy(update={"changes": base.changes + changes})


def test_first_comment_is_created_then_updated_in_place(
    github: FakeGitHub, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    saved = save(tmp_path, plans.create_all())
    assert run(["ci", "comment", str(saved)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Created the plan comment: https://github.com/acme/agents/pull/17#issuecomment-")
    assert len(github.bodies(PR)) == 1
    first = github.comments[PR][0]["id"]
    sent = github.requests[-1]["headers"]
    assert sent["accept"] == "application/vnd.github+json" and sent["x-github-api-version"] == "2022-11-28"

    saved = save(tmp_path, plans.mixed().model_copy(update={"workspace": "default"}))
    assert run(["ci", "comment", str(saved)]) == 0
    assert capsys.readouterr().out.startswith("Updated the plan comment:")
    assert [c["id"] for c in github.comments[PR]] == [first]
    second = plans.mixed().model_copy(update={"workspace": "default"}).with_id()
    reviewed = f"<!-- reconciler:reviewed plan={second.plan_id} sha={HEAD} -->"
    assert github.bodies(PR)[0].startswith(f"{marker('default')}\n{reviewed}\n## Reconciler plan for default")
    assert "2 to replace" in github.bodies(PR)[0]  # the second plan's body replaced the first's
    assert [r["method"] for r in github.requests] == ["GET", "POST", "GET", "PATCH"]


def test_two_targets_get_two_comments(github: FakeGitHub, tmp_path: Path) -> None:
    saved = save(tmp_path, plans.create_all())
    for target in ("staging", "prod", "staging"):
        assert run(["ci", "comment", str(saved), "--target", target]) == 0
    bodies = github.bodies(PR)
    assert [b.splitlines()[0] for b in bodies] == [marker("staging"), marker("prod")]


def test_a_huge_plan_is_cut_under_the_limit_with_the_artifact_link(
    github: FakeGitHub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GITHUB_RUN_ID", "4242")
    saved = save(tmp_path, huge_plan())
    assert len(saved.read_text(encoding="utf-8")) > GITHUB_LIMIT
    assert run(["ci", "comment", str(saved)]) == 0
    (body,) = github.bodies(PR)
    assert len(body) < GITHUB_LIMIT
    assert "https://github.com/acme/agents/actions/runs/4242" in body
    assert body.count("<details>") == body.count("</details>")


def test_a_push_writes_only_the_step_summary(
    github: FakeGitHub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    push = tmp_path / "push.json"
    push.write_text(json.dumps({"ref": "refs/heads/main", "after": "abc"}), encoding="utf-8")
    summary = tmp_path / "summary.md"
    monkeypatch.setenv("GITHUB_EVENT_PATH", str(push))
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    assert run(["ci", "comment", str(save(tmp_path, plans.create_all()))]) == 0
    assert github.requests == []
    lines = summary.read_text(encoding="utf-8").splitlines()
    assert lines[0] == marker("default") and lines[2] == "## Reconciler plan for default"
    assert lines[1].startswith("<!-- reconciler:reviewed plan=")
    assert "sha=" not in lines[1]  # a push has no pull request head
    assert "step summary" in capsys.readouterr().out


def test_pr_flag_overrides_and_summary_is_written_too(
    github: FakeGitHub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    summary = tmp_path / "summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    assert run(["ci", "comment", str(save(tmp_path, plans.create_all())), "--pr", "5"]) == 0
    assert len(github.bodies(5)) == 1 and github.bodies(PR) == []
    assert summary.read_text(encoding="utf-8") == github.bodies(5)[0]


def test_a_missing_token_is_one_line_and_exit_1(
    github: FakeGitHub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("GITHUB_TOKEN")
    assert run(["ci", "comment", str(save(tmp_path, plans.create_all()))]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "GITHUB_TOKEN is not set" in err and "pull-requests: write" in err
    assert github.requests == []


def test_a_refused_token_names_the_permission_and_is_never_printed(
    github: FakeGitHub, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    github.fail_next(403)
    assert run(["ci", "comment", str(save(tmp_path, plans.create_all()))]) == 1
    out, err = capsys.readouterr()
    assert err.count("\n") == 1 and "HTTP 403" in err and "pull-requests: write" in err
    assert github.token not in out + err
    assert len(github.requests) == 1  # a 403 without Retry-After is not retried


def test_5xx_and_rate_limits_are_retried_a_bounded_number_of_times(github: FakeGitHub) -> None:
    slept: list[float] = []
    client = GitHub(github.url, github.token, github.repository, sleep=slept.append)
    github.fail_next(502)
    github.fail_next(403, {"Retry-After": "120"})
    assert client.comments(PR) == []
    assert slept == [1.0, 10.0]  # backoff, then Retry-After bounded to 10 s
    github.fail_next(500, times=3)
    with pytest.raises(Exception, match="HTTP 500"):
        client.comments(PR)


def test_comments_are_read_page_by_page(github: FakeGitHub) -> None:
    mark = marker("default")
    github.comments[PR] = [{"id": i, "body": f"chatter {i}", "html_url": ""} for i in range(1, 231)]
    github.comments[PR].append({"id": 500, "body": f"{mark}\nold", "html_url": "u"})
    client = GitHub(github.url, github.token, github.repository)
    assert len(client.comments(PR)) == 231
    assert [r["query"] for r in github.requests] == [f"per_page=100&page={k}" for k in (1, 2, 3)]


def test_plain_http_is_refused_except_to_this_machine(
    github: FakeGitHub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("GITHUB_API_URL", "http://api.example.com")
    assert run(["ci", "comment", str(save(tmp_path, plans.create_all()))]) == 1
    assert "GITHUB_API_URL must be an https URL" in capsys.readouterr().err


def test_the_comment_markdown_matches_its_golden_file(github: FakeGitHub, tmp_path: Path) -> None:
    assert run(["ci", "comment", str(save(tmp_path, plans.create_all()))]) == 0
    (body,) = github.bodies(PR)
    assert_matches_golden(body, GOLDEN)


def test_no_answer_is_a_temporary_error_after_bounded_retries() -> None:
    with running() as fake:
        url, secret = fake.url, fake.token
    slept: list[float] = []
    client = GitHub(url, secret, "acme/agents", timeout=1.0, sleep=slept.append)
    with pytest.raises(TemporaryPlatformError, match="no answer") as caught:
        client.create_comment(PR, "x")
    assert slept == [1.0, 2.0] and secret not in caught.value.one_line()
