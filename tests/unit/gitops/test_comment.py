"""The plan comment's marker, which existing comment is ours, and cutting a long plan under GitHub's limit."""

from __future__ import annotations

from typing import Any

from reconciler.gitops.comment import GITHUB_LIMIT, find, fit, marker
from reconciler.render.markdown import marker as render_marker


def test_marker_names_the_target_and_cannot_be_closed_by_it() -> None:
    assert marker("prod") == "<!-- reconciler:plan target=prod -->"
    hostile = marker("x --> <b>y</b> ")
    assert hostile.count("-->") == 1 and "<b>" not in hostile and " " not in hostile[26:-4]
    assert render_marker("prod") == marker("prod")  # the renderer writes the marker ci comment looks for


def test_find_takes_the_first_comment_by_id_that_starts_with_the_marker() -> None:
    mark = marker("prod")
    comments: list[dict[str, Any]] = [
        {"id": 9, "body": f"{mark}\nnewer"},
        {"id": 3, "body": "a human quoting it:\n" + mark},
        {"id": 5, "body": f"{marker('prod-eu')}\nother target"},
        {"id": 7, "body": f"{mark}\nolder"},
        {"id": 2, "body": None},
    ]
    assert find(comments, mark) == {"id": 7, "body": f"{mark}\nolder"}
    assert find(comments, marker("prod-e")) is None  # a marker is matched whole, not as a prefix
    assert find([], mark) is None


def test_fit_leaves_a_short_body_alone() -> None:
    body = "<!-- m -->\nshort\n"
    assert fit(body, artifact_url="https://x") == body


def test_fit_cuts_at_a_line_under_the_limit_with_a_link_to_the_artifact() -> None:
    body = "".join(f"line {i} " + "x" * 90 + "\n" for i in range(2_000))
    fitted = fit(body, artifact_url="https://github.com/acme/agents/actions/runs/42")
    assert len(fitted) < GITHUB_LIMIT
    assert "https://github.com/acme/agents/actions/runs/42" in fitted and "Truncated" in fitted
    kept = fitted.split("\n> **Truncated:**")[0].rstrip("\n").splitlines()
    assert kept == body.splitlines()[: len(kept)]  # whole lines, in order


def test_fit_closes_an_open_fence_and_details() -> None:
    body = "<details><summary>big</summary>\n\n````diff\n" + "+ added line\n" * 10_000 + "````\n</details>\n"
    fitted = fit(body, limit=5_000)
    assert len(fitted) <= 5_000
    lines = fitted.splitlines()
    assert "````" in lines and lines.index("````") > lines.index("````diff")
    assert fitted.count("<details>") == fitted.count("</details>") == 1
    assert "the full plan in the workflow run's log" in fitted
