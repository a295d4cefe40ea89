"""The reviewed line of a plan comment, whose comments are trusted, the pull request that merged a commit,
and the newest artifact of a name."""

from __future__ import annotations

from typing import Any

import pytest

from reconciler.gitops.comment import marker
from reconciler.gitops.review import (
    BOT,
    Reviewed,
    apply_marker,
    artifact_name,
    by_author,
    merged_pull,
    newest_artifact,
    parse_reviewed,
    reviewed_line,
)

SHA = "0123456789abcdef0123456789abcdef01234567"


def test_the_reviewed_line_round_trips_under_the_marker() -> None:
    line = reviewed_line("3a8a115131a3f71f5f29", SHA)
    assert line == f"<!-- reconciler:reviewed plan=3a8a115131a3f71f5f29 sha={SHA} -->"
    body = f"{marker('prod')}\n{line}\n## Reconciler plan for prod\n"
    assert parse_reviewed(body) == Reviewed("3a8a115131a3f71f5f29", SHA)
    assert parse_reviewed(f"{marker('prod')}\n{reviewed_line('3a8a115131a3f71f5f29')}\n") == Reviewed(
        "3a8a115131a3f71f5f29", ""
    )


def test_a_sha_that_is_not_hex_is_left_out_and_a_bad_plan_id_refused() -> None:
    assert "sha=" not in reviewed_line("abcdef1234", "main; rm -rf /")
    with pytest.raises(ValueError, match="lowercase hex"):
        reviewed_line("x --> <b>", SHA)


def test_only_the_second_line_counts() -> None:
    line = reviewed_line("abcdef1234", SHA)
    assert parse_reviewed(line) is None  # no marker line above it
    assert parse_reviewed(f"{marker('prod')}\n## plan\n```\n{line}\n```\n") is None  # quoted in a diff
    assert parse_reviewed(f"{marker('prod')}\n<!-- reconciler:reviewed plan=XYZ -->\n") is None
    assert parse_reviewed(f"{marker('prod')}\n{line} trailing\n") is None


def test_only_the_bots_comments_are_trusted() -> None:
    comments: list[dict[str, Any]] = [
        {"id": 1, "body": "x", "user": {"login": "mallory"}},
        {"id": 2, "body": "y", "user": {"login": "GitHub-Actions[bot]"}},
        {"id": 3, "body": "z"},
        {"id": 4, "body": "w", "user": None},
    ]
    assert [c["id"] for c in by_author(comments, BOT)] == [2]


def test_the_merged_pull_request_of_a_commit() -> None:
    open_pr = {"number": 3, "merged_at": None, "merge_commit_sha": "a" * 40}
    other = {"number": 5, "merged_at": "2026-01-01T00:00:00Z", "merge_commit_sha": "b" * 40}
    exact = {"number": 9, "merged_at": "2026-01-02T00:00:00Z", "merge_commit_sha": SHA}
    assert merged_pull([open_pr, other, exact], SHA) == exact
    assert merged_pull([open_pr, other], SHA) == other  # a rebase merge: the commit is in it
    assert merged_pull([open_pr], SHA) is None
    assert merged_pull([], SHA) is None


def test_the_newest_unexpired_artifact_of_exactly_that_name() -> None:
    name = artifact_name("prod", SHA)
    assert name == f"reconcile-plan-prod-{SHA}"
    artifacts: list[dict[str, Any]] = [
        {"id": 1, "name": name, "created_at": "2026-01-01T00:00:01Z"},
        {"id": 2, "name": name, "created_at": "2026-01-01T00:00:03Z", "expired": True},
        {"id": 3, "name": name, "created_at": "2026-01-01T00:00:02Z"},
        {"id": 4, "name": name + "x", "created_at": "2026-01-01T00:00:09Z"},
    ]
    chosen = newest_artifact(artifacts, name)
    assert chosen is not None and chosen["id"] == 3
    assert newest_artifact(artifacts[1:2], name) is None


def test_the_apply_marker_is_not_the_plan_marker() -> None:
    assert apply_marker("prod") == "<!-- reconciler:apply target=prod -->"
    assert not apply_marker("prod").startswith(marker("prod")[:-4])
