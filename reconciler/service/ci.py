"""`reconcile ci comment`: one plan comment per pull request and target, upserted, and the step summary.
`reconcile ci drift`: one open issue per target while drift lasts, opened, updated, then closed.

The CLI renders the Markdown (service does not import render) and passes the body; here it is fitted under
GitHub's limit, the existing comment is found by its marker and updated, or a new one is created. Under
the marker, a hidden line names the plan shown and the head SHA it was made at: what `ci apply` applies.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from reconciler.errors import ConfigError, UserError
from reconciler.gitops import comment, drift_issue, event, review
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
    plan_id: str,
    pr_number: int | None = None,
    head_sha: str = "",
    artifact_url: str | None = None,
) -> Posted:
    """Append `body` to the step summary when there is one; upsert it as the PR's comment for `target`
    when the run is about a pull request (a push gets the summary only). `plan_id` and `head_sha` (default:
    the event's pull request head) go in the hidden reviewed line."""
    mark = comment.marker(target)
    first, _, rest = body.partition("\n")
    if first.startswith(comment.MARKER_PREFIX):  # the renderer's marker names the plan's workspace
        body = rest
    pr = event.pull_request(environ, number=pr_number)
    sha = head_sha or (pr.head_sha if pr is not None else "")
    body = f"{mark}\n{review.reviewed_line(plan_id, sha)}\n{body}"
    fitted = comment.fit(body, artifact_url=artifact_url or default_artifact_url(environ))
    summary = _append_summary(environ.get("GITHUB_STEP_SUMMARY") or "", fitted)
    if pr is None:
        return Posted("skipped", summary=summary)
    client = GitHub.from_env(environ, pr.repository)
    posted = upsert_comment(client, pr.number, mark, fitted)
    return Posted(posted.action, posted.url, summary)


def upsert_comment(client: GitHub, number: int, mark: str, body: str) -> Posted:
    """Update the comment on `number` that starts with the marker line `mark`, or create one."""
    existing = comment.find(client.comments(number), mark)
    if existing is None:
        made = client.create_comment(number, body)
        return Posted("created", str(made.get("html_url", "")))
    made = client.update_comment(int(existing["id"]), body)
    return Posted("updated", str(made.get("html_url", "")))


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


@dataclass(frozen=True)
class DriftIssue:
    action: Literal["opened", "updated", "closed", "none"]
    number: int | None = None
    url: str = ""


def sync_drift_issue(body: str | None, *, target: str, environ: Mapping[str, str]) -> DriftIssue:
    """The drift issue of `target` in `$GITHUB_REPOSITORY`: `body` (the rendered drift report, None when
    there is no drift) opens it or replaces the open one's body; no drift closes the open one, if any."""
    repository = (environ.get("GITHUB_REPOSITORY") or "").strip()
    if "/" not in repository:
        raise ConfigError("GITHUB_REPOSITORY is not set (owner/name): run in GitHub Actions or set it")
    mark = drift_issue.marker(target)
    client = GitHub.from_env(environ, repository)
    existing = drift_issue.find(client.open_issues(drift_issue.LABEL), mark)
    if body is None:
        if existing is None:
            return DriftIssue("none")
        number = int(existing["number"])
        run = default_artifact_url(environ)
        seen = f" (checked by {run})" if run else ""
        name = comment.safe_target(target)
        closing = f"{mark}\nNo drift in `{name}` any more{seen}: closed by reconciler.\n"
        made = client.update_issue(number, body=closing, state="closed", state_reason="completed")
        return DriftIssue("closed", number, str(made.get("html_url", "")))
    fitted = comment.fit(f"{mark}\n{body}", artifact_url=default_artifact_url(environ))
    if existing is None:
        made = client.create_issue(drift_issue.title(target), fitted, [drift_issue.LABEL])
        return DriftIssue("opened", _number(made), str(made.get("html_url", "")))
    made = client.update_issue(int(existing["number"]), body=fitted)
    return DriftIssue("updated", int(existing["number"]), str(made.get("html_url", "")))


def _number(issue: Mapping[str, object]) -> int | None:
    number = issue.get("number")
    return number if isinstance(number, int) else None
