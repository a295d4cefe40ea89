"""`kind: AnalysisTemplate`: what a template builds into (model.rollouts), each rule failing at its
file:line:col, and the lint warning for a template no rollout uses."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.manifest import load_project, validate_project
from reconciler.model.rollouts import AnalysisTemplate, BuiltinProvider, Metric, TemplateArg, WebhookProvider

from .conftest import Write, doc


def _errors(project: Path, write: Write, spec: str) -> list[str]:
    """The errors of one template whose spec is `spec` (its line N is file line 5 + N)."""
    write("t.yaml", doc("AnalysisTemplate", "t", spec))
    return [str(p) for p in validate_project(project).errors]


def _metric(provider: str, condition: str = "successCondition: result < 1", extra: str = "") -> str:
    lines = ["metrics:", "  - name: m", f"    provider: {provider}", f"    {condition}"]
    lines += [f"    {line}" for line in extra.splitlines()]
    return "\n".join(lines)


def test_a_template_builds_into_the_model(project: Path, write: Write) -> None:
    spec = """args: [{name: service}, {name: window, value: 5m}]
metrics:
  - name: invalid-calls
    interval: 30s
    count: 3
    failureLimit: 1
    minSamples: 20
    provider: {builtin: {metric: invalid_tool_call_rate}}
    successCondition: result.canary <= result.stable * 1.5 || result.canary_samples < 10
  - name: p99
    count: 0
    provider:
      webhook:
        url: "https://metrics.example.com/q?svc={{args.service}}&w={{ args.window }}"
        jsonPath: data.value
        timeout: 5s
    failureCondition: result > 800"""
    assert _errors(project, write, spec) == []
    project_ = load_project(project)
    assert project_.desired.analysis_templates == {
        "t": AnalysisTemplate(
            name="t",
            args=(TemplateArg(name="service"), TemplateArg(name="window", value="5m")),
            metrics=(
                Metric(
                    name="invalid-calls",
                    provider=BuiltinProvider(metric="invalid_tool_call_rate"),
                    interval_seconds=30.0,
                    count=3,
                    success_condition="result.canary <= result.stable * 1.5 || result.canary_samples < 10",
                    failure_limit=1,
                    min_samples=20,
                ),
                Metric(
                    name="p99",
                    provider=WebhookProvider(
                        url="https://metrics.example.com/q?svc={{args.service}}&w={{ args.window }}",
                        json_path="data.value",
                        timeout_seconds=5.0,
                    ),
                    interval_seconds=60.0,
                    count=0,
                    failure_condition="result > 800",
                ),
            ),
        )
    }
    assert project_.desired.sources == {"AnalysisTemplate/t": "t.yaml:1"}
    # Not a platform object: nothing else of the desired state holds it.
    assert project_.desired.assistants == {}
    assert project_.desired.function_tools == {}


def test_a_condition_that_does_not_parse_names_its_column(project: Path, write: Write) -> None:
    spec = _metric("{builtin: {metric: error_rate}}", "successCondition: reslt.canary < 1")
    assert _errors(project, write, spec) == [
        "t.yaml:9:25: error: spec.metrics[0].successCondition: unknown name 'reslt' (known: `result`, "
        "`true`, `false`, abs(), min(), max()) at column 1 [analysis.condition]"
    ]
    spec = _metric("{builtin: {metric: error_rate}}", "failureCondition: result.canary > (1 +")
    assert _errors(project, write, spec) == [
        "t.yaml:9:25: error: spec.metrics[0].failureCondition: expected a value, found the end at column 21 "
        "[analysis.condition]"
    ]


def test_builtin_conditions_read_the_fields_the_provider_gives(project: Path, write: Write) -> None:
    spec = _metric("{builtin: {metric: error_rate}}", "successCondition: result.canry < result < 1")
    assert _errors(project, write, spec) == [
        "t.yaml:9:25: error: spec.metrics[0].successCondition: result.canry is not measured; the builtin "
        "provider gives result.canary, result.stable, result.canary_samples, result.stable_samples; did you "
        "mean 'canary'? [analysis.condition-field]",
        "t.yaml:9:25: error: spec.metrics[0].successCondition: the builtin provider's `result` has fields; "
        "name one (result.canary, result.stable, result.canary_samples, result.stable_samples) "
        "[analysis.condition-field]",
    ]


def test_a_condition_that_gives_a_number_is_refused(project: Path, write: Write) -> None:
    spec = _metric("{builtin: {metric: error_rate}}", "successCondition: result.canary + 1")
    assert _errors(project, write, spec) == [
        "t.yaml:9:25: error: spec.metrics[0].successCondition: 'result.canary + 1' is a number, not a "
        "condition: compare it (`... < 0.05`) [analysis.condition-number]",
    ]


def test_a_webhook_result_is_one_number(project: Path, write: Write) -> None:
    webhook = "{webhook: {url: 'https://m.example.com/'}}"
    spec = _metric(webhook, "successCondition: result.value < 1", "minSamples: 10")
    assert _errors(project, write, spec) == [
        "t.yaml:9:25: error: spec.metrics[0].successCondition: result.value: a webhook's `result` is one "
        "number; write `result` [analysis.condition-field]",
        "t.yaml:10:19: error: spec.metrics[0].minSamples: samples are the builtin provider's; a webhook "
        "gives one number [analysis.min-samples]",
    ]


@pytest.mark.parametrize(
    "url",
    [
        "https://metrics.example.com/q",
        "http://127.0.0.1:9090/q",
        "http://localhost/q",
        "http://[::1]:8080/q",
    ],
)
def test_webhooks_use_https_or_plain_http_to_this_machine(project: Path, write: Write, url: str) -> None:
    assert _errors(project, write, _metric(f"{{webhook: {{url: '{url}'}}}}")) == []


@pytest.mark.parametrize(
    ("url", "message"),
    [
        (
            "http://metrics.example.com/q",
            "use https (plain http only for 127.0.0.1, localhost or [::1]) [analysis.url-insecure]",
        ),
        (
            "ftp://metrics.example.com/q",
            "'ftp://metrics.example.com/q' is not an https:// URL with a host [analysis.url]",
        ),
        (
            "metrics.example.com/q",
            "'metrics.example.com/q' is not an https:// URL with a host [analysis.url]",
        ),
        (
            "https://m.example.com/{{args.nope}}",
            "args.nope is not declared in spec.args (declared: none) [analysis.url-arg]",
        ),
        (
            "https://m.example.com/{{tool}}",
            "{{tool}} is not filled in; only {{args.NAME}} is [analysis.url-placeholder]",
        ),
        (
            "https://bob:hunter2pass@metrics.example.com/q",
            "no user or password in the URL (a manifest is read by everyone who reads git) "
            "[analysis.url-credentials]",
        ),
        (
            "https://169.254.169.254/latest/meta-data/",
            "169.254.169.254 is link-local (where clouds serve instance credentials): refused "
            "[analysis.url-link-local]",
        ),
    ],
)
def test_a_bad_webhook_url_is_refused(project: Path, write: Write, url: str, message: str) -> None:
    assert _errors(project, write, _metric(f"{{webhook: {{url: '{url}'}}}}")) == [
        f"t.yaml:8:33: error: spec.metrics[0].provider.webhook.url: {message}"
    ]


def test_durations_counts_and_metric_names_are_checked(project: Path, write: Write) -> None:
    spec = _metric(
        "{webhook: {url: 'https://m.example.com/', timeout: 90s}}",
        extra="interval: 5 minutes\ncount: -1",
    )
    assert _errors(project, write, spec) == [
        "t.yaml:8:68: error: spec.metrics[0].provider.webhook.timeout: '90s' is longer than 60s "
        "[field.invalid]",
        "t.yaml:10:17: error: spec.metrics[0].interval: '5 minutes' is not a duration: a whole number and "
        "s, m, h or d (30s, 5m, 1h) [field.invalid]",
        "t.yaml:11:14: error: spec.metrics[0].count: Input should be greater than or equal to 0 "
        "[field.invalid]",
    ]
    spec = _metric("{builtin: {metric: eror_rate}}")
    assert _errors(project, write, spec)[0].startswith(
        "t.yaml:8:36: error: spec.metrics[0].provider.builtin.metric: Input should be 'responses', "
        "'error_rate'"
    )


def test_one_provider_and_at_least_one_condition(project: Path, write: Write) -> None:
    spec = """metrics:
  - name: none
    provider: {}
  - name: both
    provider: {builtin: {metric: responses}, webhook: {url: 'https://m.example.com/'}}
    failureCondition: result.canary < 1"""
    assert _errors(project, write, spec) == [
        "t.yaml:7:7: error: spec.metrics[0]: give successCondition, failureCondition or both (else it can "
        "never fail) [analysis.condition-missing]",
        "t.yaml:8:17: error: spec.metrics[0].provider: give builtin: {metric: NAME} or webhook: {url: URL} "
        "[analysis.provider]",
        "t.yaml:10:48: error: spec.metrics[1].provider.webhook: give either builtin or webhook, not both "
        "[field.exclusive]",
    ]


def test_args_and_metrics_are_named_once(project: Path, write: Write) -> None:
    spec = """args: [{name: a}, {name: a}]
