"""Each fault mode as the SDK sees it: 429s with and without headers, 5xx, resets, lost responses, latency."""

from __future__ import annotations

import socket
import time

import openai
import pytest

from reconciler.emulator import EmulatorConfig, FaultConfig
from reconciler.emulator.faults import FaultInjector, Outcome
from reconciler.emulator.server import EmulatorServer
from tests.contract.emulator.conftest import ClientFactory

pytestmark = pytest.mark.filterwarnings("ignore:deprecated:DeprecationWarning")
CHANNEL = {"type": "email", "recipients": ["ops@example.com"]}


def _faulty(make_client: ClientFactory, **faults: object) -> openai.OpenAI:
    return make_client(EmulatorConfig(faults=FaultConfig(**faults)))  # type: ignore[arg-type]


def test_rate_limit_is_a_429_with_retry_after_and_ratelimit_headers(make_client: ClientFactory) -> None:
    client = _faulty(make_client, rpm=2)
    ok = client.beta.assistants.with_raw_response.list()
    assert ok.headers["x-ratelimit-limit-requests"] == "2"
    assert ok.headers["x-ratelimit-remaining-requests"] == "1"
    client.beta.assistants.list()
    with pytest.raises(openai.RateLimitError) as caught:
        client.beta.assistants.list()
    headers = caught.value.response.headers
    assert 1 <= int(headers["retry-after"]) <= 60
    assert headers["x-ratelimit-remaining-requests"] == "0"
    assert headers["x-ratelimit-reset-requests"].endswith("s")
    # Another route group has its own window.
    assert client.files.list().data == []


def test_admin_rate_limit_sends_no_headers(make_client: ClientFactory) -> None:
    client = _faulty(make_client, admin_rpm=2)
    for _ in range(2):
        client.admin.organization.spend_alerts.list()
    with pytest.raises(openai.RateLimitError) as caught:
        client.admin.organization.spend_alerts.list()
    names = {name.lower() for name in caught.value.response.headers}
    assert "retry-after" not in names
    assert not [name for name in names if name.startswith("x-ratelimit")]


def test_server_errors_are_500_or_503(make_client: ClientFactory) -> None:
    client = _faulty(make_client, error_rate=1.0, seed=3)
    statuses = set()
    for _ in range(12):
        with pytest.raises(openai.InternalServerError) as caught:
            client.beta.assistants.list()
        statuses.add(caught.value.status_code)
    assert statuses == {500, 503}


def test_the_sdk_retries_server_errors(make_client: ClientFactory) -> None:
    client = make_client(EmulatorConfig(faults=FaultConfig(error_rate=1.0)), max_retries=1)
    app = make_client.app_of(client)
    with pytest.raises(openai.InternalServerError):
        client.beta.assistants.list()
    assert app.requests_served == 2  # the first try and one retry


def test_reset_is_a_connection_error_and_nothing_is_written(make_client: ClientFactory) -> None:
    client = _faulty(make_client, reset_rate=1.0, writes_only=True)
    with pytest.raises(openai.APIConnectionError):
        client.beta.assistants.create(model="gpt-4o")
    assert client.beta.assistants.list().data == []


def test_lost_response_is_a_connection_error_but_the_write_happened(make_client: ClientFactory) -> None:
    client = _faulty(make_client, lost_rate=1.0, writes_only=True)
    with pytest.raises(openai.APIConnectionError):
        client.beta.assistants.create(model="gpt-4o", name="ghost")
    assert [a.name for a in client.beta.assistants.list()] == ["ghost"]


def test_faults_can_be_limited_to_route_groups(make_client: ClientFactory) -> None:
    client = _faulty(make_client, error_rate=1.0, only=("files",))
    assert client.beta.assistants.list().data == []
    with pytest.raises(openai.InternalServerError):
        client.files.list()


def test_latency_delays_each_request(make_client: ClientFactory) -> None:
    client = _faulty(make_client, latency_ms=60)
    started = time.perf_counter()
    client.beta.assistants.list()
    assert time.perf_counter() - started >= 0.06


def test_jitter_stays_within_bounds_and_varies() -> None:
    slept: list[float] = []
    injector = FaultInjector(FaultConfig(seed=1, latency_ms=100, jitter_ms=40), sleep=slept.append)
    for _ in range(50):
        injector.delay()
    assert all(0.06 <= s <= 0.14 for s in slept)
    assert len(set(slept)) > 40


def test_same_seed_same_faults() -> None:
    config = FaultConfig(seed=42, error_rate=0.2, reset_rate=0.2, lost_rate=0.2)

    def sequence(cfg: FaultConfig) -> list[Outcome]:
        injector = FaultInjector(cfg)
        return [injector.draw("assistants", "POST") for _ in range(200)]

    first = sequence(config)
    assert first == sequence(config)
    assert set(first) == {Outcome.OK, Outcome.SERVER_ERROR, Outcome.RESET, Outcome.LOST}
    assert first != sequence(FaultConfig(seed=43, error_rate=0.2, reset_rate=0.2, lost_rate=0.2))


def test_fault_string_parses_every_option() -> None:
    parsed = FaultConfig.parse(
        "seed=7,latency_ms=50,jitter_ms=10,error_rate=0.1,reset_rate=0.05,lost_rate=0.05,"
        "rpm=600,admin_rpm=10,only=assistants;files,writes_only=true"
    )
    assert parsed == FaultConfig(
        seed=7,
        latency_ms=50,
        jitter_ms=10,
        error_rate=0.1,
        reset_rate=0.05,
        lost_rate=0.05,
        rpm=600,
        admin_rpm=10,
        only=("assistants", "files"),
        writes_only=True,
    )
    with pytest.raises(ValueError, match="unknown fault option"):
        FaultConfig.parse("nonsense=1")


def _raw_exchange(port: int) -> bytes:
    """One request over a plain socket; everything the server sent before closing (a reset ends it too)."""
    received = b""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(b"GET /v1/assistants HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer sk-x\r\n\r\n")
        try:
            while chunk := sock.recv(65536):
                received += chunk
        except ConnectionResetError:
            pass
    return received


@pytest.mark.server
def test_a_reset_closes_the_socket_before_any_status_line() -> None:
    server = EmulatorServer(EmulatorConfig(faults=FaultConfig(reset_rate=1.0))).start()
    try:
        received = _raw_exchange(server.port)
    finally:
        server.close()
    # Not `200 OK` headers and a cut body: that is what a lost response looks like (below).
    assert received == b""


@pytest.mark.server
def test_a_lost_response_sends_its_status_then_dies_mid_body() -> None:
    server = EmulatorServer(EmulatorConfig(faults=FaultConfig(lost_rate=1.0))).start()
    try:
        received = _raw_exchange(server.port)
    finally:
        server.close()
    head, _, body = received.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200 OK")
    declared = int(
        next(
            line.split(b":")[1] for line in head.split(b"\r\n") if line.lower().startswith(b"content-length")
        )
    )
    assert len(body) < declared
