"""reconciler: GitOps for OpenAI agents. Validate, plan and apply assistants, tools, vector stores and
spend controls described in YAML, with immutable versions and rollback.

The public API is what `__all__` names; `tests/unit/test_public_api.py` pins it.
"""

from __future__ import annotations

from reconciler.errors import (
    ConfigError,
    ExitCode,
    LockHeld,
    ManifestError,
    PermanentPlatformError,
    PlatformError,
    Problem,
    ReconcilerError,
    StalePlan,
    StateError,
    TemporaryPlatformError,
    UserError,
)

__version__ = "0.1.0"

__all__ = [
    "ConfigError",
    "ExitCode",
    "LockHeld",
    "ManifestError",
    "PermanentPlatformError",
    "PlatformError",
    "Problem",
    "ReconcilerError",
    "StalePlan",
    "StateError",
    "TemporaryPlatformError",
    "UserError",
    "__version__",
]
