"""The pull request a workflow run is about: `GITHUB_EVENT_PATH`'s `pull_request` and `GITHUB_REPOSITORY`.

A push (or any event without `pull_request`) has no pull request: the plan goes to the step summary only.
`--pr N` overrides the event's number.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from reconciler.errors import ConfigError


@dataclass(frozen=True)
class PullRequest:
    repository: str  # owner/name
    number: int
    head_sha: str = ""
    fork: bool = False


def repository(environ: Mapping[str, str]) -> str:
    value = (environ.get("GITHUB_REPOSITORY") or "").strip()
    owner, _, name = value.partition("/")
    if not owner or not name or "/" in name:
        raise ConfigError("GITHUB_REPOSITORY must name the repository as owner/name")
    return value


def pull_request(environ: Mapping[str, str], *, number: int | None = None) -> PullRequest | None:
    """The run's pull request, or None on a push; `number` (from `--pr`) wins over the event's."""
    event = _event(environ.get("GITHUB_EVENT_PATH") or "")
    pr = event.get("pull_request") if isinstance(event.get("pull_request"), dict) else {}
    assert isinstance(pr, dict)
    if number is None:
        found = pr.get("number")
        if not isinstance(found, int) or isinstance(found, bool):
            return None
        number = found
    head = pr.get("head") if isinstance(pr.get("head"), dict) else {}
    assert isinstance(head, dict)
    repo = head.get("repo") if isinstance(head.get("repo"), dict) else {}
    assert isinstance(repo, dict)
    sha = head.get("sha")
    return PullRequest(
        repository=repository(environ),
        number=number,
        head_sha=sha if isinstance(sha, str) else "",
        fork=repo.get("fork") is True,
    )


def _event(path: str) -> dict[str, object]:
    if not path:
        return {}
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as error:
        raise ConfigError(f"GITHUB_EVENT_PATH {path}: cannot read it: {error.strerror or error}") from None
    except ValueError:
        raise ConfigError(f"GITHUB_EVENT_PATH {path}: not JSON") from None
    return data if isinstance(data, dict) else {}
