"""Project settings: targets, state DSN and retry numbers from `reconcile.yaml`, secrets from the environment.

Secrets are never values in a file: a target names the *environment variables* that hold its keys.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from reconciler.errors import AuthenticationFailed, ConfigError

PROJECT_FILE = "reconcile.yaml"
STATE_DIR = ".reconcile"
LOCAL_API_KEY = "sk-local-emulator"  # the embedded emulator accepts any bearer key; this is not a secret


class _Settings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)


class TargetConfig(_Settings):
    """Where to reconcile. `local` is the embedded emulator; `openai` is any Assistants-v2 base URL."""

    type: Literal["local", "openai"] = "local"
    base_url: str | None = Field(default=None, alias="baseURL")
    api_key_env: str = Field(default="OPENAI_API_KEY", alias="apiKeyEnv", pattern=r"^[A-Z_][A-Z0-9_]*$")
    admin_key_env: str = Field(default="OPENAI_ADMIN_KEY", alias="adminKeyEnv", pattern=r"^[A-Z_][A-Z0-9_]*$")
    project_id: str = Field(default="proj_local", alias="projectId")
    platform_db: str = Field(default=f"{STATE_DIR}/local-platform.db", alias="platformDB")


class RetrySettings(_Settings):
    max_attempts: int = Field(default=8, ge=1, le=50, alias="maxAttempts")
    base_delay_seconds: float = Field(default=0.25, gt=0, alias="baseDelaySeconds")
    max_delay_seconds: float = Field(default=30.0, gt=0, alias="maxDelaySeconds")
    deadline_seconds: float = Field(default=600.0, gt=0, alias="deadlineSeconds")
    admin_requests_per_minute: int = Field(default=10, ge=1, alias="adminRequestsPerMinute")
    concurrency: int = Field(default=8, ge=1, le=64)


class ProjectConfig(_Settings):
    """The parsed project file. `root` is the directory holding `reconcile.yaml`."""

    root: Path = Path(".")
    # `metadata.name` of the project file: with the target it names the owner in our ownership labels.
    name: str = ""
    targets: dict[str, TargetConfig] = Field(default_factory=lambda: {"local": TargetConfig()})
    default_target: str = Field(default="local", alias="defaultTarget")
    state: str = f"sqlite:///{STATE_DIR}/state.db"
    retry: RetrySettings = RetrySettings()
    manifests: str = "."  # where manifests live, relative to root; `reconcile validate ROOT` reads this

    def target(self, name: str | None = None) -> tuple[str, TargetConfig]:
        chosen = name or self.default_target
        if chosen not in self.targets:
            known = ", ".join(sorted(self.targets)) or "none"
            raise ConfigError(f"unknown target {chosen!r} (known: {known})")
        return chosen, self.targets[chosen]

    @property
    def project_name(self) -> str:
        """The project's name; without a project file, its directory's."""
        return self.name or self.root.resolve().name or "project"

    def state_dsn(self) -> str:
        """The state DSN with a relative SQLite path made absolute against the project root."""
        prefix = "sqlite:///"
        if self.state.startswith(prefix):
            path = Path(self.state[len(prefix) :])
            if not path.is_absolute():
                path = self.root / path
            return prefix + str(path)
        return self.state

    def resolve(self, relative: str) -> Path:
        path = Path(relative)
        return path if path.is_absolute() else self.root / path


def secret_from_env(variable: str, *, what: str, env: Mapping[str, str] | None = None) -> str:
    """Read a key from the environment. The error names the variable, never a value."""
    value = (os.environ if env is None else env).get(variable, "")
    if not value.strip():
        raise AuthenticationFailed(f"{what} is not set: export {variable}")
    return value.strip()
