"""rollout.providers, webhook: one bounded GET against a local HTTP server on 127.0.0.1."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from reconciler.model.rollouts import WebhookProvider
from reconciler.rollout.providers import MeasureContext, ProviderError, fill_url, measure

T0 = 1_700_000_000.0


class Handler(BaseHTTPRequestHandler):
    """Answers by path: /number, /object, /500, /slow, /text, /string, /redirect-away, /redirect-here."""

    seen: list[str] = []  # shared by the handler instances on purpose

    def do_GET(self) -> None:
        Handler.seen.append(self.path)
        path = self.path.split("?", 1)[0]
        if path == "/slow":
            time.sleep(0.4)
        answers: dict[str, tuple[int, bytes, dict[str, str]]] = {
            "/number": (200, b"0.25", {}),
            "/object": (200, b'{"data": {"result": 3}}', {}),
            "/500": (500, b'{"error": "boom"}', {}),
            "/slow": (200, b"1", {}),
            "/text": (200, b"<html>not json</html>", {}),
            "/string": (200, b'"0.25"', {}),
            "/redirect-away": (302, b"", {"Location": "http://localhost.example/number"}),
            "/redirect-here": (302, b"", {"Location": "/number"}),
            "/redirect-port": (302, b"", {"Location": "http://127.0.0.1:1/number"}),
        }
        status, body, headers = answers.get(path, (404, b"", {}))
        try:
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except OSError:
            pass  # the client gave up (the timeout test)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


@pytest.fixture
def base(server: str) -> str:
    Handler.seen = []
    return server


def ctx(**args: str) -> MeasureContext:
    return MeasureContext(
        reader=None,
        workspace="local",
        assistant="CorporateAssist",
        canary_version=2,
        stable_version=1,
        started_at=T0,
        at=T0 + 60,
        interval_seconds=60,
        args=args,
    )


def hook(url: str, **extra: object) -> WebhookProvider:
    return WebhookProvider.model_validate({"url": url, "timeout_seconds": 2.0, **extra})


def test_a_json_number_is_the_result(base: str) -> None:
    assert measure(hook(f"{base}/number"), ctx()) == 0.25


def test_json_path_walks_dotted_keys_to_the_number(base: str) -> None:
    assert measure(hook(f"{base}/object", json_path="data.result"), ctx()) == 3.0


def test_args_are_filled_in_url_quoted(base: str) -> None:
    measure(hook(base + "/number?q={{args.query}}&v={{ args.version }}"), ctx(query="a b&c=/d", version="2"))
    assert Handler.seen == ["/number?q=a%20b%26c%3D%2Fd&v=2"]


def test_an_arg_the_analysis_does_not_give_is_an_error_before_any_request(base: str) -> None:
    with pytest.raises(ProviderError, match=r"args\.missing"):
        measure(hook(base + "/number?q={{args.missing}}"), ctx())
    assert Handler.seen == []


def test_a_non_2xx_answer_is_an_error_naming_the_status(base: str) -> None:
    with pytest.raises(ProviderError, match="answered HTTP 500"):
        measure(hook(f"{base}/500"), ctx())


def test_a_slow_answer_is_an_error_after_the_timeout(base: str) -> None:
    started = time.monotonic()
    with pytest.raises(ProviderError, match=r"did not answer within 0\.1 s"):
        measure(hook(f"{base}/slow", timeout_seconds=0.1), ctx())
    assert time.monotonic() - started < 0.4


@pytest.mark.parametrize(
    ("path", "json_path", "expected"),
    [
        ("/text", None, "did not answer JSON"),
        ("/string", None, "answered a string, not a number"),
        ("/object", None, r"an object \(give json_path\)"),
        ("/object", "data.missing", "the answer has no 'data.missing'"),
        ("/object", "data", "answered an object at 'data', not a number"),
    ],
)
def test_an_answer_that_is_not_a_number_is_an_error(
    base: str, path: str, json_path: str | None, expected: str
) -> None:
    with pytest.raises(ProviderError, match=expected):
        measure(hook(base + path, json_path=json_path), ctx())


@pytest.mark.parametrize(
    "url",
    [
        "http://metrics.example/q",
        "http://10.0.0.1/q",
        "ftp://127.0.0.1/q",
        "file:///etc/passwd",
        "https://169.254.169.254/latest/meta-data/",
        "https://[fe80::1]/q",
        "https://bob:hunter2pass@metrics.example/q",
    ],
)
def test_a_url_that_is_not_https_or_loopback_http_is_refused_without_a_request(url: str) -> None:
    with pytest.raises(ProviderError, match=r"refused|no host"):
        measure(hook(url), ctx())


@pytest.mark.parametrize(
    ("path", "elsewhere"),
    [("/redirect-away", "http://localhost.example"), ("/redirect-port", "http://127.0.0.1:1")],
)
def test_a_redirect_to_another_host_or_port_is_not_followed(base: str, path: str, elsewhere: str) -> None:
    with pytest.raises(ProviderError, match=f"redirected to {re.escape(elsewhere)}: not followed"):
        measure(hook(base + path), ctx())
    assert Handler.seen == [path]


def test_a_redirect_on_the_same_host_is_followed(base: str) -> None:
    assert measure(hook(f"{base}/redirect-here"), ctx()) == 0.25


def test_messages_name_the_host_but_not_the_path_or_query(base: str) -> None:
    with pytest.raises(ProviderError) as caught:
        measure(hook(base + "/500?token={{args.token}}"), ctx(token="s3cret-value"))
    message = str(caught.value)
    assert base in message
    assert "s3cret" not in message and "/500" not in message


def test_a_connection_refused_is_an_error_not_a_traceback() -> None:
    with pytest.raises(ProviderError, match="could not be reached"):
        measure(hook("http://127.0.0.1:9/number", timeout_seconds=0.5), ctx())


def test_fill_url_leaves_text_without_args_alone() -> None:
    assert fill_url("https://h/q?x={{ args.a }}", {"a": "1/2"}) == "https://h/q?x=1%2F2"


def test_a_refused_url_never_shows_its_password() -> None:
    with pytest.raises(ProviderError) as refused:
        measure(hook("https://bob:hunter2pass@metrics.example/q?token=abcd1234efgh5678"), ctx())
    assert "hunter2pass" not in str(refused.value) and "abcd1234" not in str(refused.value)


def test_a_url_python_cannot_open_is_an_error_not_a_traceback() -> None:
    """http.client's InvalidURL (here a space in the path) is neither OSError nor ValueError."""
    with pytest.raises(ProviderError, match="could not be read"):
        measure(hook("http://127.0.0.1:9/a b"), ctx())
