"""Project settings: targets, state DSN, retry numbers and conversation settings from `reconcile.yaml`,
secrets from the environment.

Secrets are never values in a file: a target names the *environment variables* that hold its keys. A key
read from one is registered with `reconciler.redact` before anything else happens to it, and refused when
it holds a character no HTTP header may carry. URLs and DSNs are checked when the file is read, so a bad
one is an error at its line rather than a failure deep inside the HTTP or database client.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import unquote, urlsplit

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    WithJsonSchema,
    model_validator,
)

from reconciler import redact, words
from reconciler.errors import AuthenticationFailed, ConfigError

PROJECT_FILE = "reconcile.yaml"
STATE_DIR = ".reconcile"
LOCAL_API_KEY = "sk-local-emulator"  # the embedded emulator accepts any bearer key; this is not a secret


_POSTGRES_SCHEMES = ("postgresql://", "postgres://")
# A key is a bearer token in an HTTP header: printable ASCII, no spaces (RFC 9110 token68 and then some).
_KEY_CHARS = re.compile(r"[\x21-\x7e]+")


def check_base_url(value: str | None) -> str | None:
    """An http(s) URL with a host and, if any, a numeric port; the HTTP client would fail on anything else
    at the first request, with an error that does not say which setting was wrong."""
    if value is None:
        return None
    if not value.isprintable() or any(ch.isspace() for ch in value):
        raise ValueError("must be a URL without spaces or control characters")
    try:
        parts = urlsplit(value)
        port = parts.port  # parsed lazily: an invalid port raises only here
    except ValueError as error:
        raise ValueError(f"not a valid URL ({error})") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("must be an http:// or https:// URL with a host, e.g. https://api.openai.com/v1")
    if port == 0:
        raise ValueError("port 0 is not a port a server listens on")
    return value


def check_state_dsn(value: str) -> str:
    """A DSN the state store can open. Messages never quote it: it may hold a password."""
    if "\x00" in value:
        raise ValueError("must not contain a NUL character")
    if not value.startswith((*_POSTGRES_SCHEMES, "sqlite://")):
        scheme = value.split("://", 1)[0] if "://" in value else "(none)"
        # The scheme only: the rest may hold a password.
        raise ValueError(
            f"unsupported scheme {scheme!r}: use sqlite:///PATH or postgresql://USER@HOST:PORT/DB"
        )
    if value.startswith(_POSTGRES_SCHEMES):
        try:
            parts = urlsplit(value)
        except ValueError as error:
            raise ValueError(f"not a valid PostgreSQL URL ({error})") from None
        for piece in (parts.netloc, parts.path, parts.query):
            try:
                unquote(piece, errors="strict")
            except UnicodeDecodeError:
                raise ValueError(
                    "a %-escape in the PostgreSQL URL (user, password, host, database or options) is not "
                    "UTF-8 once decoded; percent-encode the UTF-8 bytes of each character"
                ) from None
    return value


StateDSN = Annotated[str, AfterValidator(check_state_dsn)]


class _Settings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)


class TargetConfig(_Settings):
    """Where to reconcile. `local` is the embedded emulator; `openai` is OpenAI or any compatible base URL.

    `api` is the platform's flavour: `responses` (what OpenAI serves today: assistant versions are release
    bundles in the state store) or `assistants-v2` (servers that still speak it: versions are platform
    assistants). Both types take both, so a project can rehearse either flavour on the local platform.

    `materialize: agents` (Responses era only) also creates one platform agent (the beta Agents API) per
    new assistant version, labelled with the version and never updated, so the versions show in OpenAI's
    dashboard; gc and destroy delete it with its version. `none` (the default) sends nothing."""

    type: Literal["local", "openai"] = "local"
    api: Literal["responses", "assistants-v2"] = "responses"
    materialize: Literal["none", "agents"] = "none"
    base_url: Annotated[str | None, AfterValidator(check_base_url)] = Field(default=None, alias="baseURL")
    api_key_env: str = Field(default="OPENAI_API_KEY", alias="apiKeyEnv", pattern=r"^[A-Z_][A-Z0-9_]*$")
    admin_key_env: str = Field(default="OPENAI_ADMIN_KEY", alias="adminKeyEnv", pattern=r"^[A-Z_][A-Z0-9_]*$")
    project_id: str = Field(default="proj_local", alias="projectId")
    platform_db: str = Field(default=f"{STATE_DIR}/local-platform.db", alias="platformDB")

    @model_validator(mode="after")
    def _materialize_needs_bundles(self) -> TargetConfig:
        # On Assistants v2 a version already is a platform object; an agent beside it would be a second
        # copy of every version that nothing reads.
        if self.materialize == "agents" and self.api != "responses":
            raise ValueError(
                "materialize: agents needs api: responses (on assistants-v2 every version already is a "
                "platform assistant); remove materialize or set api: responses"
            )
        return self


class RetrySettings(_Settings):
    max_attempts: int = Field(default=8, ge=1, le=50, alias="maxAttempts")
    base_delay_seconds: float = Field(default=0.25, gt=0, alias="baseDelaySeconds")
    max_delay_seconds: float = Field(default=30.0, gt=0, alias="maxDelaySeconds")
    deadline_seconds: float = Field(default=600.0, gt=0, alias="deadlineSeconds")
    admin_requests_per_minute: int = Field(default=10, ge=1, alias="adminRequestsPerMinute")
    concurrency: int = Field(default=8, ge=1, le=64)


# A duration as the project file writes one. The manifest's rollout durations (`manifest.rollout_specs`)
# have the same shape, but manifest sits above config, so the few lines are repeated here.
DURATION_PATTERN = r"^[1-9][0-9]*[smhd]$"
_UNITS = {"s": 1, "m": 60, "h": 3_600, "d": 86_400}


def parse_duration(value: object) -> float:
    """`30d`, `12h`, `90m`, `3600s` in seconds; anything else (a bare number included: seconds or days?)
    is refused with what a duration is."""
    if isinstance(value, str) and re.fullmatch(DURATION_PATTERN, value.strip()):
        text = value.strip()
        return float(int(text[:-1]) * _UNITS[text[-1]])
    raise ValueError(f"{value!r} is not a duration: a whole number and s, m, h or d (30d, 12h, 90m, 3600s)")


Duration = Annotated[
    float,
    BeforeValidator(parse_duration),
    PlainSerializer(words.duration, return_type=str),
    WithJsonSchema({"type": "string", "pattern": DURATION_PATTERN}),
]


class ConversationSettings(_Settings):
    """`spec.conversations`: how long a conversation counts as live after it was last seen (`retention`:
    gc keeps the versions live conversations are pinned to, and a new version's compatibility is judged
    against each of them), and the requests per minute the conversation migration engine may send."""

    retention_seconds: Duration = Field(
        default=30 * 86_400.0, alias="retention", json_schema_extra={"default": "30d"}
    )
    requests_per_minute: int = Field(default=500, ge=1, alias="requestsPerMinute")


class ProjectConfig(_Settings):
    """The parsed project file. `root` is the directory holding `reconcile.yaml`."""

    root: Path = Path(".")
    # `metadata.name` of the project file: with the target it names the owner in our ownership labels.
    name: str = ""
    targets: dict[str, TargetConfig] = Field(default_factory=lambda: {"local": TargetConfig()})
    default_target: str = Field(default="local", alias="defaultTarget")
    state: StateDSN = f"sqlite:///{STATE_DIR}/state.db"
    retry: RetrySettings = RetrySettings()
    conversations: ConversationSettings = ConversationSettings()
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

    def resolve(self, relative: str) -> Path:
        path = Path(relative)
        return path if path.is_absolute() else self.root / path


def secret_from_env(variable: str, *, what: str, env: Mapping[str, str] | None = None) -> str:
    """Read a key from the environment and register it for redaction. Errors name the variable, never a
    value: a missing key is AuthenticationFailed, a key with a control, space or non-ASCII character (a
    pasted line break, say) a ConfigError, raised before the key is sent anywhere."""
    value = (os.environ if env is None else env).get(variable, "")
    if value:
        redact.register(value)
    key = value.strip()
    if not key:
        raise AuthenticationFailed(f"{what} is not set: export {variable}")
    if not _KEY_CHARS.fullmatch(key):
        raise ConfigError(
            f"{what} in {variable} contains a control character, a space or a non-ASCII character; "
            f"set {variable} to the key alone"
        )
    return key
