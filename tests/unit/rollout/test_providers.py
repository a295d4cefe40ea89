"""Measurement providers (rollout.providers): the builtin metrics over telemetry, and the webhook over
HTTP on 127.0.0.1 (a number, a path into JSON, and every way it can fail, without a traceback)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from reconciler.model.rollouts import BuiltinMetric, BuiltinProvider, TelemetryCounts, WebhookProvider
from reconciler.rollout.providers import MeasureError, Window, builtin_value, fill_args, webhook_value


class Telemetry:
    """A StateReader with only `telemetry`, answering per version."""

    def __init__(self, by_version: dict[int, TelemetryCounts]) -> None:
        self.by_version = by_version
        self.asked: list[tuple[int, float, float]] = []

    def telemetry(
        self, workspace: str, assistant: str, version: int, *, since: float, until: float
    ) -> TelemetryCounts:
        self.asked.append((version, since, until))
        return self.by_version.get(version, TelemetryCounts())


WINDOW = Window("prod", "Bot", canary=2, stable=1, since=100, until=160)
CANARY = TelemetryCounts(
    responses=10, failed=1, tool_calls=4, invalid_tool_calls=3, latency_ms_sum=5000, latency_ms_max=900
)
STABLE = TelemetryCounts(
    responses=100, failed=1, tool_calls=50, invalid_tool_calls=0, input_tokens=1000, output_tokens=500
)


@pytest.mark.parametrize(
    ("metric", "canary", "stable", "samples"),
    [
        ("error_rate", 0.1, 0.01, (10, 100)),
        ("invalid_tool_call_rate", 0.75, 0.0, (4, 50)),
        ("tool_error_rate", 0.0, 0.0, (4, 50)),
        ("latency_mean_ms", 500.0, 0.0, (10, 100)),
        ("latency_max_ms", 900.0, 0.0, (10, 100)),
        ("tokens_per_response", 0.0, 15.0, (10, 100)),
        ("responses", 10.0, 100.0, (10, 100)),
    ],
)
def test_builtin_compares_canary_with_stable_over_one_window(
    metric: BuiltinMetric, canary: float, stable: float, samples: tuple[int, int]
) -> None:
    store = Telemetry({2: CANARY, 1: STABLE})
    value = builtin_value(store, BuiltinProvider(metric=metric), WINDOW)  # type: ignore[arg-type]
    assert value == {
        "canary": canary,
        "stable": stable,
        "canary_samples": samples[0],
        "stable_samples": samples[1],
    }
    assert store.asked == [(2, 100, 160), (1, 100, 160)]


def test_a_rate_without_samples_is_none() -> None:
    value = builtin_value(Telemetry({}), BuiltinProvider(metric="invalid_tool_call_rate"), WINDOW)  # type: ignore[arg-type]
    assert value["canary"] is None and value["canary_samples"] == 0


class Answers(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        routes = {
            "/number": (200, b"0.25"),
            "/nested": (200, json.dumps({"data": {"value": 3}}).encode()),
            "/boom": (500, b"{}"),
            "/text": (200, b"fine"),
            "/string": (200, b'"0.5"'),
            "/redirect": (302, b""),
        }
        path = self.path.split("?")[0]
        if path == "/slow":
            time.sleep(1.0)
            status, body = 200, b"1"
        elif path.startswith("/echo/"):
            status, body = 200, json.dumps({"v": len(path)}).encode()
        else:
            status, body = routes.get(path, (404, b""))
        self.send_response(status)
        if status == 302:
            self.send_header("Location", "http://127.0.0.1:1/number")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Answers)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()  # joins the handler threads (the slow one too) and closes their sockets


def hook(url: str, path: str | None = None, timeout: float = 2.0) -> WebhookProvider:
    return WebhookProvider(url=url, json_path=path, timeout_seconds=timeout)


def test_webhook_numbers(server: str) -> None:
    assert webhook_value(hook(f"{server}/number"), {}) == 0.25
    assert webhook_value(hook(f"{server}/nested", "data.value"), {}) == 3.0
    assert webhook_value(hook(server + "/echo/{{args.tool}}", "v"), {"tool": "a b"}) == len("/echo/a%20b")


@pytest.mark.parametrize(
    ("path", "json_path", "words"),
    [
        ("/boom", None, "answered HTTP 500"),
        ("/text", None, "did not answer JSON"),
        ("/string", None, "not a number"),
        ("/nested", "data.missing", "has no data.missing"),
        ("/redirect", None, "answered HTTP 302"),
    ],
)
def test_webhook_failures_are_one_line(server: str, path: str, json_path: str | None, words: str) -> None:
    with pytest.raises(MeasureError, match=words):
        webhook_value(hook(server + path, json_path), {})


def test_webhook_timeout_is_bounded(server: str) -> None:
    started = time.monotonic()
    with pytest.raises(MeasureError, match="did not answer"):
        webhook_value(hook(f"{server}/slow", timeout=0.2), {})
    assert time.monotonic() - started < 0.9


@pytest.mark.parametrize("url", ["http://example.com/x", "ftp://127.0.0.1/x", "file:///etc/passwd"])
def test_only_https_or_loopback_http(url: str) -> None:
    with pytest.raises(MeasureError, match="must be https"):
        webhook_value(hook(url), {})


def test_args_are_filled_and_unknown_ones_refused() -> None:
    assert fill_args("https://x/{{args.a}}?q={{args.b}}", {"a": "1/2", "b": "c"}) == "https://x/1%2F2?q=c"
    with pytest.raises(MeasureError, match="arg 'zz'"):
        fill_args("https://x/{{args.zz}}", {})
