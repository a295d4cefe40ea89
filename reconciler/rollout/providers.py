"""Measuring one analysis metric once: the builtin provider over the store's telemetry (the canary against
stable over the same window) and the webhook provider (one bounded GET with the standard library).

A measurement that cannot be had raises `ProviderError`, whose one-line message names no secret; the
analysis records it as an ERROR measurement. Anything else that goes wrong (the store failing) is not the
metric's fault and propagates, so a store hiccup never counts against a canary.
"""

from __future__ import annotations

import http.client
import ipaddress
import json
import math
import re
import socket
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from http.client import HTTPMessage
from typing import IO

from reconciler.errors import UserError
from reconciler.model.rollouts import BuiltinProvider, Provider, TelemetryCounts, WebhookProvider
from reconciler.redact import redact
from reconciler.store.base import StateReader

__all__ = [
    "MAX_BODY_BYTES",
    "MeasureContext",
    "MeasuredValue",
    "ProviderError",
    "builtin_result",
    "fill_url",
    "measure",
    "window",
]

MeasuredValue = float | dict[str, float | None]
MAX_BODY_BYTES = 64 * 1024  # a metric is one number; a bigger answer is not one
LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})
_ARG = re.compile(r"\{\{\s*args\.([A-Za-z0-9_.-]+)\s*\}\}")


class ProviderError(UserError):
    """The metric could not be measured (webhook down, not a number, a missing arg): one line, no secret."""


@dataclass(frozen=True)
class MeasureContext:
    """What a provider needs beyond its own settings to measure one metric at `at` (epoch seconds)."""

    reader: StateReader | None  # for the builtin provider; a webhook needs none
    workspace: str
    assistant: str
    canary_version: int
    stable_version: int
    started_at: float  # the analysis run's start: no window reaches before it
    at: float  # the measurement's time: its window ends here
    interval_seconds: float
    args: Mapping[str, str] = field(default_factory=dict)


def measure(provider: Provider, ctx: MeasureContext) -> MeasuredValue:
    """One measurement's value: the builtin's `{canary, stable, canary_samples, stable_samples}` or the
    webhook's number. Raises `ProviderError` when it cannot be had."""
    if isinstance(provider, BuiltinProvider):
        return _builtin(provider, ctx)
    return _webhook(provider, ctx)


# -- builtin ---------------------------------------------------------------------------------------------


def window(ctx: MeasureContext) -> tuple[float, float]:
    """[since, until): the interval that ends at the measurement (floored to a whole second, the
    telemetry's bucket), cut at the run's start (rounded up to a second) so that traffic from before the
    analysis began (an earlier weight, the previous step) never counts in it."""
    until = float(math.floor(ctx.at))
    since = max(float(math.ceil(ctx.started_at)), until - ctx.interval_seconds)
    return since, until


def _builtin(provider: BuiltinProvider, ctx: MeasureContext) -> MeasuredValue:
    if ctx.reader is None:
        raise ProviderError("the builtin provider needs the state store, and none was given")
    since, until = window(ctx)
    if since >= until:
        # Nothing to look at yet (a measurement at the run's very start): both sides have no samples.
        return builtin_result(provider, TelemetryCounts(), TelemetryCounts())
    canary = ctx.reader.telemetry(ctx.workspace, ctx.assistant, ctx.canary_version, since=since, until=until)
    stable = ctx.reader.telemetry(ctx.workspace, ctx.assistant, ctx.stable_version, since=since, until=until)
    return builtin_result(provider, canary, stable)


def _ratio(part: float, whole: int) -> float | None:
    # No samples is "nothing measured", not a rate of 0: a condition reading it is inconclusive.
    return part / whole if whole else None


_COUNTS: dict[str, Callable[[TelemetryCounts], float | None]] = {
    "responses": lambda c: float(c.responses),
    "error_rate": lambda c: _ratio(c.failed, c.responses),
    "tool_calls": lambda c: float(c.tool_calls),
    "invalid_tool_call_rate": lambda c: _ratio(c.invalid_tool_calls, c.tool_calls),
    "tool_error_rate": lambda c: _ratio(c.tool_errors, c.tool_calls),
    "latency_mean_ms": lambda c: _ratio(c.latency_ms_sum, c.responses),
    "latency_max_ms": lambda c: c.latency_ms_max if c.responses else None,
    "tokens_per_response": lambda c: _ratio(c.input_tokens + c.output_tokens, c.responses),
    "cost_per_response": lambda c: _ratio(c.cost_usd, c.responses),
}
_TOOL_METRICS = frozenset({"tool_calls", "invalid_tool_call_rate", "tool_error_rate"})


def builtin_result(
    provider: BuiltinProvider, canary: TelemetryCounts, stable: TelemetryCounts
) -> dict[str, float | None]:
    """The metric for each side, and its samples: tool calls for tool metrics, responses otherwise."""
    value = _COUNTS[provider.metric]
    tools = provider.metric in _TOOL_METRICS

    def samples(counts: TelemetryCounts) -> float:
        return float(counts.tool_calls if tools else counts.responses)

    return {
        "canary": value(canary),
        "stable": value(stable),
        "canary_samples": samples(canary),
        "stable_samples": samples(stable),
    }


# -- webhook ---------------------------------------------------------------------------------------------