metrics:
  - {name: m, provider: {builtin: {metric: responses}}, failureCondition: result.canary < 1}
  - {name: m, provider: {builtin: {metric: responses}}, failureCondition: result.canary < 1}"""
    assert _errors(project, write, spec) == [
        "t.yaml:6:28: error: spec.args[1].name: arg 'a' is declared twice (first at [0]) "
        "[analysis.duplicate-arg]",
        "t.yaml:9:14: error: spec.metrics[1].name: metric 'm' is declared twice (first at [0]) "
        "[analysis.duplicate-metric]",
    ]


def test_duplicate_template_names_are_refused(project: Path, write: Write) -> None:
    body = _metric("{builtin: {metric: responses}}", "failureCondition: result.canary < 1")
    write("a.yaml", doc("AnalysisTemplate", "t", body))
    write("b.yaml", doc("AnalysisTemplate", "t", body))
    assert [str(p) for p in validate_project(project).errors] == [
        "b.yaml:4:9: error: duplicate AnalysisTemplate named 't' (first defined at a.yaml:1) [name.duplicate]"
    ]


def test_a_template_no_rollout_uses_is_a_warning(project: Path, write: Write) -> None:
    body = _metric("{builtin: {metric: responses}}", "failureCondition: result.canary < 1")
    write("t.yaml", doc("AnalysisTemplate", "t", body))
    report = validate_project(project)
    assert [str(p) for p in report.problems] == [
        "t.yaml:4:9: warning: AnalysisTemplate 't' is not used by any rollout [lint.unused]"
    ]
    assert not validate_project(project, strict=True).ok


def test_a_failure_limit_that_can_never_be_passed_is_refused(project: Path, write: Write) -> None:
    spec = _metric(
        "{builtin: {metric: responses}}", "failureCondition: result.canary < 1", "count: 3\nfailureLimit: 3"
    )
    assert _errors(project, write, spec) == [
        "t.yaml:11:21: error: spec.metrics[0].failureLimit: 3 allows every one of the 3 measurements to "
        "fail: the analysis could never fail (it fails above failureLimit) [analysis.failure-limit]"
    ]


def test_consecutive_error_limit_builds_into_the_metric_with_argos_default(
    project: Path, write: Write
) -> None:
    spec = _metric("{webhook: {url: 'https://m.example.com/'}}", extra="consecutiveErrorLimit: 0")
    assert _errors(project, write, spec) == []
    (metric,) = load_project(project).desired.analysis_templates["t"].metrics
    assert metric.consecutive_error_limit == 0
    _errors(project, write, _metric("{webhook: {url: 'https://m.example.com/'}}"))
    (metric,) = load_project(project).desired.analysis_templates["t"].metrics
    assert metric.consecutive_error_limit == 4


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("-1", "Input should be greater than or equal to 0 [field.invalid]"),
        ("'2'", "Input should be a valid integer, got '2' [field.type]"),
        ("1.5", "Input should be a valid integer, got 1.5 [field.type]"),
    ],
)
def test_a_consecutive_error_limit_that_is_not_a_count_is_refused(
    project: Path, write: Write, value: str, message: str
) -> None:
    spec = _metric("{webhook: {url: 'https://m.example.com/'}}", extra=f"consecutiveErrorLimit: {value}")
    assert _errors(project, write, spec) == [
        f"t.yaml:10:30: error: spec.metrics[0].consecutiveErrorLimit: {message}"
    ]


def test_a_condition_nested_too_deeply_is_a_problem_not_a_crash(project: Path, write: Write) -> None:
    deep = "(" * 300 + "result.canary" + ")" * 300 + " < 1"
    spec = _metric("{builtin: {metric: responses}}", f"failureCondition: '{deep}'")
    assert _errors(project, write, spec) == [
        "t.yaml:9:25: error: spec.metrics[0].failureCondition: nested too deeply [analysis.condition]"
    ]


def test_without_a_provider_the_fields_a_condition_reads_are_not_judged(project: Path, write: Write) -> None:
    spec = _metric("{}", "successCondition: result.whatever < 1")
    assert [line.rsplit(" ", 1)[-1] for line in _errors(project, write, spec)] == ["[analysis.provider]"]
