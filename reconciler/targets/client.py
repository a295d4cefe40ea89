"""Builds the `openai` SDK client for a target: the embedded emulator in-process, or a base URL.

The SDK's own retries are off: the executor owns retries, so a lost response is re-read by label before
anything is sent twice. A request hook counts requests for the benchmarks.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from pathlib import Path

import httpx2
import openai

from reconciler.config import LOCAL_API_KEY, TargetConfig, secret_from_env
from reconciler.errors import AuthenticationFailed, ConfigError
from reconciler.targets.base import RequestStats

# The SDK marks the Assistants v2 surface deprecated (the API was sunset on 2026-08-26); the warning is
# about the platform we emulate, not about our code, so this adapter's calls do not repeat it.
warnings.filterwarnings(
    "ignore", message=r".*\bdeprecated\b", category=DeprecationWarning, module=r"reconciler\.targets"
)

TIMEOUT_SECONDS = 60.0

# The transport seam (httpx-style): tests hand in the emulator's in-process transport.
Transport = httpx2.BaseTransport


def _counting_hook(stats: RequestStats) -> Callable[[httpx2.Request], None]:
    def hook(request: httpx2.Request) -> None:
        stats.count(request.method, request.url.path)

    return hook


# The project key of a client that makes Admin API calls alone: never sent (admin calls carry the admin
# key), and not shaped like a key, so nothing mistakes it for one.
ADMIN_ONLY = "admin-calls-only"


def build_client(
    config: TargetConfig,
    *,
    root: Path,
    stats: RequestStats,
    transport: Transport | None = None,
    admin_only: bool = False,
) -> openai.OpenAI:
    """A client for the target. `transport` overrides the network (tests hand in an emulator transport).
    `admin_only`: the caller makes Admin API calls alone (`reconcile costs`), so the admin key is the one
    required and the project key may be missing (the SDK then holds a placeholder it never sends)."""
    hooks = {"request": [_counting_hook(stats)]}
    if config.type == "local" and transport is None:
        from reconciler.emulator import EmulatorApp, EmulatorConfig
        from reconciler.emulator.transport import EmulatorTransport

        db = root / config.platform_db
        db.parent.mkdir(parents=True, exist_ok=True)
        try:
            settings = EmulatorConfig.from_env(db_path=str(db))
        except ValueError as exc:  # a malformed EMULATOR_* variable
            raise ConfigError(f"the local platform's settings: {exc}") from None
        transport = EmulatorTransport(EmulatorApp(settings))
    local = config.type == "local"
    base_url = "http://127.0.0.1/v1" if local else config.base_url or "https://api.openai.com/v1"
    if local:
        api_key, admin_key = LOCAL_API_KEY, LOCAL_API_KEY
    elif admin_only:
        admin_key = secret_from_env(config.admin_key_env, what="the target's admin key")
        try:
            api_key = secret_from_env(config.api_key_env, what="the target's API key")
        except AuthenticationFailed:
            api_key = ADMIN_ONLY
    else:
        api_key = secret_from_env(config.api_key_env, what="the target's API key")
        # The admin key is needed only for spend controls; a missing one fails those calls, not the plan.
        try:
            admin_key = secret_from_env(config.admin_key_env, what="the target's admin key")
        except AuthenticationFailed:
            admin_key = ""
    http_client = httpx2.Client(transport=transport, timeout=TIMEOUT_SECONDS, event_hooks=hooks)
    try:
        return openai.OpenAI(
            api_key=api_key,
            admin_api_key=admin_key or None,
            base_url=base_url,
            max_retries=0,
            http_client=http_client,
            timeout=TIMEOUT_SECONDS,
        )
    except httpx2.InvalidURL as error:  # config checks the URL when it is read; this is the client's word
        http_client.close()
        raise ConfigError(f"the target's baseURL is not a valid URL: {error}") from None
