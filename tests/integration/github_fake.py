"""A fake of GitHub's REST API on 127.0.0.1: the issue-comment and issue endpoints of one repository, in
memory (the issue list, like GitHub's, includes pull requests: entries with a `pull_request` key); the pull
requests of a commit (`merge`); workflow artifacts (`upload`), listed by name, whose zip is served as
GitHub serves it: a 302 to storage that refuses a request carrying an Authorization header.

It checks the Authorization header (`Bearer <token>`), records every request (method, path, headers,
body) and can be told to fail the next requests with a status and headers (`fail_next`).
"""

from __future__ import annotations

import io
import json
import re
import threading
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote

_LIST = re.compile(r"^/repos/([^/]+)/([^/]+)/issues/(\d+)/comments$")
_ONE = re.compile(r"^/repos/([^/]+)/([^/]+)/issues/comments/(\d+)$")
_ISSUES = re.compile(r"^/repos/([^/]+)/([^/]+)/issues$")
_ISSUE = re.compile(r"^/repos/([^/]+)/([^/]+)/issues/(\d+)$")
_COMMIT_PULLS = re.compile(r"^/repos/([^/]+)/([^/]+)/commits/([0-9a-f]+)/pulls$")
_ARTIFACTS = re.compile(r"^/repos/([^/]+)/([^/]+)/actions/artifacts$")
_ARTIFACT_ZIP = re.compile(r"^/repos/([^/]+)/([^/]+)/actions/artifacts/(\d+)/zip$")
_BLOB = re.compile(r"^/_blobs/(\d+)$")


