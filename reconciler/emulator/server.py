"""The emulator as a real HTTP server on waitress (a production WSGI server), for any OpenAI client."""

from __future__ import annotations

import contextlib
import logging
import socket
import struct
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any, cast

from waitress import wasyncore
from waitress.channel import HTTPChannel
from waitress.server import create_server
from waitress.task import WSGITask

from reconciler.emulator.app import EmulatorApp
from reconciler.emulator.config import EmulatorConfig
from reconciler.emulator.faults import ConnectionDropped, ResetBeforeHandling

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment


class _DroppingApp:
    """Turns a lost response (ConnectionDropped after handling) into a response that promises more body
    than it sends: waitress then closes the socket, and the client sees the connection die mid-response.
    A reset before handling (ResetBeforeHandling) passes through to `_ResettingTask`."""

    def __init__(self, app: EmulatorApp) -> None:
        self.app = app

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        try:
            return self.app(environ, start_response)
        except ResetBeforeHandling:
            raise
        except ConnectionDropped:
            start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", "1048576")])
            return _truncated()


class _ResettingTask(WSGITask):
    """A waitress task that can abort: on ResetBeforeHandling it writes nothing, not even a status line,
    and the channel closes the socket with a TCP reset (SO_LINGER 0), as a dropped connection looks.
    Anything written first (say `200 OK` headers) would make it look like a lost response instead."""

    def service(self) -> None:
        try:
            super().service()
        except ResetBeforeHandling:
            self.close_on_finish = True
            sock = self.channel.socket
            if sock is not None:
                with contextlib.suppress(OSError):
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))


class _Channel(HTTPChannel):
    task_class = _ResettingTask


def _truncated() -> Iterator[bytes]:
    yield b'{"id": '


class EmulatorServer:
    """A waitress server bound to host:port; port 0 picks a free one (see `port`)."""

    def __init__(
        self,
        config: EmulatorConfig | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        threads: int = 8,
        clock: Callable[[], float] = time.time,
    ) -> None:
        logging.getLogger("waitress").setLevel(logging.ERROR)
        self.app = EmulatorApp(config, clock=clock)
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()
        self._closed = threading.Event()
        self._server = create_server(
            _DroppingApp(self.app),
            host=host,
            port=port,
            threads=threads,
            ident="reconciler-emulator",
        )
        cast(Any, self._server).channel_class = _Channel
        # waitress keeps its channels in a per-server socket map; shutdown must close them all.
        self._socket_map: dict[int, Any] = cast(Any, self._server)._map
        self.host = host
        self.port = int(getattr(self._server, "effective_port", port))

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}/v1"

    def serve_forever(self) -> None:
        """Serve until `close()` (from another thread) or KeyboardInterrupt, then release the sockets.

        Our own loop instead of waitress's `run()`: closing sockets from another thread while select()
        waits on them fails with EBADF, so the serving thread polls a stop flag and closes them itself.
        """
        try:
            while not self._stopping.is_set():
                wasyncore.loop(timeout=0.05, map=self._socket_map, count=1)
        finally:
            self._server.task_dispatcher.shutdown()
            self._server.close()
            wasyncore.close_all(self._socket_map)
            self._closed.set()

    def start(self) -> EmulatorServer:
        """Serve in a daemon thread (tests, benchmarks); `close()` stops it."""
        self._thread = threading.Thread(target=self.serve_forever, name="emulator-server", daemon=True)
        self._thread.start()
        return self

    def close(self) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout=5.0)
        elif not self._closed.is_set():
            # Never served: nothing else will release the listening socket.
            self._server.close()
            wasyncore.close_all(self._socket_map)
        self.app.close()