def fill_url(template: str, args: Mapping[str, str]) -> str:
    """`template` with each `{{args.NAME}}` replaced by the arg's value, URL-quoted (a value cannot add a
    path segment, a query parameter or a host)."""

    def fill(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in args:
            raise ProviderError(f"the webhook URL names args.{name}, which the analysis does not give")
        return urllib.parse.quote(args[name], safe="")

    return _ARG.sub(fill, template)


def link_local(host: str) -> bool:
    """169.254.0.0/16 and fe80::/10: where clouds serve instance metadata and credentials."""
    try:
        return ipaddress.ip_address(host.strip("[]")).is_link_local
    except ValueError:
        return False


def _allowed(url: str) -> urllib.parse.SplitResult:
    parts = urllib.parse.urlsplit(url)
    host = (parts.hostname or "").lower()
    if not host:
        raise ProviderError("the webhook URL has no host")
    if parts.username is not None or parts.password is not None:
        # A password in a manifest is a password in git; and it would be shown wherever the URL is.
        raise ProviderError(f"webhook {_shown(parts)} refused: a URL with a user or password")
    if link_local(host):
        raise ProviderError(f"webhook {_shown(parts)} refused: a link-local address (cloud metadata)")
    if parts.scheme == "https" or (parts.scheme == "http" and host in LOOPBACK):
        return parts
    raise ProviderError(
        f"webhook {_shown(parts)} refused: only https, or http to 127.0.0.1, localhost or [::1]"
    )


def _shown(parts: urllib.parse.SplitResult) -> str:
    # Scheme, host and port only: a path or query may carry a token, and userinfo a password.
    try:
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        port = ""
    host = parts.hostname or "?"
    host = f"[{host}]" if ":" in host else host
    return redact(f"{parts.scheme}://{host}{port}")


class _SameHostRedirects(urllib.request.HTTPRedirectHandler):
    """Follows a redirect only to the same scheme, host and port: a metric endpoint that sends us
    elsewhere (another host, or https down to http) is refused rather than trusted."""

    max_redirections = 3

    def __init__(self, origin: urllib.parse.SplitResult) -> None:
        super().__init__()
        self._origin = origin

    def redirect_request(
        self,
        req: urllib.request.Request,
        fp: IO[bytes],
        code: int,
        msg: str,
        headers: HTTPMessage,
        newurl: str,
    ) -> urllib.request.Request | None:
        target = urllib.parse.urlsplit(newurl)
        same = (target.scheme, target.hostname, target.port) == (
            self._origin.scheme,
            self._origin.hostname,
            self._origin.port,
        )
        if not same:
            fp.close()
            raise ProviderError(
                f"webhook {_shown(self._origin)} redirected to {_shown(target)}: not followed"
            )
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def _webhook(provider: WebhookProvider, ctx: MeasureContext) -> float:
    url = fill_url(provider.url, ctx.args)
    parts = _allowed(url)
    shown = _shown(parts)
    handlers: list[urllib.request.BaseHandler] = [_SameHostRedirects(parts)]
    if (parts.hostname or "").lower() in LOOPBACK:
        handlers.append(urllib.request.ProxyHandler({}))  # loopback is never reached through a proxy
    opener = urllib.request.build_opener(*handlers)
    # The scheme is checked above (`_allowed`): https, or http to loopback; never file: or others.
    request = urllib.request.Request(url, method="GET", headers={"Accept": "application/json"})  # noqa: S310
    timeout = provider.timeout_seconds
    deadline = time.monotonic() + timeout
    try:
        with opener.open(request, timeout=timeout) as response:
            status = int(response.status)
            body = _read_bounded(response, deadline, shown, timeout)
    except ProviderError:
        raise
    except urllib.error.HTTPError as error:
        error.close()  # it holds the response's socket
        raise ProviderError(f"webhook {shown} answered HTTP {error.code}") from None
    except urllib.error.URLError as error:
        if isinstance(error.reason, (TimeoutError, socket.timeout)):
            raise ProviderError(f"webhook {shown} did not answer within {timeout:g} s") from None
        raise ProviderError(f"webhook {shown} could not be reached ({_reason(error.reason)})") from None
    except TimeoutError:
        raise ProviderError(f"webhook {shown} did not answer within {timeout:g} s") from None
    except (OSError, ValueError, http.client.HTTPException) as error:
        raise ProviderError(f"webhook {shown} could not be read ({type(error).__name__})") from None
    if not 200 <= status < 300:
        raise ProviderError(f"webhook {shown} answered HTTP {status}")
    return _number(body, provider.json_path, shown)


def _reason(reason: object) -> str:
    if isinstance(reason, OSError) and reason.strerror:
        return redact(reason.strerror)
    return redact(str(reason))[:200]


def _read_bounded(response: IO[bytes], deadline: float, shown: str, timeout: float) -> bytes:
    # The socket timeout bounds each read; the deadline bounds a server that drips bytes slowly.
    chunks: list[bytes] = []
    size = 0
    while True:
        chunk = response.read(8192)
        if not chunk:
            return b"".join(chunks)
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise ProviderError(f"webhook {shown} answered more than {MAX_BODY_BYTES} bytes")
        chunks.append(chunk)
        if time.monotonic() > deadline:
            raise ProviderError(f"webhook {shown} did not answer within {timeout:g} s")


def _number(body: bytes, json_path: str | None, shown: str) -> float:
    try:
        found: object = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise ProviderError(f"webhook {shown} did not answer JSON") from None
    if json_path:
        for key in json_path.split("."):
            if not isinstance(found, dict) or key not in found:
                raise ProviderError(f"webhook {shown}: the answer has no {json_path!r}")
            found = found[key]
    where = f" at {json_path!r}" if json_path else ""
    if isinstance(found, bool) or not isinstance(found, (int, float)):
        kind = "an object (give json_path)" if isinstance(found, dict) and not json_path else (_kind(found))
        raise ProviderError(f"webhook {shown} answered {kind}{where}, not a number")
    number = float(found)
    if not math.isfinite(number):
        raise ProviderError(f"webhook {shown} answered {number}{where}, not a finite number")
    return number


def _kind(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a truth value"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    return "an object"
