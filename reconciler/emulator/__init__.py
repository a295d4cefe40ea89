"""A local OpenAI-compatible platform (WSGI app + SQLite), faithful to OpenAI's published spec.

Imports nothing from `reconciler`. Run it in-process (`transport.http_client(EmulatorApp())` handed to
`openai.OpenAI(http_client=...)`) or as a real server (`reconcile emulator serve`, `server.make_server`).

The names below load on first use: `reconcile --help` reads `emulator.config` for the `serve` options and
must not pay for werkzeug, which the app pulls in.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from reconciler.emulator.app import EmulatorApp
    from reconciler.emulator.config import EmulatorConfig
    from reconciler.emulator.faults import FaultConfig

__all__ = ["EmulatorApp", "EmulatorConfig", "FaultConfig"]

_HOMES = {
    "EmulatorApp": "reconciler.emulator.app",
    "EmulatorConfig": "reconciler.emulator.config",
    "FaultConfig": "reconciler.emulator.faults",
}


def __getattr__(name: str) -> object:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(home), name)
