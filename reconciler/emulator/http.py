"""HTTP plumbing shared by every resource: JSON bodies, OpenAI's error shape, cursor pagination, ids."""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Callable
from typing import Any

from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Request, Response

from reconciler.emulator.storage import JSON, Storage

MAX_METADATA_PAIRS = 16
MAX_METADATA_KEY = 64
MAX_METADATA_VALUE = 512
_ALPHABET = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"


class ApiError(Exception):
    """Raised by handlers; the app turns it into `{"error": {message, type, param, code}}`."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        type_: str = "invalid_request_error",
        param: str | None = None,
        code: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.type = type_
        self.param = param
        self.code = code
        self.headers = headers or {}

    def response(self) -> Response:
        body = {"error": {"message": self.message, "type": self.type, "param": self.param, "code": self.code}}
        return json_response(body, status=self.status, headers=self.headers)


def not_found(what: str, obj_id: str, param: str | None = None) -> ApiError:
    return ApiError(404, f"No {what} found with id '{obj_id}'.", param=param)


def json_response(body: Any, *, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    response = Response(json.dumps(body), status=status, mimetype="application/json")
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def new_id(prefix: str) -> str:
    """Ids shaped like the platform's: a prefix and 24 random alphanumerics."""
    # One urandom call per id (secrets.choice per character dominated a request's cost); the slight
    # modulo bias is irrelevant for ids.
    return prefix + "".join(_ALPHABET[b % 62] for b in secrets.token_bytes(24))


def now() -> int:
    return int(time.time())


def body(request: Request) -> JSON:
    """The JSON object body; an empty body is `{}`. Anything else is the platform's 400."""
    raw = request.get_data(cache=True)
    if not raw:
        return {}
    try:
        data = json.loads(raw)
    except ValueError as exc:
        raise ApiError(400, f"We could not parse the JSON body of your request. ({exc})") from None
    if not isinstance(data, dict):
        raise ApiError(400, "The request body must be a JSON object.")
    return data


def check_metadata(metadata: Any, *, param: str = "metadata") -> dict[str, str] | None:
    """The platform's metadata rules: at most 16 pairs, keys <= 64 chars, string values <= 512 chars."""
    if metadata is None:
        return None
    if not isinstance(metadata, dict):
        raise ApiError(400, "Invalid type for 'metadata': expected an object.", param=param)
    if len(metadata) > MAX_METADATA_PAIRS:
        raise ApiError(
            400,
            f"Invalid '{param}': too many properties. Expected an object with at most "
            f"{MAX_METADATA_PAIRS} properties, but got an object with {len(metadata)} properties instead.",
            param=param,
            code="object_above_max_properties",
        )
    for key, value in metadata.items():
        if len(key) > MAX_METADATA_KEY:
            raise ApiError(
                400,
                f"Invalid '{param}': key '{key[:20]}...' is too long; maximum {MAX_METADATA_KEY} characters.",
                param=f"{param}.{key}",
                code="string_above_max_length",
            )
        if not isinstance(value, str):
            raise ApiError(
                400, f"Invalid type for '{param}.{key}': expected a string.", param=f"{param}.{key}"
            )
        if len(value) > MAX_METADATA_VALUE:
            raise ApiError(
                400,
                f"Invalid '{param}.{key}': string too long. Expected a string with maximum length "
                f"{MAX_METADATA_VALUE}, but got a string with length {len(value)} instead.",
                param=f"{param}.{key}",
                code="string_above_max_length",
            )
    return dict(metadata)


def query_list(args: MultiDict[str, str], name: str) -> list[str]:
    """Array query parameters arrive bracketed (`include[]=a&include[]=b`), as the SDK sends them."""
    return args.getlist(f"{name}[]") + args.getlist(name)


def paginate(
    storage: Storage,
    request: Request,
    kind: str,
    *,
    parent: str = "",
    keep: Callable[[JSON], bool] | None = None,
    view: Callable[[JSON], JSON] | None = None,
    default_order: str = "desc",
    nullable_ids: bool = False,
    default_limit: int = 20,
    max_limit: int = 100,
) -> Response:
    """A cursor page (`limit` 1-100, `after`, `before`, `order`) in the shape the SDK's CursorPage reads.

    Most list schemas require `first_id`/`last_id` as strings even on an empty page (`""` then);
    spend-alert lists allow null (`nullable_ids`). `/files` pages up to 10,000 (`max_limit`).
    """
    args = request.args
    try:
        limit = int(args.get("limit", str(default_limit)))
    except ValueError:
        raise ApiError(400, "Invalid 'limit': expected an integer.", param="limit") from None
    if not 1 <= limit <= max_limit:
        raise ApiError(
            400,
            f"Invalid 'limit': integer below minimum value or above maximum value ({limit}).",
            param="limit",
        )
    order = args.get("order", default_order)
    if order not in ("asc", "desc"):
        raise ApiError(400, f"Invalid 'order': expected 'asc' or 'desc', got '{order}'.", param="order")
    items, has_more = storage.page(
        kind,
        parent=parent,
        order=order,
        after=args.get("after"),
        before=args.get("before"),
        limit=limit,
        keep=keep,
    )
    data = [view(o) for o in items] if view else items
    empty_id: str | None = None if nullable_ids else ""
    return json_response(
        {
            "object": "list",
            "data": data,
            "first_id": data[0]["id"] if data else empty_id,
            "last_id": data[-1]["id"] if data else empty_id,
            "has_more": has_more,
        }
    )
