"""What was reviewed on a pull request, pure: the hidden line a plan comment carries (the reviewed plan's id
and the head SHA it was made at), which comment to trust, which pull request merged a commit, and which
artifact holds the saved plan.

`reconcile ci comment` writes `<!-- reconciler:reviewed plan=ID sha=SHA -->` as the comment's second line,
right under the marker: a line the truncation never reaches, and one no manifest can forge, since only
that position is read and the renderer escapes every string from a manifest. `reconcile ci apply` reads it
back from the comment the workflow's bot wrote, never from a human's.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from reconciler.gitops.comment import safe_target

BOT = "github-actions[bot]"  # who writes the comments with a workflow's GITHUB_TOKEN
REVIEWED_PREFIX = "<!-- reconciler:reviewed "
APPLY_PREFIX = "<!-- reconciler:apply target="
_HEX = re.compile(r"[0-9a-f]{7,64}")
_REVIEWED = re.compile(r"^<!-- reconciler:reviewed plan=([0-9a-f]{7,64})(?: sha=([0-9a-f]{7,64}))? -->$")


@dataclass(frozen=True)
class Reviewed:
    """The plan a pull request's comment showed: its id and the head SHA it was made at ("" if unknown)."""

    plan_id: str
    head_sha: str = ""


def reviewed_line(plan_id: str, head_sha: str = "") -> str:
    """The hidden line naming the reviewed plan; a value that is not lowercase hex is left out (a plan id
    always is; a SHA from the event may be missing)."""
    if not _HEX.fullmatch(plan_id):
        raise ValueError(f"a plan id is lowercase hex, not {plan_id!r}")
    sha = f" sha={head_sha}" if _HEX.fullmatch(head_sha or "") else ""
    return f"{REVIEWED_PREFIX}plan={plan_id}{sha} -->"


def parse_reviewed(body: str) -> Reviewed | None:
    """The reviewed plan of a comment body: its second line only (the first is the marker)."""
    lines = body.splitlines()
    if len(lines) < 2:
        return None
    found = _REVIEWED.match(lines[1].strip())
    return Reviewed(found.group(1), found.group(2) or "") if found else None


def apply_marker(target: str) -> str:
    """The hidden first line of the comment `ci apply` leaves when it refuses a plan that changed."""
    return f"{APPLY_PREFIX}{safe_target(target)} -->"


def by_author(comments: Iterable[Mapping[str, Any]], author: str) -> list[Mapping[str, Any]]:
    """The comments written by `author` (a login, compared case-insensitively, as GitHub's are)."""
    wanted = author.casefold()
    out = []
    for c in comments:
        user = c.get("user")
        login = user.get("login") if isinstance(user, Mapping) else None
        if isinstance(login, str) and login.casefold() == wanted:
            out.append(c)
    return out


def merged_pull(pulls: Iterable[Mapping[str, Any]], sha: str) -> Mapping[str, Any] | None:
    """The pull request that merged `sha`: among those GitHub associates with the commit, a merged one
    whose merge commit is `sha`, else the merged one with the lowest number, else None (an open pull
    request containing the commit was not reviewed for this push)."""
    merged = [
        p
        for p in pulls
        if p.get("merged_at") and isinstance(p.get("number"), int) and not isinstance(p.get("number"), bool)
    ]
    exact = [p for p in merged if p.get("merge_commit_sha") == sha]
    pool = exact or merged
    return min(pool, key=lambda p: int(p["number"])) if pool else None


def artifact_name(target: str, head_sha: str) -> str:
    """The name reconcile-plan.yml uploads the saved plan under."""
    return f"reconcile-plan-{target}-{head_sha}"


def newest_artifact(artifacts: Iterable[Mapping[str, Any]], name: str) -> Mapping[str, Any] | None:
    """The newest unexpired artifact called exactly `name` (a rerun of the plan uploads another)."""
    usable = [
        a
        for a in artifacts
        if a.get("name") == name and not a.get("expired") and isinstance(a.get("id"), int)
    ]
    return max(usable, key=lambda a: (str(a.get("created_at") or ""), int(a["id"]))) if usable else None
