"""Imports every command module so that each registers itself on the `cli` group."""

from __future__ import annotations

from reconciler.cli import emulator as _emulator  # noqa: F401
from reconciler.cli import plan as _plan  # noqa: F401
from reconciler.cli import releases as _releases  # noqa: F401
from reconciler.cli import schema as _schema  # noqa: F401
from reconciler.cli import validate as _validate  # noqa: F401
