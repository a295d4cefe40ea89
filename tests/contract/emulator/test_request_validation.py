"""Every request is checked against the spec's request schema before a handler runs.

Raw HTTP to the in-process app (werkzeug's test client): the SDK's typed methods would refuse most of these
bodies before they left the client. Each case was accepted (200) before the generic validator existed.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

import pytest
from werkzeug.test import Client, TestResponse

from reconciler.emulator import EmulatorApp

HEADERS = {"Authorization": "Bearer sk-admin-test"}


class Api:
    """Raw calls with the admin key (accepted everywhere), plus a thread, a run and an assistant to aim at."""

    def __init__(self, app: EmulatorApp) -> None:
        self.client = Client(app)
        self.assistant = self.ok("POST", "/assistants", {"model": "gpt-4o"})["id"]
        self.thread = self.ok("POST", "/threads", {})["id"]

    def call(self, method: str, path: str, body: Any = None, **kwargs: Any) -> TestResponse:
        path = path.format(assistant=getattr(self, "assistant", ""), thread=getattr(self, "thread", ""))
        return self.client.open("/v1" + path, method=method, json=body, headers=HEADERS, **kwargs)

    def ok(self, method: str, path: str, body: Any = None) -> dict[str, Any]:
        response = self.call(method, path, body)
        assert response.status_code == 200, response.get_data(as_text=True)
        data: dict[str, Any] = response.get_json()
        return data


@pytest.fixture
def api() -> Iterator[Api]:
    app = EmulatorApp()
    yield Api(app)
    app.close()


def assert_rejected(response: TestResponse, param: str, code: str) -> dict[str, Any]:
    assert response.status_code == 400, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    error: dict[str, Any] = response.get_json()["error"]
    assert error.keys() == {"message", "type", "param", "code"}
    assert error["type"] == "invalid_request_error"
    assert (error["param"], error["code"]) == (param, code), error["message"]
    return error


ASSISTANT = {"model": "gpt-4o"}
RUN = {"assistant_id": "{assistant}"}
RESPONSE = {"model": "gpt-4o", "input": "hi"}
ALERT = {
    "threshold_amount": 10,
    "currency": "USD",
    "interval": "month",
    "notification_channel": {"type": "email", "recipients": ["ops@example.com"]},
}
LIMIT = {"threshold_amount": 10, "currency": "USD", "interval": "month"}
FILE_SEARCH = {"type": "file_search", "file_search": {"max_num_results": 0}}

# (method, path, body, param, code): the examples that the spec's schemas decide.
CASES = [
    ("POST", "/assistants", {**ASSISTANT, "instructions": 12345}, "instructions", "invalid_type"),
    ("POST", "/assistants/{assistant}", {"instructions": ["x"]}, "instructions", "invalid_type"),
    ("POST", "/assistants", {**ASSISTANT, "name": 12345}, "name", "invalid_type"),
    ("POST", "/assistants", {**ASSISTANT, "description": {"a": 1}}, "description", "invalid_type"),
    ("POST", "/assistants", {"model": None}, "model", "invalid_type"),
    ("POST", "/assistants", {**ASSISTANT, "tool_resources": -383}, "tool_resources", "invalid_type"),
    (
        "POST",
        "/assistants",
        {**ASSISTANT, "response_format": {"type": "bogus"}},
        "response_format.type",
        "invalid_value",
    ),
    (
        "POST",
        "/assistants",
        {**ASSISTANT, "reasoning_effort": "extreme"},
        "reasoning_effort",
        "invalid_value",
    ),
    (
        "POST",
        "/assistants",
        {**ASSISTANT, "tools": [FILE_SEARCH]},
        "tools[0].file_search.max_num_results",
        "integer_below_min_value",
    ),
    (
        "POST",
        "/assistants/{assistant}",
        {"tools": [{"type": "file_search", "file_search": {"max_num_results": 51}}]},
        "tools[0].file_search.max_num_results",
        "integer_above_max_value",
    ),
    (
        "POST",
        "/assistants",
        {**ASSISTANT, "tools": [{"type": "function", "function": {"name": 7}}]},
        "tools[0].function.name",
        "invalid_type",
    ),
    ("POST", "/threads/{thread}/runs", {**RUN, "instructions": 5}, "instructions", "invalid_type"),
    ("POST", "/threads/{thread}/runs", {**RUN, "temperature": 3}, "temperature", "integer_above_max_value"),
    ("POST", "/threads/{thread}/runs", {**RUN, "top_p": 2}, "top_p", "integer_above_max_value"),
    ("POST", "/threads/{thread}/runs", {**RUN, "tool_choice": "bogus"}, "tool_choice", "invalid_value"),
    (
        "POST",
        "/threads/{thread}/runs",
        {**RUN, "max_prompt_tokens": 100},
        "max_prompt_tokens",
        "integer_below_min_value",
    ),
    ("POST", "/responses", {**RESPONSE, "temperature": 3}, "temperature", "integer_above_max_value"),
    ("POST", "/responses", {**RESPONSE, "top_p": 2}, "top_p", "integer_above_max_value"),
    (
        "POST",
        "/responses",
        {**RESPONSE, "max_output_tokens": 1},
        "max_output_tokens",
        "integer_below_min_value",
    ),
    ("POST", "/responses", {**RESPONSE, "tool_choice": "bogus"}, "tool_choice", "invalid_value"),
    ("POST", "/responses", {**RESPONSE, "instructions": 5}, "instructions", "invalid_type"),
    ("POST", "/responses", {**RESPONSE, "frobnicate": True}, "frobnicate", "unknown_parameter"),
    (  # CompoundFilter nests itself: checked at every level
        "POST",
        "/responses",
        {
            **RESPONSE,
            "tools": [
                {
                    "type": "file_search",
                    "vector_store_ids": ["vs_1"],
                    "filters": {
                        "type": "and",
                        "filters": [{"type": "or", "filters": [{"type": "eq", "key": "k"}]}],
                    },
                }
            ],
        },
        "tools[0].filters.filters[0].filters[0].value",
        "missing_required_parameter",
    ),
    (
        "POST",
        "/responses",
        {"model": "gpt-4o", "input": [{"role": "bogus", "content": "hi"}]},
        "input[0].role",
        "invalid_value",
    ),
    ("POST", "/organization/projects", {"name": "p", "budget": 5}, "budget", "unknown_parameter"),
    ("POST", "/organization/projects/proj_local", {"colour": "red"}, "colour", "unknown_parameter"),
    ("POST", "/organization/spend_alerts", {**ALERT, "severity": "high"}, "severity", "unknown_parameter"),
    (
        "POST",
        "/organization/projects/proj_local/spend_alerts",
        {**ALERT, "note": "x"},
        "note",
        "unknown_parameter",
    ),
    ("POST", "/organization/spend_limit", {**LIMIT, "hard": True}, "hard", "unknown_parameter"),
    (
        "POST",
        "/organization/projects/proj_local/spend_limit",
        {**LIMIT, "soft": 1},
        "soft",
        "unknown_parameter",
    ),
    (
        "POST",
        "/threads",
        {"messages": [{"role": "robot", "content": "hi"}]},
        "messages[0].role",
        "invalid_value",
    ),
    ("POST", "/vector_stores", {"name": 5}, "name", "invalid_type"),
    ("POST", "/conversations", {"metadata": {"k": 1}}, "metadata.k", "invalid_type"),
]


@pytest.mark.parametrize(
    ("method", "path", "body", "param", "code"),
    CASES,
    ids=[f"{c[0]} {c[1]} {c[3]}" for c in CASES],
)
def test_a_body_the_spec_rejects_is_a_400_naming_the_field(
    api: Api, method: str, path: str, body: dict[str, Any], param: str, code: str
) -> None:
    body = {k: (v.format(assistant=api.assistant) if isinstance(v, str) else v) for k, v in body.items()}
    assert_rejected(api.call(method, path, body), param, code)


def test_messages_name_the_field_and_the_values_allowed(api: Api) -> None:
    error = assert_rejected(
        api.call("POST", "/assistants", {**ASSISTANT, "response_format": {"type": "bogus"}}),
        "response_format.type",
        "invalid_value",
    )
    assert error["message"] == (
        "Invalid value: 'bogus'. Supported values are: 'text', 'json_object', and 'json_schema'."
    )
    error = assert_rejected(
        api.call("POST", "/threads/{thread}/runs", {**RUN, "assistant_id": api.assistant, "temperature": 3}),
        "temperature",
        "integer_above_max_value",
    )
    assert error["message"] == (
        "Invalid 'temperature': integer above maximum value. Expected a value <= 2, but got 3 instead."
    )
    error = assert_rejected(
        api.call("POST", "/responses", {**RESPONSE, "frobnicate": True}), "frobnicate", "unknown_parameter"
    )
    assert error["message"] == "Unrecognized request argument supplied: frobnicate"


def test_a_rejected_run_leaves_the_thread_readable(api: Api) -> None:
    # Before: the run was stored with integer instructions and every read of the thread's runs failed.
    body = {"assistant_id": api.assistant, "instructions": 12345}
    assert_rejected(api.call("POST", "/threads/{thread}/runs", body), "instructions", "invalid_type")
    assert api.ok("GET", "/threads/{thread}/runs")["data"] == []
    assert api.ok("GET", "/threads/{thread}")["id"] == api.thread


@pytest.mark.parametrize(
    ("query", "param", "code"),
    [
        ("start_time=soon", "start_time", "invalid_type"),
        ("start_time=1&bucket_width=1h", "bucket_width", "invalid_value"),
        ("start_time=1&group_by[]=colour", "group_by[0]", "invalid_value"),
        ("end_time=5", "start_time", "missing_required_parameter"),
    ],
)
def test_query_parameters_are_checked_against_their_schemas(
    api: Api, query: str, param: str, code: str
) -> None:
    assert_rejected(api.call("GET", f"/organization/costs?{query}"), param, code)


def test_array_query_parameters_are_checked_item_by_item(api: Api) -> None:
    response = api.call("GET", "/threads/{thread}/messages?limit=5&order=desc")
    assert response.status_code == 200
    assert_rejected(api.call("GET", "/threads/{thread}/messages?order=sideways"), "order", "invalid_value")
    conversation = api.ok("POST", "/conversations", {})["id"]
    assert_rejected(
        api.call("GET", f"/conversations/{conversation}/items?include[]=everything"),
        "include[0]",
        "invalid_value",
    )


def _upload(api: Api, **fields: Any) -> TestResponse:
    data = {"file": (io.BytesIO(b"hello"), "notes.txt"), **fields}
    return api.client.post("/v1/files", data=data, headers=HEADERS)


def test_multipart_fields_are_checked_against_the_form_schema(api: Api) -> None:
    assert _upload(api, purpose="assistants").status_code == 200
    assert_rejected(_upload(api, purpose="assistants", colour="red"), "colour", "unknown_parameter")
    assert_rejected(_upload(api, purpose="homework"), "purpose", "invalid_value")
    assert_rejected(
        _upload(
            api,
            purpose="assistants",
            **{"expires_after[anchor]": "created_at", "expires_after[seconds]": "9"},
        ),
        "expires_after.seconds",
        "integer_below_min_value",
    )
    expiring = {"expires_after[anchor]": "created_at", "expires_after[seconds]": "3600"}
    assert _upload(api, purpose="assistants", **expiring).status_code == 200


def test_a_valid_body_is_handled(api: Api) -> None:
    created = api.ok(
        "POST",
        "/assistants",
        {
            "model": "gpt-4o",
            "name": None,
            "instructions": "Be brief.",
            "temperature": 2,
            "tools": [{"type": "file_search", "file_search": {"max_num_results": 50}}],
            "response_format": {"type": "json_object"},
        },
    )
    assert created["instructions"] == "Be brief."


@pytest.mark.parametrize("path", ["/assistants/{assistant}", "/vector_stores", "/threads/{thread}/runs"])
def test_a_required_body_left_out_is_not_json(api: Api, path: str) -> None:
    """The spec requires these bodies; OpenAI answers a bare POST as unparseable JSON (found by schemathesis:
    the emulator read an empty body as `{}` and updated or created as if asked)."""
    response = api.call("POST", path)
    assert response.status_code == 400, response.get_data(as_text=True)
    error = response.get_json()["error"]
    assert error["type"] == "invalid_request_error"
    assert error["message"].startswith("We could not parse the JSON body of your request.")


def test_an_optional_body_may_be_left_out(api: Api) -> None:
    """`POST /threads` and `/conversations` declare their body optional: a bare POST creates one."""
    assert api.call("POST", "/threads").status_code == 200
    assert api.call("POST", "/conversations").status_code == 200


def test_a_method_the_path_lacks_is_405_naming_those_it_has(api: Api) -> None:
    """RFC 9110: a 405 carries `Allow` (found by schemathesis's unsupported_method check)."""
    response = api.call("PUT", "/assistants")
    assert response.status_code == 405
    assert response.mimetype == "application/json"
    assert set(response.headers["Allow"].split(", ")) == {"GET", "HEAD", "POST"}


BAD_URLS = ["", "not a url", "no-scheme.png", "https://exa mple.com/a.png", "https://example.com/%zz", ":x"]
GOOD_URLS = [
    "https://example.com/a.png",
    "http://127.0.0.1:8080/img?x=1#top",
    "data:image/png;base64,iVBORw0KGgo=",
    "https://user@[::1]/a%20b.png",
]


def _image_message(url: str) -> dict[str, Any]:
    return {"role": "user", "content": [{"type": "image_url", "image_url": {"url": url}}]}


@pytest.mark.parametrize("url", BAD_URLS)
def test_an_image_url_must_be_a_uri(api: Api, url: str) -> None:
    """`format: uri` (MessageContentImageUrlObject, InputImageContent): `url: ""` was stored, and the
    message it made then failed the spec's own response schema (found by the schemathesis run)."""
    param = "messages[0].content[0].image_url.url"
    error = assert_rejected(
        api.call("POST", "/threads", {"messages": [_image_message(url)]}), param, "invalid_value"
    )
    assert (
        error["message"]
        == f"Invalid '{param}': Expected a valid URL, but got a value with an invalid format."
    )
    message = _image_message(url)
    assert_rejected(
        api.call("POST", "/threads/{thread}/messages", message), "content[0].image_url.url", "invalid_value"
    )
    item = {"role": "user", "content": [{"type": "input_image", "image_url": url, "detail": "auto"}]}
    assert_rejected(
        api.call("POST", "/responses", {**RESPONSE, "input": [item]}),
        "input[0].content[0].image_url",
        "invalid_value",
    )


@pytest.mark.parametrize("url", GOOD_URLS)
def test_an_image_url_that_is_a_uri_is_accepted(api: Api, url: str) -> None:
    api.ok("POST", "/threads/{thread}/messages", _image_message(url))
    item = {"role": "user", "content": [{"type": "input_image", "image_url": url, "detail": "auto"}]}
    api.ok("POST", "/responses", {**RESPONSE, "input": [item]})
