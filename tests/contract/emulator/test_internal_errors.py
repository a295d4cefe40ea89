"""A 500 is always a bug, and even then the client gets the platform's JSON error envelope, never a
plain-text page from werkzeug or waitress."""

from __future__ import annotations

import dataclasses
import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
from werkzeug.exceptions import BadRequest
from werkzeug.test import Client

from reconciler.emulator import EmulatorApp
from reconciler.emulator.server import EmulatorServer

HEADERS = {"Authorization": "Bearer sk-test"}


def _break(app: EmulatorApp, endpoint: str, error: Exception) -> None:
    """Swap one route's handler for one that raises `error`."""

    def handler(*args: Any, **kwargs: Any) -> Any:
        raise error

    app.router.routes[endpoint] = dataclasses.replace(app.router.routes[endpoint], handler=handler)


def _assert_envelope(status: int, content_type: str, body: bytes, expected: int, type_: str) -> None:
    assert status == expected
    assert content_type.startswith("application/json")
    error = json.loads(body)["error"]
    assert error.keys() == {"message", "type", "param", "code"}
    assert error["type"] == type_
    assert "Traceback" not in error["message"]


@pytest.fixture
def app() -> Iterator[EmulatorApp]:
    app = EmulatorApp()
    yield app
    app.close()


@pytest.mark.parametrize(
    "error", [RuntimeError("boom"), KeyError("instructions"), TypeError("can't concat int to str")]
)
def test_an_exception_in_a_handler_is_a_json_500(app: EmulatorApp, error: Exception) -> None:
    _break(app, "GET /v1/assistants", error)
    response = Client(app).get("/v1/assistants", headers=HEADERS)
    _assert_envelope(response.status_code, response.content_type, response.data, 500, "server_error")
    assert response.headers["x-request-id"].startswith("req_")


def test_a_werkzeug_error_in_a_handler_keeps_its_status_in_the_envelope(app: EmulatorApp) -> None:
    _break(app, "GET /v1/assistants", BadRequest("The browser (or proxy) sent a request it could not read."))
    response = Client(app).get("/v1/assistants", headers=HEADERS)
    _assert_envelope(response.status_code, response.content_type, response.data, 400, "invalid_request_error")


def test_the_error_is_logged_for_the_operator(app: EmulatorApp, caplog: pytest.LogCaptureFixture) -> None:
    _break(app, "GET /v1/assistants", RuntimeError("boom"))
    Client(app).get("/v1/assistants", headers=HEADERS)
    assert any(r.exc_info and "GET /v1/assistants" in r.getMessage() for r in caplog.records)


@pytest.mark.server
def test_the_served_emulator_answers_a_json_500() -> None:
    server = EmulatorServer(port=0).start()
    try:
        _break(server.app, "GET /v1/assistants", RuntimeError("boom"))
        status, content_type, body = _get(f"{server.base_url}/assistants")
    finally:
        server.close()
    _assert_envelope(status, content_type, body, 500, "server_error")


def _get(url: str) -> tuple[int, str, bytes]:
    request = urllib.request.Request(url, headers=HEADERS)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.headers["content-type"], response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers["content-type"], error.read()