@dataclass
class FakeGitHub:
    repository: str = "acme/agents"
    token: str = "ghs_fakeTokenValue1234567890"
    url: str = ""
    comments: dict[int, list[dict[str, Any]]] = field(default_factory=dict)  # PR number -> comments
    issues: dict[int, dict[str, Any]] = field(default_factory=dict)  # number -> issue (or pull request)
    next_number: int = 100
    requests: list[dict[str, Any]] = field(default_factory=list)
    failures: list[tuple[int, dict[str, str]]] = field(default_factory=list)
    next_id: int = 1000
    commit_pulls: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # sha -> pull requests
    artifacts: list[dict[str, Any]] = field(default_factory=list)
    blobs: dict[int, bytes] = field(default_factory=dict)  # artifact id -> zip
    lock: threading.Lock = field(default_factory=threading.Lock)

    def merge(self, number: int, *, head_sha: str, merge_sha: str) -> None:
        """Pull request `number` (head `head_sha`) merged as commit `merge_sha`."""
        pull = {
            "number": number,
            "state": "closed",
            "merged_at": "2026-01-01T00:00:00Z",
            "merge_commit_sha": merge_sha,
            "head": {"sha": head_sha},
            "base": {"ref": "main"},
        }
        self.commit_pulls.setdefault(merge_sha, []).append(pull)

    def upload(self, name: str, files: dict[str, bytes], *, head_sha: str = "") -> dict[str, Any]:
        """An artifact as upload-artifact@v4 stores it: the files zipped at the archive's top level."""
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for member, data in files.items():
                archive.writestr(member, data)
        return self.upload_zip(name, buffer.getvalue(), head_sha=head_sha)

    def upload_zip(self, name: str, data: bytes, *, head_sha: str = "") -> dict[str, Any]:
        with self.lock:
            self.next_id += 1
            where = f"{self.url}/repos/{self.repository}/actions/artifacts/{self.next_id}/zip"
            made = {
                "id": self.next_id,
                "name": name,
                "size_in_bytes": len(data),
                "expired": False,
                "created_at": f"2026-01-01T00:00:{len(self.artifacts):02d}Z",
                "archive_download_url": where,
                "workflow_run": {"head_sha": head_sha},
            }
            self.artifacts.append(made)
            self.blobs[self.next_id] = data
        return made

    def fail_next(self, status: int, headers: dict[str, str] | None = None, times: int = 1) -> None:
        self.failures += [(status, headers or {})] * times

    def handle(
        self, method: str, raw_path: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, Any, dict[str, str]]:
        path, _, query = raw_path.partition("?")
        with self.lock:
            self.requests.append(
                {"method": method, "path": path, "query": query, "headers": headers, "body": body}
            )
            if self.failures:
                status, extra = self.failures.pop(0)
                return status, {"message": "fake failure"}, extra
            blob = _BLOB.match(path)
            if blob is not None:  # storage: a signed URL, and no Authorization header allowed
                if "authorization" in headers:
                    return 400, {"message": "Authorization header sent to storage"}, {}
                data = self.blobs.get(int(blob.group(1)))
                return (200, data, {}) if data is not None else (404, {"message": "Not Found"}, {})
            if headers.get("authorization") != f"Bearer {self.token}":
                return 401, {"message": "Bad credentials"}, {}
            actions = self._actions(method, path, query)
            if actions is not None:
                return actions
            listing, single = _LIST.match(path), _ONE.match(path)
            issues, issue = _ISSUES.match(path), _ISSUE.match(path)
            match = listing or single or issues or issue
            if match is None or f"{match.group(1)}/{match.group(2)}" != self.repository:
                return 404, {"message": "Not Found"}, {}
            if issues or issue:
                return self._issues(method, query, int(issue.group(3)) if issue else None, body)
            if listing and method == "GET":
                params = dict(p.split("=", 1) for p in query.split("&") if "=" in p)
                per_page, page = int(params.get("per_page", "30")), int(params.get("page", "1"))
                items = self.comments.get(int(listing.group(3)), [])
                return 200, items[(page - 1) * per_page : page * per_page], {}
            if listing and method == "POST":
                number = int(listing.group(3))
                made = self._comment(number, json.loads(body)["body"])
                self.comments.setdefault(number, []).append(made)
                return 201, made, {}
            if single and method == "PATCH":
                for items in self.comments.values():
                    for item in items:
                        if item["id"] == int(single.group(3)):
                            item["body"] = json.loads(body)["body"]
                            return 200, item, {}
                return 404, {"message": "Not Found"}, {}
            return 405, {"message": "Method Not Allowed"}, {}

    def _actions(self, method: str, path: str, query: str) -> tuple[int, Any, dict[str, str]] | None:
        """The commit's pull requests and the artifact endpoints (None: not one of theirs)."""
        pulls, listing, archive = _COMMIT_PULLS.match(path), _ARTIFACTS.match(path), _ARTIFACT_ZIP.match(path)
        match = pulls or listing or archive
        if match is None:
            return None
        if f"{match.group(1)}/{match.group(2)}" != self.repository or method != "GET":
            return 404, {"message": "Not Found"}, {}
        if pulls is not None:
            return 200, self.commit_pulls.get(pulls.group(3), []), {}
        if listing is not None:
            params = dict(p.split("=", 1) for p in query.split("&") if "=" in p)
            wanted = unquote(params.get("name", ""))
            found = [a for a in reversed(self.artifacts) if not wanted or a["name"] == wanted]
            return 200, {"total_count": len(found), "artifacts": found}, {}
        assert archive is not None
        if int(archive.group(3)) not in self.blobs:
            return 404, {"message": "Not Found"}, {}
        return 302, None, {"Location": f"{self.url}/_blobs/{archive.group(3)}?sig=signed"}

    def _issues(
        self, method: str, query: str, number: int | None, body: bytes
    ) -> tuple[int, Any, dict[str, str]]:
        if number is None and method == "GET":
            params = dict(p.split("=", 1) for p in query.split("&") if "=" in p)
            per_page, page = int(params.get("per_page", "30")), int(params.get("page", "1"))
            state, wanted = params.get("state", "open"), unquote(params.get("labels", ""))
            items = [
                i
                for _, i in sorted(self.issues.items(), reverse=True)  # newest first, as GitHub's default
                if (state == "all" or i["state"] == state)
                and all(w in [label["name"] for label in i["labels"]] for w in wanted.split(",") if w)
            ]
            return 200, items[(page - 1) * per_page : page * per_page], {}
        if number is None and method == "POST":
            sent = json.loads(body)
            self.next_number += 1
            made = {
                "number": self.next_number,
                "title": sent["title"],
                "body": sent.get("body", ""),
                "state": "open",
                "state_reason": None,
                "labels": [{"name": name} for name in sent.get("labels", [])],
                "html_url": f"https://github.com/{self.repository}/issues/{self.next_number}",
            }
            self.issues[self.next_number] = made
            return 201, made, {}
        if number is not None and method == "PATCH":
            if number not in self.issues:
                return 404, {"message": "Not Found"}, {}
            sent = json.loads(body)
            self.issues[number].update(
                {k: sent[k] for k in ("title", "body", "state", "state_reason") if k in sent}
            )
            return 200, self.issues[number], {}
        return 405, {"message": "Method Not Allowed"}, {}

    def _comment(self, number: int, body: str) -> dict[str, Any]:
        self.next_id += 1
        url = f"https://github.com/{self.repository}/pull/{number}#issuecomment-{self.next_id}"
        return {"id": self.next_id, "body": body, "html_url": url, "user": {"login": "github-actions[bot]"}}

    def bodies(self, number: int) -> list[str]:
        return [c["body"] for c in self.comments.get(number, [])]


def _handler(fake: FakeGitHub) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            headers = {k.lower(): v for k, v in self.headers.items()}
            status, answer, extra = fake.handle(self.command, self.path, headers, body)
            binary = isinstance(answer, bytes)
            data = (
                answer
                if isinstance(answer, bytes)
                else b""
                if answer is None
                else json.dumps(answer).encode()
            )
            self.send_response(status)
            self.send_header("Content-Type", "application/zip" if binary else "application/json")
            self.send_header("Content-Length", str(len(data)))
            for name, value in extra.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_PATCH = _serve

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


@contextmanager
def running(fake: FakeGitHub | None = None) -> Iterator[FakeGitHub]:
    fake = fake or FakeGitHub()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(fake))
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), name="fake-github", daemon=True)
    thread.start()
    fake.url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
