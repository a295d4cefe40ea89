"""Issue 12 item 14, below the CLI: the loader's limits, and the checks behind them for library callers."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from pydantic import ValidationError

from reconciler.config import ProjectConfig, TargetConfig
from reconciler.manifest import yaml_loader
from reconciler.manifest.paths import PathIssue, resolve
from reconciler.manifest.specs import SpendAlertSpec, SpendLimitSpec
from reconciler.manifest.yaml_loader import load_documents


def _issues(text: str) -> list[str]:
    return [issue.code for issue in load_documents(text)[1]]


def test_nesting_up_to_the_limit_loads_and_one_more_level_is_refused_where_it_starts() -> None:
    inside = yaml_loader.MAX_DEPTH - 1  # the root mapping is level 1
    docs, issues = load_documents("a: " + "[" * inside + "]" * inside)
    assert issues == [] and len(docs) == 1
    _, issues = load_documents("a: " + "[" * (inside + 1) + "]" * (inside + 1))
    assert [(i.code, i.line, i.column) for i in issues] == [("yaml.depth", 1, 4 + inside)]


def test_a_refused_document_does_not_leave_the_depth_raised_for_the_next() -> None:
    deep = "[" * 64 + "]" * 64
    docs, issues = load_documents(f"a: {deep}\n---\nb: [[1]]\n")
    assert [i.code for i in issues] == ["yaml.depth"]
    assert [d.root for d in docs if not d.damaged] == [{"b": [[1]]}]


@pytest.mark.parametrize(
    ("literal", "value"),
    [
        ("9223372036854775807", 2**63 - 1),
        ("-9223372036854775808", -(2**63)),
        ("0x7fffffffffffffff", 2**63 - 1),
    ],
)
def test_integers_in_the_64_bit_range_load(literal: str, value: int) -> None:
    docs, issues = load_documents(f"n: {literal}")
    assert issues == [] and docs[0].root == {"n": value}


@pytest.mark.parametrize(
    "literal",
    ["9223372036854775808", "-9223372036854775809", "0x10000000000000000", "1" * 5000, "-" + "1" * 101],
)
def test_integers_out_of_range_are_refused(literal: str) -> None:
    assert _issues(f"n: {literal}") == ["yaml.number"]


@pytest.mark.parametrize("literal", [".nan", ".NaN", ".inf", "-.Inf", "+.inf", "1.0e+400", "-1.5e+999"])
def test_non_finite_numbers_are_refused(literal: str) -> None:
    assert _issues(f"n: {literal}") == ["yaml.number"]


def test_quoted_text_that_looks_like_a_number_is_text() -> None:
    docs, issues = load_documents('a: ".nan"\nb: "' + "9" * 5000 + '"')
    assert issues == [] and docs[0].root["a"] == ".nan"


@pytest.mark.parametrize("text", ['a: "x\\0y"', '"k\\0": 1', "a: [b, 'c', \"\\0\"]"])
def test_nul_characters_are_refused(text: str) -> None:
    assert _issues(text) == ["yaml.nul"]


def test_a_nul_in_a_file_reference_is_a_path_problem(tmp_path: Path) -> None:
    found = resolve("files/a\0.md", tmp_path, tmp_path)
    assert isinstance(found, PathIssue) and found.code == "path.invalid"


@pytest.mark.parametrize("amount", [math.nan, math.inf, -math.inf, 1e300])
def test_money_must_be_finite_and_bounded(amount: float) -> None:
    with pytest.raises(ValidationError):
        SpendAlertSpec.model_validate(
            {"scope": "project", "thresholdUSD": amount, "notify": {"email": ["a@example.com"]}}
        )
    with pytest.raises(ValidationError):
        SpendLimitSpec.model_validate({"scope": "project", "amountUSD": amount})


@pytest.mark.parametrize(
    "url", ["http://[::1", "http://h:99999/v1", "http://h:x/v1", "ftp://h/v1", "http:///v1", "http://a b/v1"]
)
def test_an_invalid_base_url_is_refused_when_read(url: str) -> None:
    with pytest.raises(ValidationError, match="baseURL"):
        TargetConfig.model_validate({"type": "openai", "baseURL": url})


@pytest.mark.parametrize(
    "url", ["https://api.openai.com/v1", "http://127.0.0.1:8000/v1", "http://[::1]:8000/v1"]
)
def test_valid_base_urls_load(url: str) -> None:
    assert TargetConfig.model_validate({"type": "openai", "baseURL": url}).base_url == url


@pytest.mark.parametrize(
    "dsn",
    [
        "postgresql://postgres:pa%CAss@127.0.0.1:5432/test",
        "postgresql://postgres@127.0.0.1:5432/test?password=%ff",
        "sqlite:///state\0.db",
    ],
)
def test_a_state_dsn_that_cannot_be_opened_is_refused_without_quoting_it(dsn: str) -> None:
    with pytest.raises(ValidationError) as caught:
        ProjectConfig.model_validate({"state": dsn})
    messages = " ".join(str(error["msg"]) for error in caught.value.errors())
    assert "pa%CAss" not in messages and "%ff" not in messages
