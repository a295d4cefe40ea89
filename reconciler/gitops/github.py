"""A small GitHub REST client on the standard library's `urllib`: list, create and update issue comments;
list (by label), create and update (edit, close) issues; the pull requests of a commit; a workflow
artifact's listing and its zip (size-bounded, the token never sent on to where GitHub redirects).

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
ARTIFACT_PERMISSIONS = "`actions: read`"
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

    def commit_pulls(self, sha: str) -> list[dict[str, Any]]:
        """The pull requests GitHub associates with commit `sha` (the merged one, for a merge commit)."""
        quoted = urllib.parse.quote(sha, safe="")
        answer = self._call("GET", f"/repos/{self._repo}/commits/{quoted}/pulls?per_page={PER_PAGE}")
        if not isinstance(answer, list):
            raise PermanentPlatformError(
                f"GitHub answered GET /repos/{self._repo}/commits/…/pulls with no list"
            )
        return [p for p in answer if isinstance(p, dict)]

    def artifacts(self, name: str) -> list[dict[str, Any]]:
        """The repository's workflow artifacts called `name` (first page of 100: newest first)."""
        quoted = urllib.parse.quote(name, safe="")
        path = f"/repos/{self._repo}/actions/artifacts?name={quoted}&per_page={PER_PAGE}"
        answer = self._call("GET", path, needs=ARTIFACT_PERMISSIONS)
        found = answer.get("artifacts") if isinstance(answer, dict) else None
        if not isinstance(found, list):
            raise PermanentPlatformError(
                f"GitHub answered GET /repos/{self._repo}/actions/artifacts with no list"
            )
        return [a for a in found if isinstance(a, dict)]

    def download_artifact(self, artifact_id: int, *, limit: int) -> bytes:
        """The zip of artifact `artifact_id`, at most `limit` bytes. GitHub answers with a redirect to
        short-lived storage; the token goes to GitHub only, and the redirect must be https (or local)."""
        path = f"/repos/{self._repo}/actions/artifacts/{int(artifact_id)}/zip"
        data = self._call("GET", path, needs=ARTIFACT_PERMISSIONS, raw_limit=limit)
        assert isinstance(data, bytes)
        return data

    @staticmethod
    def _object(answer: Any, what: str = "comment") -> dict[str, Any]:
        if not isinstance(answer, dict):
            raise PermanentPlatformError(f"GitHub answered with no {what} object")
        return answer

    def _call(
        self,
        method: str,
        path: str,
        payload: Mapping[str, Any] | None = None,
        *,
        needs: str = PERMISSIONS,
        raw_limit: int | None = None,
    ) -> Any:
        """The JSON answer to one request (the bytes, at most `raw_limit`, when that is given), retried
        on temporary errors; `needs` names the permission a 401/403/404 points at."""
        last: PlatformError | None = None
        for attempt in range(1, ATTEMPTS + 1):
            try:
                return self._once(method, path, payload, needs, raw_limit)
            except TemporaryPlatformError as error:
                last = error
                if attempt == ATTEMPTS:
                    break
                wait = error.retry_after if error.retry_after is not None else float(2 ** (attempt - 1))
                self._sleep(min(max(wait, 0.0), MAX_SLEEP))
        assert last is not None
        raise last

    def _once(
        self, method: str, path: str, payload: Mapping[str, Any] | None, needs: str, raw_limit: int | None
    ) -> Any:
        data = json.dumps(payload).encode("utf-8") if payload is not None else None
        request = urllib.request.Request(self._base + path, data=data, method=method)  # noqa: S310
        request.add_header("Accept", "application/vnd.github+json")
        request.add_header("X-GitHub-Api-Version", "2022-11-28")
        # Unredirected: a redirect (an artifact's zip lives in other storage) never carries the token.
        request.add_unredirected_header("Authorization", f"Bearer {self._token}")
        request.add_header("User-Agent", "reconciler")
        if data is not None:
            request.add_header("Content-Type", "application/json")
        where = f"{method} {path.split('?', maxsplit=1)[0]}"
        try:
            with _OPENER.open(request, timeout=self._timeout) as answer:
                raw = answer.read() if raw_limit is None else answer.read(raw_limit + 1)
        except urllib.error.HTTPError as error:
            raise _translate(error, where, needs) from None
        except (urllib.error.URLError, TimeoutError, OSError) as error:
            reason = getattr(error, "reason", error)
            raise TemporaryPlatformError(redact.redact(f"GitHub {where}: no answer ({reason})")) from None
        if raw_limit is not None:
            if len(raw) > raw_limit:
                raise PermanentPlatformError(f"GitHub {where}: the answer is over {raw_limit} bytes")
            return raw
        try:
            return json.loads(raw) if raw else None
        except ValueError:
            raise PermanentPlatformError(f"GitHub {where}: the answer is not JSON") from None


class _SafeRedirects(urllib.request.HTTPRedirectHandler):
    """Follow a redirect only to https, or to plain http on this machine (the tests' fake GitHub)."""

    def redirect_request(
        self,
        req: urllib.request.Request,
        fp: Any,
        code: int,
        msg: str,
        headers: Any,
        newurl: str,
    ) -> urllib.request.Request | None:
        parts = urllib.parse.urlsplit(newurl)
        if parts.scheme != "https" and not (parts.scheme == "http" and parts.hostname in _LOCAL_HOSTS):
            raise PermanentPlatformError(f"GitHub redirected to a {parts.scheme or 'relative'} URL: refused")
        return super().redirect_request(req, fp, code, msg, headers, newurl)


_OPENER = urllib.request.build_opener(_SafeRedirects)


def _translate(error: urllib.error.HTTPError, where: str, needs: str = PERMISSIONS) -> PlatformError:
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
        return AuthenticationFailed(f"{text} (the token needs {needs})", status=status, request_id=request_id)
    if status == 404:
        return NotFound(
            f"{text} (no such repository or pull request, or the token cannot see it; it needs {needs})",
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
