"""Where an analysis measurement's value comes from: `builtin` (the runtime's telemetry in the store, the
canary compared with stable over the same window) or `webhook` (a number from an HTTPS endpoint the
template names). A value that cannot be had raises `MeasureError`, which the analysis records as an
`error` measurement with its one-line reason; nothing here raises anything else for a provider's fault.
"""

from __future__ import annotations

import ipaddress
import json
import math
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass

from reconciler.model.rollouts import BuiltinMetric, BuiltinProvider, TelemetryCounts, WebhookProvider
from reconciler.redact import redact
from reconciler.store.base import StateReader

__all__ = ["MAX_BODY", "MeasureError", "Value", "Window", "builtin_value", "fill_args", "webhook_value"]

Value = float | dict[str, float | None]
MAX_BODY = 64 * 1024  # bytes of a webhook's answer read; a number needs far fewer

_LOOPBACK_NAMES = {"localhost"}


class MeasureError(Exception):
    """The provider could not give a value (the webhook failed, answered something else than a number)."""


@dataclass(frozen=True)
class Window:
    """What a builtin measurement compares: `assistant`'s canary and stable versions over [since, until)
    (epoch seconds, whole: telemetry is kept per second)."""

    workspace: str
    assistant: str
    canary: int
    stable: int
    since: int
    until: int


def builtin_value(store: StateReader, provider: BuiltinProvider, window: Window) -> dict[str, float | None]:
    """`{canary, stable, canary_samples, stable_samples}` for the provider's metric. A rate with no samples
    is None, not 0: "no tool calls" is not "no invalid tool calls"."""
    sides: dict[str, float | None] = {}
    for side, version in (("canary", window.canary), ("stable", window.stable)):
        counts = store.telemetry(
            window.workspace, window.assistant, version, since=window.since, until=window.until
        )
        value, samples = _metric(provider.metric, counts)
        sides[side] = value
        sides[f"{side}_samples"] = float(samples)
    return sides


def _metric(metric: BuiltinMetric, c: TelemetryCounts) -> tuple[float | None, int]:
    """The metric's value and its sample count (responses, or tool calls for the tool metrics)."""
    if metric in ("tool_calls", "invalid_tool_call_rate", "tool_error_rate"):
        samples = c.tool_calls
        if metric == "tool_calls":
            return float(c.tool_calls), samples
        part = c.invalid_tool_calls if metric == "invalid_tool_call_rate" else c.tool_errors
        return (part / samples if samples else None), samples
    samples = c.responses
    per_response = {
        "error_rate": c.failed,
        "latency_mean_ms": c.latency_ms_sum,
        "tokens_per_response": c.input_tokens + c.output_tokens,
        "cost_per_response": c.cost_usd,
    }
    if metric == "responses":
        return float(c.responses), samples
    if metric == "latency_max_ms":
        return (c.latency_ms_max if samples else None), samples
    return (per_response[metric] / samples if samples else None), samples


def fill_args(text: str, args: Mapping[str, str]) -> str:
    """`{{args.NAME}}` replaced by the URL-quoted value of NAME; an unknown NAME is an error."""
    out = text
    while "{{args." in out:
        start = out.index("{{args.")
        end = out.find("}}", start)
        if end < 0:
            raise MeasureError("unclosed {{args. in the webhook URL")
        name = out[start + len("{{args.") : end].strip()
        if name not in args:
            raise MeasureError(f"the webhook URL names arg {name!r}, which the analysis does not give")
        out = out[:start] + urllib.parse.quote(args[name], safe="") + out[end + 2 :]
    return out


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A webhook answers itself: following a redirect could carry the request to another host."""

    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


def webhook_value(provider: WebhookProvider, args: Mapping[str, str]) -> float:
    """GET the URL (args filled in), bounded by the provider's timeout; the body is a JSON number or an
    object holding one at `json_path` (dotted keys)."""
    url = fill_args(provider.url, args)
    _check_url(url)
    opener = urllib.request.build_opener(_NoRedirects)
    request = urllib.request.Request(url, headers={"Accept": "application/json"}, method="GET")  # noqa: S310
    shown = redact(_without_query(url))
    try:
        with opener.open(request, timeout=provider.timeout_seconds) as response:
            status = response.status
            body = response.read(MAX_BODY + 1)
    except urllib.error.HTTPError as error:
        raise MeasureError(f"webhook {shown} answered HTTP {error.code}") from None
    except (urllib.error.URLError, TimeoutError, OSError) as error:
        reason = getattr(error, "reason", error)
        raise MeasureError(f"webhook {shown} did not answer: {reason}") from None
    if not 200 <= status < 300:
        raise MeasureError(f"webhook {shown} answered HTTP {status}")
    if len(body) > MAX_BODY:
        raise MeasureError(f"webhook {shown} answered more than {MAX_BODY} bytes")
    try:
        document = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise MeasureError(f"webhook {shown} did not answer JSON") from None
    value = _at(document, provider.json_path)
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        where = f" at {provider.json_path}" if provider.json_path else ""
        raise MeasureError(f"webhook {shown} answered {redact(json.dumps(value))[:80]}{where}, not a number")
    return float(value)


def _at(document: object, path: str | None) -> object:
    if not path:
        return document
    for key in path.split("."):
        if not isinstance(document, dict) or key not in document:
            raise MeasureError(f"the webhook's answer has no {path}")
        document = document[key]
    return document


def _check_url(url: str) -> None:
    """HTTPS only, except plain HTTP to this machine (tests and local agents)."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme == "https" and parts.hostname:
        return
    if parts.scheme == "http" and parts.hostname and _loopback(parts.hostname):
        return
    raise MeasureError(f"webhook URL {redact(_without_query(url))} must be https (http only to 127.0.0.1)")


def _loopback(host: str) -> bool:
    if host in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _without_query(url: str) -> str:
    """The URL as shown in messages: a query string may carry a token, so it is left out."""
    parts = urllib.parse.urlsplit(url)
    return urllib.parse.urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))
