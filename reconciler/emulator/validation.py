"""Checks every request against the spec's request schema before a handler runs (OpenAI's 400 with `param`).

One `RequestValidator` per process holds a compiled JSON Schema (2020-12) validator for each parameter and
request body of every operation in `openapi/requests.json`. It checks path and query parameters (query
strings coerced to the declared scalar types, `name[]` arrays as the SDK sends them), JSON bodies (and
refuses top-level keys no branch of the body schema names, as OpenAI does) and multipart form fields
(bracketed keys nested, `expires_after[seconds]` -> `{"expires_after": {"seconds": ...}}`). Of the
`format`s the request schemas name, `uri` is asserted (an absolute URI as RFC 3986 spells it: an image
`url: ""` was stored and broke the message it went into); `binary`, `int64` and `float` say nothing a
type does not. Rules the spec states only in prose are the handlers' business.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012
from werkzeug.wrappers import Request

from reconciler.emulator.http import ApiError, body
from reconciler.emulator.openapi import request_document
from reconciler.emulator.schema_errors import report, unknown_parameter

_URI = "urn:reconciler:openai-requests"
_JSON = "application/json"
_MULTIPART = "multipart/form-data"
_INTEGER = re.compile(r"-?\d+")

# RFC 3986's absolute URI: scheme ":" hier-part ["?" query] ["#" fragment]; ASCII only, escapes well formed.
_U, _SD, _PCT = r"A-Za-z0-9\-._~", r"!$&'()*+,;=", r"%[0-9A-Fa-f]{2}"
_PCHAR = rf"(?:[{_U}{_SD}:@]|{_PCT})"
_HOST = rf"(?:\[[0-9A-Fa-f:.]+\]|\[v[0-9A-Fa-f]+\.[{_U}{_SD}:]+\]|(?:[{_U}{_SD}]|{_PCT})*)"
_AUTHORITY = rf"(?:(?:[{_U}{_SD}:]|{_PCT})*@)?{_HOST}(?::[0-9]*)?"
_HIER = rf"(?://{_AUTHORITY}(?:/{_PCHAR}*)*|/(?:{_PCHAR}+(?:/{_PCHAR}*)*)?|{_PCHAR}+(?:/{_PCHAR}*)*|)"
_URI_FORMAT = re.compile(rf"[A-Za-z][A-Za-z0-9+.-]*:{_HIER}(?:\?(?:{_PCHAR}|[/?])*)?(?:#(?:{_PCHAR}|[/?])*)?")


def _is_uri(value: object) -> bool:
    return not isinstance(value, str) or _URI_FORMAT.fullmatch(value) is not None


_FORMATS = FormatChecker(formats=())
_FORMATS.checks("uri")(_is_uri)


_NUMBER = re.compile(r"-?\d+(\.\d+)?([eE][-+]?\d+)?")


@dataclass(frozen=True)
class _Parameter:
    name: str  # as the SDK sends it, without a trailing `[]`
    location: str  # "path" or "query"
    required: bool
    types: frozenset[str]
    item_types: frozenset[str]  # for arrays
    validator: Draft202012Validator


@dataclass(frozen=True)
class _Body:
    media: str
    known: frozenset[str] | None  # top-level keys the schema names; None: the schema names none
    validator: Draft202012Validator
    schema: dict[str, Any]
    required: bool  # the spec's `requestBody.required`: an empty body is then no JSON at all


@dataclass(frozen=True)
class _Operation:
    parameters: tuple[_Parameter, ...]
    body: _Body | None


class RequestValidator:
    """`check(method, template, request, path_params)` raises the platform's 400 for a request the spec
    rejects. `template` is the spec's path (`/assistants/{assistant_id}`)."""

    def __init__(self, document: dict[str, Any]) -> None:
        resource = Resource.from_contents(document, default_specification=DRAFT202012)
        self._resolver = Registry().with_resource(_URI, resource).resolver(base_uri=_URI)
        self._inlined: dict[str, dict[str, Any]] = {}
        self._operations: dict[tuple[str, str], _Operation] = {}
        for template, item in document["paths"].items():
            for method, operation in item.items():
                self._operations[method.upper(), template] = self._compile(operation)

    def knows(self, method: str, template: str) -> bool:
        return (method.upper(), template) in self._operations

    def check(self, method: str, template: str, request: Request, path_params: dict[str, Any]) -> None:
        operation = self._operations[method.upper(), template]
        for parameter in operation.parameters:
            self._check_parameter(parameter, request, path_params)
        if operation.body is not None:
            self._check_body(operation.body, request)

    def _compile(self, operation: dict[str, Any]) -> _Operation:
        parameters = []
        for p in operation.get("parameters", []):
            if p["in"] not in ("path", "query"):
                continue
            schema = self._inline(p["schema"])
            parameters.append(
                _Parameter(
                    name=p["name"].removesuffix("[]"),
                    location=p["in"],
                    required=bool(p.get("required", False)),
                    types=self._types(schema),
                    item_types=self._types(schema.get("items", {})),
                    validator=Draft202012Validator(schema, format_checker=_FORMATS),
                )
            )
        request_body = operation.get("requestBody", {})
        content = request_body.get("content", {})
        media = next((m for m in (_JSON, _MULTIPART) if m in content), None)
        body_rule = None
        if media is not None:
            schema = self._inline(content[media]["schema"])
            body_rule = _Body(
                media=media,
                known=self._known_keys(schema),
                validator=Draft202012Validator(schema, format_checker=_FORMATS),
                schema=schema,
                required=bool(request_body.get("required", False)),
            )
        return _Operation(tuple(parameters), body_rule)

    def _inline(self, schema: Any) -> Any:
        """The schema with every `$ref` replaced by the schema it names, resolved once here: jsonschema
        resolving refs on every request doubled the cost of checking a body. A recursive schema
        (CompoundFilter) becomes a cyclic dict, which validation walks only as deep as the instance."""
        if not isinstance(schema, dict):
            return schema
        if "$ref" in schema:
            ref = schema["$ref"]
            if ref not in self._inlined:
                target: dict[str, Any] = {}
                self._inlined[ref] = target  # before recursing: a cycle finds it
                target.update(self._inline(self._resolver.lookup(ref).contents))
            siblings = {k: self._inline_value(k, v) for k, v in schema.items() if k != "$ref"}
            return {"allOf": [self._inlined[ref]], **siblings} if siblings else self._inlined[ref]
        return {key: self._inline_value(key, value) for key, value in schema.items()}

    def _inline_value(self, key: str, value: Any) -> Any:
        if key in ("properties", "patternProperties"):
            return {name: self._inline(sub) for name, sub in value.items()}
        if key in ("allOf", "anyOf", "oneOf", "prefixItems"):
            return [self._inline(sub) for sub in value]
        if key in ("items", "additionalProperties", "not", "contains", "propertyNames"):
            return self._inline(value)
        return value

    def _branches(self, schema: dict[str, Any]) -> Iterator[dict[str, Any]]:
        """The schema and every schema its allOf/anyOf/oneOf reach."""
        yield schema
        for keyword in ("allOf", "anyOf", "oneOf"):
            for branch in schema.get(keyword, []):
                if isinstance(branch, dict):
                    yield from self._branches(branch)

    def _known_keys(self, schema: dict[str, Any]) -> frozenset[str] | None:
        known = {name for branch in self._branches(schema) for name in branch.get("properties", {})}
        return frozenset(known) if known else None

    def _types(self, schema: Any) -> frozenset[str]:
        found: set[str] = set()
        for branch in self._branches(schema if isinstance(schema, dict) else {}):
            declared = branch.get("type", [])
            found.update([declared] if isinstance(declared, str) else declared)
        return frozenset(found)

    def _property(self, schema: dict[str, Any], path: list[str]) -> dict[str, Any]:
        """The (merged) subschema at a property path, for coercing form fields; `{}` when unknown."""
        for name in path:
            schema = next(
                (b["properties"][name] for b in self._branches(schema) if name in b.get("properties", {})),
                {},
            )
        return schema

    def _check_parameter(self, parameter: _Parameter, request: Request, path_params: dict[str, Any]) -> None:
        if parameter.location == "path":
            value: Any = path_params.get(parameter.name)
        else:
            raw = request.args.getlist(parameter.name) + request.args.getlist(f"{parameter.name}[]")
            if "array" in parameter.types:
                value = [_coerce(v, parameter.item_types) for v in raw] if raw else None
            else:
                value = _coerce(raw[0], parameter.types) if raw else None
        if value is None:
            if parameter.required:
                raise ApiError(
                    400,
                    f"Missing required parameter: '{parameter.name}'.",
                    param=parameter.name,
                    code="missing_required_parameter",
                )
            return
        errors = list(parameter.validator.iter_errors(value))
        if errors:
            raise report(errors, value, prefix=(parameter.name,))

    def _check_body(self, rule: _Body, request: Request) -> None:
        if rule.media == _JSON and rule.required and not request.get_data(cache=True):
            raise ApiError(400, NO_JSON_BODY)
        instance = body(request) if rule.media == _JSON else self._form(request, rule.schema)
        if rule.media == _JSON and rule.known is not None:
            for key in instance:
                if key not in rule.known:
                    raise unknown_parameter(key)
        errors = list(rule.validator.iter_errors(instance))
        if errors:
            raise report(errors, instance)

    def _form(self, request: Request, schema: dict[str, Any]) -> dict[str, Any]:
        """Multipart fields as the object the schema describes; a file part counts as a string."""
        data: dict[str, Any] = {}
        fields = [(k, v) for k, v in request.form.items(multi=True)]
        fields += [(k, upload.filename or "") for k, upload in request.files.items(multi=True)]
        for key, value in fields:
            path = key.replace("]", "").split("[")
            target = data
            for part in path[:-1]:
                nested = target.setdefault(part, {})
                if not isinstance(nested, dict):
                    raise ApiError(400, f"Invalid form field '{key}'.", param=key)
                target = nested
            target[path[-1]] = _coerce(value, self._types(self._property(schema, path)))
        return data


def _coerce(text: str, types: frozenset[str]) -> Any:
    """A query or form string as the declared scalar type when it spells one; else the string itself, so
    the schema reports the wrong type."""
    if "string" in types:
        return text
    if "integer" in types and _INTEGER.fullmatch(text):
        return int(text)
    if "number" in types and _NUMBER.fullmatch(text):
        return float(text) if any(c in text for c in ".eE") else int(text)
    if "boolean" in types and text in ("true", "false"):
        return text == "true"
    return text


def _escape(segment: str) -> str:
    return segment.replace("~", "~0").replace("/", "~1")


# OpenAI's words for a POST whose body the operation requires but which carries none (or no JSON).
NO_JSON_BODY = (
    "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP "
    "library correctly. The OpenAI API expects a JSON payload, but what was sent was not valid JSON.)"
)


@cache
def request_validator() -> RequestValidator:
    """The process-wide validator: compiled once, shared by every EmulatorApp."""
    return RequestValidator(request_document())


def spec_template(werkzeug_path: str) -> str:
    """`/v1/assistants/<assistant_id>` -> `/assistants/{assistant_id}`."""
    return re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", werkzeug_path.removeprefix("/v1"))
