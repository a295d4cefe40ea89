"""The emulator's WSGI application: auth, faults, routing and error shapes around the resource handlers."""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound
from werkzeug.wrappers import Request, Response

from reconciler.emulator.config import EmulatorConfig
from reconciler.emulator.faults import (
    ConnectionDropped,
    FaultInjector,
    Outcome,
    ResetBeforeHandling,
    duration_text,
)
from reconciler.emulator.http import ApiError, json_response, new_id
from reconciler.emulator.resources import register_all
from reconciler.emulator.router import Context, Route, Router
from reconciler.emulator.storage import Storage
from reconciler.emulator.validation import request_validator, spec_template

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

LOCAL_KEY = "sk-local-emulator"
_log = logging.getLogger(__name__)


class EmulatorApp:
    """A WSGI callable speaking OpenAI's wire format under `/v1`. Usable in-process or behind a server."""

    def __init__(
        self, config: EmulatorConfig | None = None, *, clock: Callable[[], float] = time.time
    ) -> None:
        self.config = config or EmulatorConfig()
        self.storage = Storage(self.config.db_path)
        self.router = Router()
        self.faults = FaultInjector(self.config.faults)
        self.context = Context(storage=self.storage, config=self.config, clock=clock)
        self.requests_served = 0
        register_all(self.router)
        self.validator = request_validator()
        # Every route is checked against its operation; a route the spec lacks is a bug, found here,
        # unless it says so (`in_spec=False`: a beta API whose handler validates by the SDK's types).
        self._templates = {
            key: spec_template(route.path) for key, route in self.router.routes.items() if route.in_spec
        }
        for key, template in self._templates.items():
            if not self.validator.knows(self.router.routes[key].method, template):
                raise LookupError(f"route {key} is not an operation of the OpenAPI spec")

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        request = Request(environ)
        try:
            response = self.handle(request)
        except ConnectionDropped:
            raise
        except Exception:
            # A 500 is always a bug, but the client still gets the platform's JSON envelope, never
            # werkzeug's or waitress's plain-text page.
            _log.exception("unhandled error in %s %s", request.method, request.path)
            response = internal_error().response()
        finally:
            request.close()  # releases uploaded files' temporary storage
        return response(environ, start_response)

    def close(self) -> None:
        self.storage.close()

    def handle(self, request: Request) -> Response:
        self.requests_served += 1
        try:
            route, params = self.router.bind(request)
        except NotFound:
            return ApiError(404, f"Invalid URL ({request.method} {request.path})").response()
        except MethodNotAllowed as refused:
            response = ApiError(405, f"Invalid method for URL ({request.method} {request.path})").response()
            # RFC 9110: a 405 names the methods the resource has.
            response.headers["Allow"] = ", ".join(sorted(refused.valid_methods or ()))
            return response
        try:
            self._authorize(request, route)
            self.faults.delay()
            ratelimit_headers = self._rate_limit(route)
            outcome = self.faults.draw(route.group, request.method)
            if outcome is Outcome.SERVER_ERROR:
                raise self._server_error()
            if outcome is Outcome.RESET:
                raise ResetBeforeHandling("reset before handling")
            if route.in_spec:
                self.validator.check(
                    route.method, self._templates[f"{route.method} {route.path}"], request, params
                )
            response = route.handler(self.context, request, **params)
            if outcome is Outcome.LOST:
                raise ConnectionDropped("handled, response lost")
            for name, value in ratelimit_headers.items():
                response.headers[name] = value
        except ApiError as error:
            response = error.response()
        except HTTPException as error:
            # werkzeug's own errors (a malformed multipart body, ...) in the platform's shape.
            status = error.code or 500
            if status >= 500:
                _log.exception("unhandled error in %s %s", request.method, request.path)
                response = internal_error().response()
            else:
                response = ApiError(status, error.description or error.name).response()
        except ConnectionDropped:
            raise
        except Exception:
            _log.exception("unhandled error in %s %s", request.method, request.path)
            response = internal_error().response()
        response.headers["x-request-id"] = new_id("req_")
        response.headers["openai-version"] = "2020-10-01"
        return response

    def _authorize(self, request: Request, route: Route) -> None:
        header = request.headers.get("Authorization", "")
        scheme, _, key = header.partition(" ")
        if scheme.lower() != "bearer" or not key.strip():
            raise ApiError(
                401,
                "You didn't provide an API key. You need to provide your API key in an Authorization header "
                "using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
                code=None,
            )
        if route.admin and not self._is_admin_key(key.strip()):
            raise ApiError(
                401,
                "Incorrect API key provided. The Admin API requires an admin key (sk-admin-...).",
                code="invalid_api_key",
            )

    def _server_error(self) -> ApiError:
        if self.faults.pick_503():
            return ApiError(
                503, "The server is overloaded or not ready yet.", type_="server_error", code="overloaded"
            )
        return internal_error()

    def _is_admin_key(self, key: str) -> bool:
        if self.config.admin_keys:
            return key in self.config.admin_keys
        return key.startswith("sk-admin") or key == LOCAL_KEY

    def _rate_limit(self, route: Route) -> dict[str, str]:
        """Raise the 429 when over the limit; otherwise the x-ratelimit-* headers a success carries."""
        limited, retry_after, limit, remaining = self.faults.rate_limit(route.group, admin=route.admin)
        if not limit or route.admin:
            headers: dict[str, str] = {}
        else:
            headers = {
                "x-ratelimit-limit-requests": str(limit),
                "x-ratelimit-remaining-requests": str(remaining),
                "x-ratelimit-reset-requests": duration_text(retry_after),
            }
        if not limited:
            return headers
        if not route.admin:
            # The Admin API sends no rate-limit headers at all; normal endpoints do. The spec types
            # Retry-After as an integer >= 1; `retry-after-ms` carries the precise delay (the SDK reads
            # it first).
            headers["retry-after"] = str(max(1, math.ceil(retry_after)))
            headers["retry-after-ms"] = str(max(1, round(retry_after * 1000)))
        raise ApiError(
            429,
            f"Rate limit reached for requests on {route.group}. Please try again later.",
            type_="requests",
            code="rate_limit_exceeded",
            headers=headers,
        )


def internal_error() -> ApiError:
    return ApiError(500, "The server had an error while processing your request.", type_="server_error")


def health(app: EmulatorApp) -> Response:
    return json_response({"status": "ok", "requests_served": app.requests_served})
