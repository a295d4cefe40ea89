"""A local OpenAI-compatible platform (WSGI app + SQLite), faithful to OpenAI's published spec.

Imports nothing from `reconciler`. Run it in-process (`transport.http_client(EmulatorApp())` handed to
`openai.OpenAI(http_client=...)`) or as a real server (`reconcile emulator serve`, `server.make_server`).
"""

from __future__ import annotations

from reconciler.emulator.app import EmulatorApp
from reconciler.emulator.config import EmulatorConfig
from reconciler.emulator.faults import FaultConfig

__all__ = ["EmulatorApp", "EmulatorConfig", "FaultConfig"]
