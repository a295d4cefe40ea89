"""The workflow language the test runner (tests/integration/workflow_runner.py) evaluates: the expressions
this repository's workflows use, with GitHub's coercions, `if:` with its implied `success()`, typed `with:`
values, GITHUB_OUTPUT's two forms, triggers' filters and the permission check."""

from __future__ import annotations

from typing import Any

import pytest

from tests.integration.workflow_syntax import (
    check_permissions,
    condition,
    evaluate,
    filters_pass,
    ordered,
    parse_outputs,
    render,
)

OK = {"success": True, "failure": False, "always": True, "cancelled": False}
FAILED = {"success": False, "failure": True, "always": True, "cancelled": False}


def context(event_name: str, **inputs: Any) -> dict[str, Any]:
    fork = {"pull_request": {"head": {"repo": {"fork": True}}}} if event_name == "pull_request" else {}
    return {"github": {"event_name": event_name, "event": fork}, "inputs": inputs, "vars": {}}


def test_the_apply_jobs_condition() -> None:
    expression = (
        "github.event_name == 'push' || (github.event_name == 'workflow_dispatch' && inputs.verb == 'apply')"
    )
    assert evaluate(expression, context("push")) is True
    assert evaluate(expression, context("workflow_dispatch", verb="apply")) is True
    assert evaluate(expression, context("workflow_dispatch", verb="abort")) is False
    assert evaluate(expression, context("pull_request")) is False


def test_coercions_and_operand_values() -> None:
    ctx = context("pull_request", verb="", name="CorporateAssist")
    assert evaluate("github.event.pull_request.head.repo.fork == true", ctx) is True
    assert evaluate("github.event.pull_request.head.repo.fork == true", context("push")) is False  # null
    assert evaluate("inputs.verb || 'step'", ctx) == "step"
    assert evaluate("inputs.name && 'named'", ctx) == "named"
    assert evaluate("'PUSH' == 'push'", ctx) is True  # strings compare case-insensitively
    assert evaluate("!inputs.verb", ctx) is True
    assert evaluate("startsWith(inputs.name, 'corp')", ctx) is True
    with pytest.raises(ValueError, match="not supported"):
        evaluate("hashFiles('x')", ctx)


def test_an_if_implies_success_unless_it_names_a_status_function() -> None:
    ctx = context("workflow_dispatch", name="x")
    assert condition("inputs.name != ''", ctx, OK) is True
    assert condition("inputs.name != ''", ctx, FAILED) is False
    assert condition("always() && inputs.name != ''", ctx, FAILED) is True
    assert condition("${{ inputs.name == 'y' }}", ctx, OK) is False
    assert condition(None, ctx, FAILED) is False


def test_render_keeps_one_expressions_type_and_formats_several() -> None:
    ctx = context("workflow_dispatch", flag=True, dir="sub", file="plan.json")
    assert render("${{ inputs.flag }}", ctx) is True
    assert render("${{ inputs.dir }}/${{ inputs.file }}", ctx) == "sub/plan.json"
    assert render("reconcile ${{ inputs.flag }}", ctx) == "reconcile true"
    assert render(3, ctx) == 3


def test_github_output_lines_and_heredocs() -> None:
    text = "changes=true\nfile=plan-a=b.json\nbody<<EOF\nline 1\nline 2\nEOF\nlast=1\n"
    assert parse_outputs(text) == {
        "changes": "true",
        "file": "plan-a=b.json",
        "body": "line 1\nline 2",
        "last": "1",
    }


def test_branch_and_path_filters() -> None:
    spec = {"branches": ["main"], "paths": ["manifests/**", "reconcile.yaml"]}
    assert filters_pass(spec, "refs/heads/main", ["manifests/a/b.yaml"])
    assert not filters_pass(spec, "refs/heads/main", ["README.md"])
    assert not filters_pass(spec, "refs/heads/dev", ["reconcile.yaml"])
    assert filters_pass(spec, "refs/heads/main", None)  # no changed files given: paths not checked


def test_jobs_run_in_needs_order_and_permissions_are_checked() -> None:
    jobs = {"status": {"needs": ["apply", "rollout"]}, "rollout": {}, "apply": {"needs": "plan"}, "plan": {}}
    order = ordered(jobs)
    assert order.index("plan") < order.index("apply") < order.index("status")
    check_permissions("apply", {"contents": "read", "actions": "write"}, {"actions": "read"}, "x.yml")
    check_permissions("apply", None, {"actions": "write"}, "x.yml")  # the caller leaves it to defaults
    with pytest.raises(AssertionError, match="needs pull-requests: write"):
        check_permissions("apply", {"pull-requests": "read"}, {"pull-requests": "write"}, "x.yml")
