"""Fixtures of the emulator contract suite: the spec, and SDK clients whose every exchange is validated.

`client` runs each test twice: against the app in-process and against a real waitress server on
127.0.0.1. Every request and response passes through `ValidatingTransport`; violations are collected and
fail the test at teardown (raising inside the transport would reach the SDK as APIConnectionError and be
mistaken for a fault).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx2
import openai
import pytest
import yaml
from openapi_core import OpenAPI

from reconciler.emulator import EmulatorApp, EmulatorConfig
from reconciler.emulator.openapi import SPEC_FILE
from reconciler.emulator.server import EmulatorServer
from reconciler.emulator.transport import EmulatorTransport
from tests.contract.emulator.spec_check import SpecChecker

SPEC_NAME = SPEC_FILE.name
LOOPBACK_SERVER = {"url": "http://127.0.0.1:{port}/v1", "variables": {"port": {"default": "80"}}}
API_KEY = "sk-test"
ADMIN_KEY = "sk-admin-test"


def spec_path() -> Path:
    """The vendored spec the emulator validates with; `RECONCILER_OPENAPI_SPEC` checks against another."""
    override = os.environ.get("RECONCILER_OPENAPI_SPEC")
    if override:
        path = Path(override)
        return path / SPEC_NAME if path.is_dir() else path
    return SPEC_FILE


@pytest.fixture(scope="session")
def spec_checker() -> SpecChecker:
    path = spec_path()
    if not path.is_file():
        message = f"OpenAPI spec not found at {path} (RECONCILER_OPENAPI_SPEC names a missing file)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    with path.open() as handle:
        raw = yaml.load(handle, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    raw["servers"] = [*raw.get("servers", []), LOOPBACK_SERVER]
    return SpecChecker(OpenAPI.from_dict(raw), raw)


@pytest.fixture(scope="session")
def spec(spec_checker: SpecChecker) -> OpenAPI:
    """The loaded openapi-core `OpenAPI` object, with a loopback server entry (loaded once per session)."""
    return spec_checker.api


class FakeClock:
    """A settable clock for the app (`EmulatorApp(clock=...)`): time moves only when a test says so."""

    def __init__(self, start: float | None = None) -> None:
        self.now = float(int(time.time()) if start is None else start)

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class ValidatingTransport(httpx2.BaseTransport):
    """Wraps the real transport; checks each exchange against the spec and records violations."""

    def __init__(self, inner: httpx2.BaseTransport, checker: SpecChecker, violations: list[str]) -> None:
        self.inner = inner
        self.checker = checker
        self.violations = violations
        self.exchanges = 0

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        request.read()
        try:
            response = self.inner.handle_request(request)
        except httpx2.TransportError:
            self.violations += self.checker.check(request, None)
            raise
        response.read()
        self.exchanges += 1
        self.violations += self.checker.check(request, response)
        return response

    def close(self) -> None:
        self.inner.close()


class ClientFactory:
    """`make_client(config)`: a validated SDK client against a fresh emulator in the current mode."""

    def __init__(self, mode: str, checker: SpecChecker, clock: FakeClock) -> None:
        self.mode = mode
        self.checker = checker
        self.clock = clock
        self.violations: list[str] = []
        self.apps: dict[int, EmulatorApp] = {}
        self._cleanup: list[Callable[[], None]] = []

    def __call__(
        self,
        config: EmulatorConfig | None = None,
        *,
        api_key: str = API_KEY,
        admin_api_key: str | None = ADMIN_KEY,
        max_retries: int = 0,
        app: EmulatorApp | None = None,
        validate: bool = True,
    ) -> openai.OpenAI:
        """A client; pass `app` to get a second client (other keys) against the same emulator.

        `validate=False` only for seeding bulk data whose shape other tests already validate.
        """
        base_url, inner = self._target(config or EmulatorConfig(), app)
        transport = ValidatingTransport(inner, self.checker, self.violations) if validate else inner
        http = httpx2.Client(transport=transport, timeout=10.0)
        client = openai.OpenAI(
            api_key=api_key,
            admin_api_key=admin_api_key,
            base_url=base_url,
            http_client=http,
            max_retries=max_retries,
        )
        self.apps[id(client)] = self._last_app
        self._cleanup.append(http.close)
        return client

    def _target(self, config: EmulatorConfig, app: EmulatorApp | None) -> tuple[str, httpx2.BaseTransport]:
        if app is not None:
            self._last_app = app
            server = getattr(app, "_test_server", None)
            if server is not None:
                return server.base_url, httpx2.HTTPTransport()
            return "http://127.0.0.1/v1", EmulatorTransport(app)
        if self.mode == "inprocess":
            self._last_app = EmulatorApp(config, clock=self.clock)
            self._cleanup.append(self._last_app.close)
            return "http://127.0.0.1/v1", EmulatorTransport(self._last_app)
        server = EmulatorServer(config, clock=self.clock).start()
        self._last_app = server.app
        server.app._test_server = server  # type: ignore[attr-defined]
        self._cleanup.append(server.close)
        return server.base_url, httpx2.HTTPTransport()

    def app_of(self, client: openai.OpenAI) -> EmulatorApp:
        return self.apps[id(client)]

    def close(self) -> None:
        for step in reversed(self._cleanup):
            step()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture(params=["inprocess", pytest.param("server", marks=pytest.mark.server)])
def mode(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def make_client(mode: str, spec_checker: SpecChecker, clock: FakeClock) -> Iterator[ClientFactory]:
    factory = ClientFactory(mode, spec_checker, clock)
    yield factory
    factory.close()
    if factory.violations:
        pytest.fail(
            "spec violations:\n" + "\n".join(f"  - {v}" for v in dict.fromkeys(factory.violations)),
            pytrace=False,
        )


@pytest.fixture
def client(make_client: ClientFactory) -> openai.OpenAI:
    return make_client(EmulatorConfig())


@pytest.fixture
def app(client: openai.OpenAI, make_client: ClientFactory) -> EmulatorApp:
    """The EmulatorApp behind `client` (its clock is the `clock` fixture)."""
    return make_client.app_of(client)


def raw_json(response: Any) -> Any:
    """The JSON body of a `with_raw_response` call, for keys the SDK's models would default."""
    return response.http_response.json()
