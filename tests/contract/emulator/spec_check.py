"""Checks one HTTP exchange against OpenAI's published spec with openapi-core; returns the violations.

The rule: a request the spec accepts must get a response the spec accepts; a request the spec rejects
(missing key, malformed body) must be refused with a 4xx in the `ErrorResponse` shape. Error statuses an
operation does not declare (most 400/401/404/5xx) are checked against `#/components/schemas/ErrorResponse`.
Beta paths the spec subset lacks (`/agents`) have only their error bodies checked here; their tests build
every success body with the SDK's own models.
"""

from __future__ import annotations

import io
import json
from typing import Any

import httpx2
from openapi_core import OpenAPI
from openapi_core.templating.media_types.exceptions import MediaTypeNotFound
from openapi_core.templating.paths.exceptions import PathError
from openapi_core.templating.responses.exceptions import ResponseNotFound
from openapi_core.testing import MockRequest, MockResponse
from openapi_core.validation.request.exceptions import RequestBodyValidationError
from openapi_schema_validator import OAS31Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012
from werkzeug.wrappers import Request

# The spec declares `/files/{id}/content` as application/json string; the platform sends raw bytes.
_BINARY_OPERATIONS = {("get", "/files/{file_id}/content")}
# Served beta APIs the spec subset has no paths for (emulator routes registered with `in_spec=False`).
BETA_PATHS = ("/v1/agents",)


class SpecChecker:
    def __init__(self, api: OpenAPI, raw_spec: dict[str, Any]) -> None:
        self.api = api
        self.raw = raw_spec
        # The spec as one registered document, so its own "#/components/..." refs resolve inside it.
        self._registry: Registry[Any] = Registry().with_resource(
            "urn:spec", Resource.from_contents(raw_spec, default_specification=DRAFT202012)
        )
        self._error_validator = OAS31Validator(
            {"$ref": "urn:spec#/components/schemas/ErrorResponse"}, registry=self._registry
        )

    def check(self, request: httpx2.Request, response: httpx2.Response | None) -> list[str]:
        label = f"{request.method} {request.url.path}"
        if request.url.path.startswith(BETA_PATHS):
            if response is None or response.status_code < 400:
                return []
            return self._check_error_body(label, response)
        mock_request = _mock_request(request)
        errors = list(self.api.iter_request_errors(mock_request))
        if any(isinstance(e, PathError) for e in errors):
            return [f"{label}: no such operation in the spec"]
        if request.headers.get("content-type", "").startswith("multipart/form-data"):
            # openapi-core hands `format: binary` parts to the 3.1 schema as bytes, which fail
            # `type: string`: check the multipart body ourselves, with file parts as text.
            body_errors = [e for e in errors if isinstance(e, RequestBodyValidationError)]
            errors = [e for e in errors if not isinstance(e, RequestBodyValidationError)]
            if body_errors:
                errors += self._multipart_errors(request)
        request_error = "; ".join(_describe(e) for e in errors[:3]) if errors else None
        if response is None:
            return []  # the connection dropped: there is no response to check
        status = response.status_code
        if request_error is not None:
            if not 400 <= status < 500:
                return [
                    f"{label}: spec rejects the request ({request_error}) but the emulator answered {status}"
                ]
            return self._check_error_body(label, response)
        mock_response = MockResponse(
            response.content,
            status_code=status,
            headers=dict(response.headers),
            content_type=response.headers.get("content-type", "application/json"),
        )
        try:
            self.api.validate_response(mock_request, mock_response)
        except ResponseNotFound:
            if status < 400:
                return [f"{label}: status {status} is not declared by the spec"]
            return self._check_error_body(label, response)
        except Exception as exc:
            if _media_type_missing(exc):
                if (request.method.lower(), _template(request)) in _BINARY_OPERATIONS and status == 200:
                    return []  # raw bytes; the status is all the spec can say about them
                return [
                    f"{label}: response media type {response.headers.get('content-type')} not in the spec"
                ]
            return [f"{label} -> {status}: {_describe(exc)}"]
        return []

    def _multipart_errors(self, request: httpx2.Request) -> list[Exception]:
        form = Request.from_values(
            input_stream=io.BytesIO(request.content),
            content_length=len(request.content),
            content_type=request.headers["content-type"],
            method="POST",
        )
        data: dict[str, Any] = {}
        for key, value in form.form.items(multi=False):
            _set_nested(data, key, value)
        for key, upload in form.files.items(multi=False):
            data[key] = upload.read().decode("latin-1")
        form.close()
        path = _template(request).replace("~", "~0").replace("/", "~1")
        pointer = (
            f"urn:spec#/paths/{path}/{request.method.lower()}/requestBody/content/multipart~1form-data/schema"
        )
        validator = OAS31Validator({"$ref": pointer}, registry=self._registry)
        return [
            ValueError(f"{'/'.join(map(str, e.absolute_path))}: {e.message}")
            for e in validator.iter_errors(data)
        ]

    def _check_error_body(self, label: str, response: httpx2.Response) -> list[str]:
        try:
            payload = json.loads(response.content)
        except ValueError:
            return [f"{label} -> {response.status_code}: error body is not JSON"]
        errors = sorted(self._error_validator.iter_errors(payload), key=str)
        return [f"{label} -> {response.status_code}: ErrorResponse: {e.message}" for e in errors[:3]]


def _mock_request(request: httpx2.Request) -> MockRequest:
    url = request.url
    port = url.port or (443 if url.scheme == "https" else 80)
    headers = dict(request.headers)
    content_type = request.headers.get("content-type", "application/json")
    return MockRequest(
        f"{url.scheme}://{url.host}:{port}",
        request.method,
        url.path,
        args=list(url.params.multi_items()),  # type: ignore[arg-type]  # a MultiDict accepts pairs
        headers=headers,
        data=request.content or None,
        content_type=content_type,
    )


def _set_nested(data: dict[str, Any], key: str, value: str) -> None:
    """`expires_after[seconds]=3600` -> {"expires_after": {"seconds": 3600}} (digits become integers)."""
    parts = key.replace("]", "").split("[")
    for part in parts[:-1]:
        data = data.setdefault(part, {})
    data[parts[-1]] = int(value) if value.isdigit() else value


def _media_type_missing(exc: BaseException) -> bool:
    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, MediaTypeNotFound):
            return True
        cause = cause.__cause__ or cause.__context__
    return False


def _template(request: httpx2.Request) -> str:
    path = request.url.path.removeprefix("/v1")
    if path.startswith("/files/") and path.endswith("/content"):
        return "/files/{file_id}/content"
    return path  # multipart bodies only go to `/files`, which has no path parameters


def _describe(exc: Exception) -> str:
    """openapi-core wraps the schema errors; surface the first few messages."""
    parts = [f"{type(exc).__name__}: {exc}"]
    cause: BaseException | None = exc.__cause__
    while cause is not None:
        schema_errors = getattr(cause, "schema_errors", None)
        if schema_errors:
            parts += [
                f"{'/'.join(map(str, e.absolute_path)) or '<root>'}: {e.message}" for e in schema_errors[:3]
            ]
        else:
            parts.append(str(cause))
        cause = cause.__cause__
    return "; ".join(parts)
