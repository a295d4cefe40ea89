"""In-process transport: hands the SDK's requests straight to the WSGI app, no sockets.

A dropped connection (fault injection) surfaces as httpx2's RemoteProtocolError, exactly what the SDK
sees when a real server closes the socket mid-response.
"""

from __future__ import annotations

import httpx2

from reconciler.emulator.app import EmulatorApp
from reconciler.emulator.faults import ConnectionDropped


class EmulatorTransport(httpx2.WSGITransport):
    def __init__(self, app: EmulatorApp) -> None:
        super().__init__(app=app)
        self.emulator = app

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        try:
            return super().handle_request(request)
        except ConnectionDropped:
            raise httpx2.RemoteProtocolError(
                "Server disconnected without sending a response.", request=request
            ) from None


def http_client(app: EmulatorApp, *, timeout: float = 30.0) -> httpx2.Client:
    """An httpx2 client for `openai.OpenAI(http_client=...)` with the app as its only server."""
    return httpx2.Client(transport=EmulatorTransport(app), timeout=timeout)
