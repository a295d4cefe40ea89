"""An `AnalysisTemplate` document to `model.rollouts.AnalysisTemplate`, with the rules its spec model
cannot say at the exact line: one provider per metric, conditions that parse and read only the fields
their provider gives, webhook URLs over HTTPS whose `{{args.NAME}}` are declared, unique names.

The template is not a platform object: it lands in `DesiredState.analysis_templates`, which the planner
never reads. Whether the rollouts that use a template give its args is `rollout_checks`' job.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Sequence
from urllib.parse import urlsplit

from reconciler import words
from reconciler.manifest import checks
from reconciler.manifest.documents import Document
from reconciler.manifest.problems import Collector
from reconciler.manifest.rollout_specs import AnalysisTemplateSpec, MetricSpec, WebhookProviderSpec, seconds
from reconciler.manifest.yaml_loader import YMap
from reconciler.model.expression import Expression, ExpressionError, parse
from reconciler.model.rollouts import (
    AnalysisTemplate,
    BuiltinProvider,
    Metric,
    Provider,
    TemplateArg,
    WebhookProvider,
)

# What `result` holds for the builtin provider (model.rollouts.BuiltinProvider).
BUILTIN_FIELDS = ("canary", "stable", "canary_samples", "stable_samples")
# Plain http only to this machine: tests and a local metrics proxy; anything else carries the rollout's
# fate over the network and must be authenticated and private.
LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})
_PLACEHOLDER = re.compile(r"\{\{\s*(.*?)\s*\}\}")
_ARG = re.compile(r"args\.([A-Za-z][A-Za-z0-9_-]*)")
# After a successful parse, `result` not joined to a `.` on either side is the whole result.
_RESULT = re.compile(r"(\.\s*)?\bresult\b(\s*\.)?")

Path = list[str | int]


def build_template(c: Collector, doc: Document) -> AnalysisTemplate:
    """The template of `doc`; its problems go to `c` (the state built is used only when there are none)."""
    spec = doc.spec
    assert isinstance(spec, AnalysisTemplateSpec)
    file, root = doc.file, doc.root
    _unique(c, file, root, "args", [a.name for a in spec.args], "arg")
    _unique(c, file, root, "metrics", [m.name for m in spec.metrics], "metric")
    declared = {a.name for a in spec.args}
    metrics = tuple(_metric(c, file, root, i, metric, declared) for i, metric in enumerate(spec.metrics))
    return AnalysisTemplate(
        name=doc.name,
        args=tuple(TemplateArg(name=a.name, value=a.value) for a in spec.args),
        metrics=metrics,
    )


def _unique(c: Collector, file: str, root: YMap, field: str, names: Sequence[str], what: str) -> None:
    first: dict[str, int] = {}
    for index, name in enumerate(names):
        if name in first:
            path: Path = ["spec", field, index, "name"]
            where = f"spec.{field}[{index}].name"
            message = f"{where}: {what} {name!r} is declared twice (first at [{first[name]}])"
            c.at(file, root, path, f"analysis.duplicate-{what}", message)
        else:
            first[name] = index


def _metric(
    c: Collector, file: str, root: YMap, index: int, metric: MetricSpec, declared: set[str]
) -> Metric:
    base: Path = ["spec", "metrics", index]
    where = f"spec.metrics[{index}]"
    provider = metric.provider
    checks.exclusive(c, file, root, [*base, "provider"], "builtin", "webhook")
    if provider.builtin is None and provider.webhook is None:
        message = f"{where}.provider: give builtin: {{metric: NAME}} or webhook: {{url: URL}}"
        c.at(file, root, [*base, "provider"], "analysis.provider", message)
    webhook = provider.webhook if provider.builtin is None else None
    kind = "builtin" if provider.builtin is not None else "webhook" if webhook is not None else None
    if 0 < metric.count <= metric.failure_limit:
        message = (
            f"{where}.failureLimit: {metric.failure_limit} allows every one of the {metric.count} "
            "measurements to fail: the analysis could never fail (it fails above failureLimit)"
        )
        c.at(file, root, [*base, "failureLimit"], "analysis.failure-limit", message)
    if metric.success_condition is None and metric.failure_condition is None:
        message = f"{where}: give successCondition, failureCondition or both (else it can never fail)"
        c.at(file, root, base, "analysis.condition-missing", message)
    for field, text in (
        ("successCondition", metric.success_condition),
        ("failureCondition", metric.failure_condition),
    ):
        if text is not None:
            _condition(c, file, root, [*base, field], text, provider=kind)
    if webhook is not None:
        _webhook(c, file, root, [*base, "provider", "webhook"], webhook, declared)
        if metric.min_samples > 0:
            message = f"{where}.minSamples: samples are the builtin provider's; a webhook gives one number"
            c.at(file, root, [*base, "minSamples"], "analysis.min-samples", message)
    chosen: Provider
    if provider.builtin is not None:
        chosen = BuiltinProvider(metric=provider.builtin.metric)
    elif webhook is not None:
        chosen = WebhookProvider(
            url=webhook.url, json_path=webhook.json_path, timeout_seconds=float(seconds(webhook.timeout))
        )
    else:
        chosen = BuiltinProvider(metric="responses")  # reported above; a placeholder for the state
    return Metric(
        name=metric.name,
        provider=chosen,
        interval_seconds=float(seconds(metric.interval)),
        count=metric.count,
        success_condition=metric.success_condition,
        failure_condition=metric.failure_condition,
        failure_limit=metric.failure_limit,
        consecutive_error_limit=metric.consecutive_error_limit,
        min_samples=metric.min_samples,
    )


def _condition(c: Collector, file: str, root: YMap, path: Path, text: str, *, provider: str | None) -> None:
    """The condition parses, and reads of `result` fit what the provider gives (one problem each; the
    fields are not judged without a provider, which is reported already)."""
    where = f"spec.metrics[{path[2]}].{path[3]}"
    try:
        expression = parse(text)
    except ExpressionError as error:
        c.at(file, root, path, "analysis.condition", f"{where}: {error} at column {error.column}")
        return
    except RecursionError:  # the parser descends once per parenthesis or sign: a hostile text is deep
        c.at(file, root, path, "analysis.condition", f"{where}: nested too deeply")
        return
    if _a_number(expression, provider):
        message = f"{where}: {text!r} is a number, not a condition: compare it (`... < 0.05`)"
        c.at(file, root, path, "analysis.condition-number", message)
    if provider == "builtin":
        fields = ", ".join(f"result.{f}" for f in BUILTIN_FIELDS)
        for name in sorted(expression.fields - set(BUILTIN_FIELDS)):
            hint = words.did_you_mean(name, BUILTIN_FIELDS)
            message = f"{where}: result.{name} is not measured; the builtin provider gives {fields}{hint}"
            c.at(file, root, path, "analysis.condition-field", message)
        if _whole_result(text):
            message = f"{where}: the builtin provider's `result` has fields; name one ({fields})"
            c.at(file, root, path, "analysis.condition-field", message)
    elif provider == "webhook":
        for name in sorted(expression.fields):
            message = f"{where}: result.{name}: a webhook's `result` is one number; write `result`"
            c.at(file, root, path, "analysis.condition-field", message)


def _a_number(expression: Expression, provider: str | None) -> bool:
    """Whether the condition gives a number rather than true or false: evaluated once on a sample result
    (every field 1), so a mistake like `result.canary + 1` is found at validate, not at the first
    measurement. A sample it cannot evaluate (a division by zero) proves nothing, and is let through."""
    sample: float | dict[str, float | None] = (
        {f: 1.0 for f in BUILTIN_FIELDS} if provider == "builtin" else 1.0
    )
    try:
        return not isinstance(expression.evaluate(sample), bool)
    except ExpressionError:
        return False


def _whole_result(text: str) -> bool:
    return any(m.group(1) is None and m.group(2) is None for m in _RESULT.finditer(text))


def _webhook(
    c: Collector, file: str, root: YMap, base: Path, webhook: WebhookProviderSpec, declared: set[str]
) -> None:
    path: Path = [*base, "url"]
    where = f"spec.metrics[{base[2]}].provider.webhook.url"
    for placeholder in _PLACEHOLDER.findall(webhook.url):
        arg = _ARG.fullmatch(placeholder)
        if arg is None:
            message = f"{where}: {{{{{placeholder}}}}} is not filled in; only {{{{args.NAME}}}} is"
            c.at(file, root, path, "analysis.url-placeholder", message)
        elif arg.group(1) not in declared:
            known = ", ".join(sorted(declared)) or "none"
            message = f"{where}: args.{arg.group(1)} is not declared in spec.args (declared: {known})"
            c.at(file, root, path, "analysis.url-arg", message)
    try:
        parts = urlsplit(_PLACEHOLDER.sub("x", webhook.url))
        host = parts.hostname
    except ValueError as error:
        c.at(file, root, path, "analysis.url", f"{where}: not a URL ({error})")
        return
    if parts.username is not None or parts.password is not None:
        message = f"{where}: no user or password in the URL (a manifest is read by everyone who reads git)"
        c.at(file, root, path, "analysis.url-credentials", message)
    elif host and _link_local(host):
        message = f"{where}: {host} is link-local (where clouds serve instance credentials): refused"
        c.at(file, root, path, "analysis.url-link-local", message)
    elif parts.scheme not in ("https", "http") or not host:
        c.at(file, root, path, "analysis.url", f"{where}: {webhook.url!r} is not an https:// URL with a host")
    elif parts.scheme == "http" and host not in LOOPBACK:
        message = f"{where}: use https (plain http only for 127.0.0.1, localhost or [::1])"
        c.at(file, root, path, "analysis.url-insecure", message)


def _link_local(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_link_local
    except ValueError:
        return False
