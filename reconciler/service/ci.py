"""`reconcile ci comment`: one plan comment per pull request and target, upserted, and the step summary.

The CLI renders the Markdown (service does not import render) and passes the body; here it is fitted under
GitHub's limit, the existing comment is found by its marker and updated, or a new one is created.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from reconciler.errors import UserError
from reconciler.gitops import comment, event
from reconciler.gitops.github import GitHub


@dataclass(frozen=True)
class Posted:
    action: Literal["created", "updated", "skipped"]
    url: str = ""
    summary: bool = False  # the body was appended to $GITHUB_STEP_SUMMARY


def post_plan_comment(
    body: str,
    *,
    target: str,
    environ: Mapping[str, str],
    pr_number: int | None = None,
    artifact_url: str | None = None,
) -> Posted:
    """Append `body` to the step summary when there is one; upsert it as the PR's comment for `target`
    when the run is about a pull request (a push gets the summary only)."""
    mark = comment.marker(target)
    first, _, rest = body.partition("\n")
    if first.startswith(comment.MARKER_PREFIX):  # the renderer's marker names the plan's workspace
        body = rest
    body = f"{mark}\n{body}"
    fitted = comment.fit(body, artifact_url=artifact_url or default_artifact_url(environ))
    summary = _append_summary(environ.get("GITHUB_STEP_SUMMARY") or "", fitted)
    pr = event.pull_request(environ, number=pr_number)
    if pr is None:
        return Posted("skipped", summary=summary)
    client = GitHub.from_env(environ, pr.repository)
    existing = comment.find(client.comments(pr.number), mark)
    if existing is None:
        made = client.create_comment(pr.number, fitted)
        return Posted("created", str(made.get("html_url", "")), summary)
    made = client.update_comment(int(existing["id"]), fitted)
    return Posted("updated", str(made.get("html_url", "")), summary)


def default_artifact_url(environ: Mapping[str, str]) -> str | None:
    """The workflow run's page (`$GITHUB_SERVER_URL/$GITHUB_REPOSITORY/actions/runs/$GITHUB_RUN_ID`)."""
    server, repo, run = (
        environ.get(k, "") for k in ("GITHUB_SERVER_URL", "GITHUB_REPOSITORY", "GITHUB_RUN_ID")
    )
    if not (server and repo and run):
        return None
    return f"{server.rstrip('/')}/{repo}/actions/runs/{run}"


def _append_summary(path: str, body: str) -> bool:
    if not path:
        return False
    try:
        with Path(path).open("a", encoding="utf-8") as out:
            out.write(body if body.endswith("\n") else body + "\n")
    except OSError as error:
        raise UserError(f"GITHUB_STEP_SUMMARY {path}: cannot write it: {error.strerror or error}") from None
    return True
