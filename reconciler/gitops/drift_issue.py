"""The drift issue of a target, pure: its hidden marker, title, label, and which open issue is ours.

One open issue per target: its body's first line is `<!-- reconciler:drift target=X -->`, it carries the
`reconciler-drift` label, and a scheduled run updates it while drift lasts and closes it when it is gone.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from reconciler.gitops.comment import safe_target

LABEL = "reconciler-drift"
MARKER_PREFIX = "<!-- reconciler:drift target="


def marker(target: str) -> str:
    """The hidden first line of the drift issue for `target` (the plan comment's safe alphabet)."""
    return f"{MARKER_PREFIX}{safe_target(target)} -->"


def title(target: str) -> str:
    return f"Drift in {target}"


def find(issues: Iterable[Mapping[str, Any]], mark: str) -> Mapping[str, Any] | None:
    """The issue to update: the open one (not a pull request) with the lowest number whose body starts
    with the marker line `mark`, or None."""
    ours = [
        i
        for i in issues
        if "pull_request" not in i
        and isinstance(i.get("number"), int)
        and isinstance(i.get("body"), str)
        and i.get("state", "open") == "open"
        and (i["body"] == mark or i["body"].startswith((mark + "\n", mark + "\r\n")))
    ]
    return min(ours, key=lambda i: int(i["number"])) if ours else None
