"""The plan comment on a pull request, pure: its hidden marker, which existing comment is ours, and how a
long body is cut under GitHub's limit.

One comment per pull request and target: the first line is `<!-- reconciler:plan target=X -->`, and a rerun
updates the comment that starts with it instead of adding another.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

# GitHub refuses an issue comment body over 65,536 characters.
GITHUB_LIMIT = 65_536
# Room left under the limit for the truncation note (its link included) and any closing tags.
_ROOM = 2_000
MARKER_PREFIX = "<!-- reconciler:plan target="
_UNSAFE = re.compile(r"[^A-Za-z0-9._/:-]")
_FENCE = re.compile(r"^\s{0,3}(`{3,}|~{3,})")


def marker(target: str) -> str:
    """The hidden first line of the comment for `target`. Only a safe alphabet survives (no spaces, no `>`,
    no `--`), so a target name can never close the HTML comment nor make one marker a prefix of another's."""
    return f"{MARKER_PREFIX}{safe_target(target)} -->"


def safe_target(target: str) -> str:
    """`target` in the markers' safe alphabet."""
    return _UNSAFE.sub("_", target).replace("--", "-_")


def find(comments: Iterable[Mapping[str, Any]], mark: str) -> Mapping[str, Any] | None:
    """The comment to update: the one with the lowest id whose body starts with `mark` (the marker line
    itself, so `target=a` does not match `target=ab`), or None."""
    ours = [
        c
        for c in comments
        if isinstance(c.get("body"), str)
        and isinstance(c.get("id"), int)
        and (c["body"] == mark or c["body"].startswith(mark + "\n") or c["body"].startswith(mark + "\r\n"))
    ]
    return min(ours, key=lambda c: int(c["id"])) if ours else None


def fit(body: str, *, limit: int = GITHUB_LIMIT, artifact_url: str | None = None) -> str:
    """`body` when it is under `limit` characters; otherwise its first lines, cut at a line boundary with
    room to spare, any open code fence or `<details>` closed, and a note pointing at the full plan."""
    if len(body) <= limit:
        return body
    where = f"the full plan: {artifact_url}" if artifact_url else "the full plan in the workflow run's log"
    note = f"\n> **Truncated:** this plan is longer than GitHub allows in a comment. Read {where}\n"
    budget = max(0, limit - _ROOM - len(note))
    kept: list[str] = []
    used = 0
    fence: str | None = None
    details = 0
    for line in body.splitlines():
        if used + len(line) + 1 > budget:
            break
        kept.append(line)
        used += len(line) + 1
        opened = _FENCE.match(line)
        if fence is None and opened:
            fence = opened.group(1)
        elif (
            fence is not None
            and line.strip().startswith(fence[0] * len(fence))
            and not line.strip().strip(fence[0])
        ):
            fence = None
        elif fence is None:
            details += line.count("<details") - line.count("</details>")
            details = max(details, 0)
    if fence is not None:
        kept.append(fence)
    kept += ["", "</details>"] * details if details else []
    return "\n".join(kept) + "\n" + note
