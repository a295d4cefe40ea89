"""The one error tree of reconciler, and the exit codes the CLI maps it to.

```
ReconcilerError
├── UserError                      exit 1; the user can fix it by editing input
│   ├── ManifestError              every Problem found, each with file:line:col
│   ├── ConfigError                reconcile.yaml or environment (e.g. a missing API key variable)
│   │   └── ProjectNotFound        no reconcile.yaml at or above the directory
│   ├── PlanRejected               a policy refused the plan (compatibility, protect, empty plan)
│   ├── StalePlan                  a saved plan no longer matches the platform
│   └── PlanFileError              a saved plan is unreadable, or its content does not hash to its id
├── PlatformError                  something the platform said or failed to say
│   ├── TemporaryPlatformError     retry with backoff; honour retry_after
│   │   └── RateLimited
│   └── PermanentPlatformError     retrying will not help
│       ├── AuthenticationFailed
│       └── NotFound
└── StateError                     the state store
    ├── LockHeld                   another apply holds the lease
    └── LeaseLost                  this apply's lease was taken over, removed or let expire: it stops
```

Messages never contain secrets: platform errors are built from status codes and the platform's own
error message (redacted, `reconciler.redact`), never from request headers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum, StrEnum


class ExitCode(IntEnum):
    """Exit codes documented in the README (Terraform's convention for plan's --detailed-exitcode)."""

    OK = 0
    ERROR = 1
    CHANGES = 2


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, order=True)
class Location:
    """A place in a manifest. Line and column are 1-based, as editors show them."""

    file: str
    line: int = 0
    column: int = 0

    def __str__(self) -> str:
        if self.line <= 0:
            return self.file
        return f"{self.file}:{self.line}:{self.column}"


@dataclass(frozen=True)
class Problem:
    """One finding of validation or lint. `code` is a stable rule id (e.g. `ref.dangling`)."""

    location: Location
    code: str
    message: str
    severity: Severity = Severity.ERROR

    def __str__(self) -> str:
        return f"{self.location}: {self.severity.value}: {self.message} [{self.code}]"


class ReconcilerError(Exception):
    """Root of every error reconciler raises on purpose."""

    exit_code: ExitCode = ExitCode.ERROR

    def one_line(self) -> str:
        """What the CLI prints: a single line, no traceback, and no Python class name (the user reads the
        message; the exit code and `--debug` tell the kind)."""
        return " ".join(str(self).split())

    def details(self) -> list[str]:
        """Lines the CLI prints before `one_line` (one per problem, where there are several)."""
        return []


class UserError(ReconcilerError):
    """Bad input the user can correct."""


@dataclass
class ManifestError(UserError):
    """Validation failed. Carries every problem found, not only the first."""

    problems: list[Problem] = field(default_factory=list)

    def __post_init__(self) -> None:
        super().__init__(self.__str__())

    def __str__(self) -> str:
        errors = [p for p in self.problems if p.severity is Severity.ERROR]
        if len(errors) == 1:
            return str(errors[0])
        return f"{len(errors)} problems in manifests"

    def details(self) -> list[str]:
        errors = [p for p in self.problems if p.severity is Severity.ERROR]
        return [str(p) for p in errors] if len(errors) > 1 else []


class ConfigError(UserError):
    """reconcile.yaml or the environment is wrong."""


class ProjectNotFound(ConfigError):
    """No reconcile.yaml in the directory or above it: there is no project to work on (and no state
    store is created in a directory that is not one)."""


class PlanRejected(UserError):
    """A policy refused the plan (compatibility verdict, protected resource, plan deleting everything)."""


class StalePlan(UserError):
    """A saved plan touches objects that changed since it was made."""


class PlanFileError(UserError):
    """A saved plan cannot be read as a plan, or was edited after it was saved (its content no longer
    hashes to its `plan_id`): it is refused whole, before anything is sent."""


class PlatformError(ReconcilerError):
    """The platform failed a request. `status` is the HTTP status when there was a response."""

    def __init__(self, message: str, *, status: int | None = None, request_id: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.request_id = request_id


class TemporaryPlatformError(PlatformError):
    """Worth retrying: 408/409/429/5xx, timeouts, connection resets."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        request_id: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message, status=status, request_id=request_id)
        self.retry_after = retry_after


class RateLimited(TemporaryPlatformError):
    """429. `retry_after` holds the platform's Retry-After in seconds when it sent one."""


class PermanentPlatformError(PlatformError):
    """Retrying will not help: 400, 403, 404, 422 ..."""


class AuthenticationFailed(PermanentPlatformError):
    """401, or no API key in the environment variable the target names."""


class NotFound(PermanentPlatformError):
    """404."""


class StateError(ReconcilerError):
    """The state store failed or holds something unexpected."""


class LockHeld(StateError):
    """Another apply holds the state lock."""

    def __init__(self, message: str, *, holder: str, lock_id: str) -> None:
        super().__init__(message)
        self.holder = holder
        self.lock_id = lock_id


class LeaseLost(StateError):
    """The apply no longer holds its state lease (another apply took it over, `state unlock` removed it,
    or it expired without a renewal): it stops before its next platform call or store write."""
