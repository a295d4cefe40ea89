"""The emulator as a real HTTP server on waitress (a production WSGI server), for any OpenAI client."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING

from waitress.server import create_server

from reconciler.emulator.app import EmulatorApp
from reconciler.emulator.config import EmulatorConfig
from reconciler.emulator.faults import ConnectionDropped

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment


class _DroppingApp:
    """Turns ConnectionDropped into a response that promises more body than it sends: waitress then
    closes the socket, and the client sees the connection die mid-response (no status it could trust)."""

    def __init__(self, app: EmulatorApp) -> None:
        self.app = app

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        try:
            return self.app(environ, start_response)
        except ConnectionDropped:
            start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", "1048576")])
            return _truncated()


def _truncated() -> Iterator[bytes]:
    yield b'{"id": '


class EmulatorServer:
    """A waitress server bound to host:port; port 0 picks a free one (see `port`)."""

    def __init__(
        self, config: EmulatorConfig, *, host: str = "127.0.0.1", port: int = 0, threads: int = 8
    ) -> None:
        logging.getLogger("waitress").setLevel(logging.ERROR)
        self.app = EmulatorApp(config)
        self._server = create_server(
            _DroppingApp(self.app), host=host, port=port, threads=threads, ident="reconciler-emulator"
        )
        self.host = host
        self.port = int(getattr(self._server, "effective_port", port))

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}/v1"

    def serve_forever(self) -> None:
        self._server.run()

    def close(self) -> None:
        self._server.close()
        self.app.close()
