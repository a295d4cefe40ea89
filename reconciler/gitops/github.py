"""A small GitHub REST client on the standard library's `urllib`: list, create and update issue comments, and
list (by label), create and update (edit, close) issues.

The base URL comes from `GITHUB_API_URL` (https only; plain http only to 127.0.0.1 or localhost, for
tests), the token from `GITHUB_TOKEN`, registered with `reconciler.redact` before any request. 5xx, and
403/429 with `Retry-After`, are retried 3 times with a bounded sleep; errors become the repository's error
tree in one line that never holds the token.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping
from typing import Any

from reconciler import redact
from reconciler.errors import (
    AuthenticationFailed,
    ConfigError,
    NotFound,
    PermanentPlatformError,
    PlatformError,
    RateLimited,
    TemporaryPlatformError,
)

DEFAULT_API_URL = "https://api.github.com"
TIMEOUT = 10.0
ATTEMPTS = 3
MAX_SLEEP = 10.0
MAX_PAGES = 50
PER_PAGE = 100
PERMISSIONS = "`pull-requests: write` (or `issues: write`)"
_LOCAL_HOSTS = {"127.0.0.1", "localhost"}


def api_url(environ: Mapping[str, str]) -> str:
    """`GITHUB_API_URL` without a trailing slash, refused unless https (or http to this machine)."""
    url = (environ.get("GITHUB_API_URL") or DEFAULT_API_URL).rstrip("/")
    parts = urllib.parse.urlsplit(url)
    local = parts.scheme == "http" and parts.hostname in _LOCAL_HOSTS
    if not (parts.scheme == "https" and parts.hostname) and not local:
        raise ConfigError(f"GITHUB_API_URL must be an https URL (got {parts.scheme or 'no'} scheme)")
    return url


def token(environ: Mapping[str, str]) -> str:
    """`GITHUB_TOKEN`, registered as a secret; a missing one is a configuration error."""
    value = (environ.get("GITHUB_TOKEN") or "").strip()
    if not value:
        raise ConfigError(
            "GITHUB_TOKEN is not set: pass the workflow's token "
            f"(env: GITHUB_TOKEN: ${{{{ github.token }}}}) with {PERMISSIONS}"
        )
    redact.register(value)
    return value


class GitHub:
    """The issue and issue-comment endpoints of one repository (`owner/name`)."""

    def __init__(
        self,
        base_url: str,
        token: str,
        repository: str,
        *,
        timeout: float = TIMEOUT,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        redact.register(token)
        self._base = base_url.rstrip("/")
        self._token = token
        self._repo = "/".join(urllib.parse.quote(part, safe="") for part in repository.split("/", 1))
        self._timeout = timeout
        self._sleep = sleep

    @classmethod
    def from_env(cls, environ: Mapping[str, str], repository: str) -> GitHub:
        return cls(api_url(environ), token(environ), repository)

    def comments(self, number: int) -> list[dict[str, Any]]:
        """Every comment on issue or pull request `number`, page by page (at most 50 pages of 100)."""
        found: list[dict[str, Any]] = []
        for page in range(1, MAX_PAGES + 1):
            path = f"/repos/{self._repo}/issues/{number}/comments?per_page={PER_PAGE}&page={page}"
            batch = self._call("GET", path)
            if not isinstance(batch, list):
                where = path.split("?", maxsplit=1)[0]
                raise PermanentPlatformError(f"GitHub answered GET {where} with no list")
            found += [c for c in batch if isinstance(c, dict)]
            if len(batch) < PER_PAGE:
                break
        return found

    def create_comment(self, number: int, body: str) -> dict[str, Any]:
        return self._object(
            self._call("POST", f"/repos/{self._repo}/issues/{number}/comments", {"body": body})
        )

    def update_comment(self, comment_id: int, body: str) -> dict[str, Any]:
        path = f"/repos/{self._repo}/issues/comments/{int(comment_id)}"
        return self._object(self._call("PATCH", path, {"body": body}))

    def open_issues(self, label: str) -> list[dict[str, Any]]:
        """The open issues labelled `label`, page by page (at most 50 pages of 100). Pull requests, which
        GitHub's issue list includes, are left out."""
        found: list[dict[str, Any]] = []
        quoted = urllib.parse.quote(label, safe="")
        for page in range(1, MAX_PAGES + 1):
            path = f"/repos/{self._repo}/issues?state=open&labels={quoted}&per_page={PER_PAGE}&page={page}"
            batch = self._call("GET", path)
            if not isinstance(batch, list):
                raise PermanentPlatformError(f"GitHub answered GET /repos/{self._repo}/issues with no list")
            found += [i for i in batch if isinstance(i, dict) and "pull_request" not in i]
            if len(batch) < PER_PAGE:
                break
        return found

    def create_issue(self, title: str, body: str, labels: list[str]) -> dict[str, Any]:
        payload = {"title": title, "body": body, "labels": labels}
        return self._object(self._call("POST", f"/repos/{self._repo}/issues", payload), "issue")

    def update_issue(
        self,
        number: int,
        *,
        body: str | None = None,
        state: str | None = None,
        state_reason: str | None = None,
    ) -> dict[str, Any]:
        """Edit issue `number`: only the fields given are sent (`state="closed"`,
        `state_reason="completed"` closes it)."""
        fields = {"body": body, "state": state, "state_reason": state_reason}
        payload = {k: v for k, v in fields.items() if v is not None}
        path = f"/repos/{self._repo}/issues/{int(number)}"
        return self._object(self._call("PATCH", path, payload), "issue")

    @staticmethod
    def _object(answer: Any, what: str = "comment") -> dict[str, Any]:
        if not isinstance(answer, dict):
            raise PermanentPlatformError(f"GitHub answered with no {what} object")
        return answer

    def _call(self, method: str, path: str, payload: Mapping[str, Any] | None = None) -> Any:
        last: PlatformError | None = None
        for attempt in range(1, ATTEMPTS + 1):
            try:
                return self._once(method, path, payload)
            except TemporaryPlatformError as error:
                last = error
                if attempt == ATTEMPTS:
                    break
                wait = error.retry_after if error.retry_after is not None else float(2 ** (attempt - 1))
                self._sleep(min(max(wait, 0.0), MAX_SLEEP))
        assert last is not None
        raise last

    def _once(self, method: str, path: str, payload: Mapping[str, Any] | None) -> Any:
        data = json.dumps(payload).encode("utf-8") if payload is not None else None
        request = urllib.request.Request(self._base + path, data=data, method=method)  # noqa: S310
        request.add_header("Accept", "application/vnd.github+json")
        request.add_header("X-GitHub-Api-Version", "2022-11-28")
        request.add_header("Authorization", f"Bearer {self._token}")
        request.add_header("User-Agent", "reconciler")
        if data is not None:
            request.add_header("Content-Type", "application/json")
        where = f"{method} {path.split('?', maxsplit=1)[0]}"
        try:
            with urllib.request.urlopen(request, timeout=self._timeout) as answer:  # noqa: S310
                raw = answer.read()
        except urllib.error.HTTPError as error:
            raise _translate(error, where) from None
        except (urllib.error.URLError, TimeoutError, OSError) as error:
            reason = getattr(error, "reason", error)
            raise TemporaryPlatformError(redact.redact(f"GitHub {where}: no answer ({reason})")) from None
        try:
            return json.loads(raw) if raw else None
        except ValueError:
            raise PermanentPlatformError(f"GitHub {where}: the answer is not JSON") from None


def _translate(error: urllib.error.HTTPError, where: str) -> PlatformError:
    status = error.code
    try:
        message = str(json.loads(error.read() or b"{}").get("message", ""))
    except (ValueError, AttributeError, OSError):
        message = ""
    said = redact.redact(" ".join(message.split())[:200])
    text = f"GitHub {where}: HTTP {status}" + (f": {said}" if said else "")
    retry_after = _retry_after(error.headers.get("Retry-After") if error.headers else None)
    request_id = error.headers.get("X-GitHub-Request-Id") if error.headers else None
    if status == 429 or (status == 403 and retry_after is not None):
        return RateLimited(text, status=status, request_id=request_id, retry_after=retry_after)
    if status >= 500:
        return TemporaryPlatformError(text, status=status, request_id=request_id, retry_after=retry_after)
    if status in (401, 403):
        return AuthenticationFailed(
            f"{text} (the token needs {PERMISSIONS})", status=status, request_id=request_id
        )
    if status == 404:
        return NotFound(
            f"{text} (no such repository or pull request, or the token cannot see it; "
            f"it needs {PERMISSIONS})",
            status=status,
            request_id=request_id,
        )
    return PermanentPlatformError(text, status=status, request_id=request_id)


def _retry_after(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None
