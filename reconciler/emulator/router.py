"""Routing: resource modules register `(method, path) -> handler`; the app dispatches on werkzeug's Map."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from reconciler.emulator.config import EmulatorConfig
from reconciler.emulator.faults import GROUPS
from reconciler.emulator.storage import Storage


@dataclass
class Context:
    """What a handler may use: the store, the settings, and the clock (patchable in tests)."""

    storage: Storage
    config: EmulatorConfig
    clock: Callable[[], float]


# A handler takes (ctx, request, **path_params) and returns a Response; path params vary per route.
Handler = Callable[..., Response]


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    handler: Handler
    group: str  # rate-limit and auth group: "assistants", "files", "vector_stores", "admin", ...
    admin: bool = False
    # False only for beta APIs the spec subset lacks (the Agents API): the app then skips the spec check
    # and the handler validates the request itself, by a schema written from the SDK's types.
    in_spec: bool = True


class Router:
    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self._map = Map(strict_slashes=False)

    def add(
        self,
        method: str,
        path: str,
        handler: Handler,
        *,
        group: str,
        admin: bool = False,
        in_spec: bool = True,
    ) -> None:
        """Register a handler. `path` uses werkzeug syntax: `/assistants/<assistant_id>`."""
        if group not in GROUPS:
            # `only=` is checked against GROUPS: a group outside it could never be named there.
            raise ValueError(f"route group {group!r} is not in faults.GROUPS")
        endpoint = f"{method} {path}"
        self.routes[endpoint] = Route(method, path, handler, group, admin, in_spec)
        self._map.add(Rule(path, methods=[method], endpoint=endpoint))

    def bind(self, request: Request) -> tuple[Route, dict[str, Any]]:
        """Match a request; raises werkzeug's NotFound / MethodNotAllowed."""
        adapter = self._map.bind_to_environ(request.environ)
        endpoint, params = adapter.match()
        return self.routes[str(endpoint)], dict(params)
