"""The validating harness itself must catch violations, or every green contract test means nothing."""

from __future__ import annotations

import json

import httpx2

from tests.contract.emulator.spec_check import SpecChecker

URL = "http://127.0.0.1:8123/v1/assistants"
AUTH = {"Authorization": "Bearer sk-test"}


def _exchange(checker: SpecChecker, request: httpx2.Request, status: int, body: object) -> list[str]:
    request.read()
    response = httpx2.Response(status, json=body, request=request)
    return checker.check(request, response)


def test_a_valid_list_passes(spec_checker: SpecChecker) -> None:
    request = httpx2.Request("GET", URL, headers=AUTH)
    page = {"object": "list", "data": [], "first_id": "", "last_id": "", "has_more": False}
    assert _exchange(spec_checker, request, 200, page) == []


def test_a_missing_required_key_is_reported(spec_checker: SpecChecker) -> None:
    request = httpx2.Request("GET", URL, headers=AUTH)
    violations = _exchange(spec_checker, request, 200, {"object": "list", "data": []})
    assert violations and "GET /v1/assistants" in violations[0]


def test_null_first_id_on_an_assistant_list_is_reported(spec_checker: SpecChecker) -> None:
    request = httpx2.Request("GET", URL, headers=AUTH)
    page: dict[str, object] = {
        "object": "list",
        "data": [],
        "first_id": None,
        "last_id": None,
        "has_more": False,
    }
    assert _exchange(spec_checker, request, 200, page)


def test_an_error_body_outside_errorresponse_is_reported(spec_checker: SpecChecker) -> None:
    request = httpx2.Request("GET", URL + "/asst_x", headers=AUTH)
    assert _exchange(spec_checker, request, 404, {"message": "nope"})
    good = {"error": {"message": "nope", "type": "invalid_request_error", "param": None, "code": None}}
    assert _exchange(spec_checker, request, 404, good) == []


def test_accepting_a_request_without_a_key_is_reported(spec_checker: SpecChecker) -> None:
    request = httpx2.Request("GET", URL)
    page = {"object": "list", "data": [], "first_id": "", "last_id": "", "has_more": False}
    assert any("spec rejects the request" in v for v in _exchange(spec_checker, request, 200, page))


def test_an_unknown_path_is_reported(spec_checker: SpecChecker) -> None:
    request = httpx2.Request("POST", "http://127.0.0.1:8123/v1/nowhere", headers=AUTH, content=json.dumps({}))
    assert _exchange(spec_checker, request, 404, {"error": {}})


def test_a_multipart_upload_without_purpose_is_rejected_by_the_check(spec_checker: SpecChecker) -> None:
    request = httpx2.Request(
        "POST", "http://127.0.0.1:8123/v1/files", headers=AUTH, files={"file": ("a.txt", b"abc")}
    )
    uploaded = {
        "id": "file-1",
        "object": "file",
        "bytes": 3,
        "created_at": 1,
        "filename": "a.txt",
        "purpose": "assistants",
        "status": "processed",
    }
    assert any("spec rejects the request" in v for v in _exchange(spec_checker, request, 200, uploaded))
    complete = httpx2.Request(
        "POST",
        "http://127.0.0.1:8123/v1/files",
        headers=AUTH,
        files={"file": ("a.txt", b"abc")},
        data={"purpose": "assistants"},
    )
    assert _exchange(spec_checker, complete, 200, uploaded) == []
