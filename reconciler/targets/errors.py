"""SDK and transport errors translated into our tree at the boundary (httpx-style: callers never see
`openai.*` or `httpx2.*` exceptions). Messages carry the status, the route and the platform's own message,
never headers, and the platform's message is redacted (`reconciler.redact`), so a key cannot leak through
an error even when the platform echoes it."""

from __future__ import annotations

import email.utils
import time
from collections.abc import Callable
from typing import TypeVar

import openai

from reconciler.errors import (
    AuthenticationFailed,
    NotFound,
    PermanentPlatformError,
    PlatformError,
    RateLimited,
    TemporaryPlatformError,
)
from reconciler.redact import redact

T = TypeVar("T")

_TEMPORARY_STATUS = {408, 409, 425, 429, 500, 502, 503, 504}


def retry_after(headers: object) -> float | None:
    """Seconds to wait from `retry-after-ms` / `retry-after` (seconds or an HTTP date), as the SDK reads."""
    get = getattr(headers, "get", None)
    if get is None:
        return None
    millis = get("retry-after-ms")
    if millis:
        try:
            return max(0.0, float(millis) / 1000.0)
        except ValueError:
            pass
    value = get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        parsed = email.utils.parsedate_to_datetime(value) if value else None
        return None if parsed is None else max(0.0, parsed.timestamp() - time.time())


def _platform_message(error: openai.APIStatusError) -> str:
    """The platform's own words, redacted: a proxy or the platform may echo the Authorization header."""
    body = error.body
    if isinstance(body, dict):
        inner = body.get("error", body)
        if isinstance(inner, dict) and isinstance(inner.get("message"), str):
            return redact(str(inner["message"]))
    return redact(error.message)


def translate(error: Exception, what: str) -> PlatformError:
    """Map one SDK exception to our error tree. `what` names the operation (`create assistant`)."""
    if isinstance(error, openai.APITimeoutError):
        return TemporaryPlatformError(f"{what}: request timed out")
    if isinstance(error, openai.APIConnectionError):
        return TemporaryPlatformError(f"{what}: connection failed ({type(error.__cause__).__name__})")
    if isinstance(error, openai.APIStatusError):
        status = error.status_code
        request_id = error.request_id
        message = f"{what}: HTTP {status}: {_platform_message(error)}"
        if status == 429:
            return RateLimited(
                message, status=status, request_id=request_id, retry_after=retry_after(error.response.headers)
            )
        if status in _TEMPORARY_STATUS:
            return TemporaryPlatformError(
                message, status=status, request_id=request_id, retry_after=retry_after(error.response.headers)
            )
        if status in (401, 403):
            return AuthenticationFailed(message, status=status, request_id=request_id)
        if status == 404:
            return NotFound(message, status=status, request_id=request_id)
        return PermanentPlatformError(message, status=status, request_id=request_id)
    if isinstance(error, openai.OpenAIError):
        return PermanentPlatformError(f"{what}: {type(error).__name__}")
    raise error


def call(what: str, fn: Callable[[], T]) -> T:
    """Run one SDK call, translating its errors."""
    try:
        return fn()
    except openai.OpenAIError as error:
        raise translate(error, what) from error
