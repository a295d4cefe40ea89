"""The analysis condition language: what parses, what it means, and what is refused (with a column)."""

from __future__ import annotations

import pytest

from reconciler.model.expression import ExpressionError, parse

BUILTIN = {"canary": 0.02, "stable": 0.01, "canary_samples": 50.0, "stable_samples": 400.0}


@pytest.mark.parametrize(
    ("text", "result", "expected"),
    [
        ("result.canary <= result.stable * 1.5", BUILTIN, False),
        ("result.canary <= result.stable * 2", BUILTIN, True),
        ("result.canary - result.stable < 0.05 && result.canary_samples >= 50", BUILTIN, True),
        ("result.canary > 0.5 or result.stable > 0.5", BUILTIN, False),
        ("not (result.canary > 0.5)", BUILTIN, True),
        ("!(result < 3)", 2.0, False),
        ("0 < result < 1", 0.5, True),
        ("0 < result < 1", 1.5, False),
        ("abs(result - 10) <= 0.5", 10.25, True),
        ("max(result.canary, result.stable) == 0.02", BUILTIN, True),
        ("min(1, 2, 3) == 1", None, True),
        ("-result >= -1e-3", 0.0005, True),
        ("true and false", None, False),
        ("result >= .95", 0.96, True),
    ],
)
def test_conditions_mean_what_they_say(text: str, result: object, expected: bool) -> None:
    assert parse(text).holds(result) is expected  # type: ignore[arg-type]


def test_arithmetic_precedence() -> None:
    assert parse("1 + 2 * 3").evaluate(None) == 7.0
    assert parse("(1 + 2) * 3").evaluate(None) == 9.0
    assert parse("8 / 4 / 2").evaluate(None) == 1.0
    assert parse("2 - 1 - 1").evaluate(None) == 0.0


def test_fields_read_are_listed() -> None:
    assert parse("result.canary <= result.stable * 1.5").fields == {"canary", "stable"}
    assert parse("result > 1").fields == frozenset()


@pytest.mark.parametrize(
    ("text", "column", "words"),
    [
        ("reslt.canary < 1", 1, "unknown name 'reslt'"),
        ("result.canary <", 16, "expected a value"),
        ("result.canary < 1 )", 19, "unexpected ')'"),
        ("__import__('os')", 12, "unexpected"),
        ("__import__(1)", 1, "unknown name '__import__'"),
        ("result.canary < 'a'", 17, "unexpected"),
        ("result[0] > 1", 7, "unexpected"),
        ("1 < abs(2).canary", 12, "only `result` has fields"),
        ("(1 + 2", 7, "expected ')'"),
        ("open(1)", 1, "unknown name 'open'"),
        ("result.x.__class__", 9, "has no fields"),
        ("", 1, "expected a value"),
    ],
)
def test_refused_with_a_column(text: str, column: int, words: str) -> None:
    with pytest.raises(ExpressionError) as caught:
        parse(text)
    assert caught.value.column == column
    assert words in str(caught.value)


@pytest.mark.parametrize(
    ("text", "result", "words"),
    [
        ("result.canary > 1", 0.5, "is a number, it has no field"),
        ("result.latency > 1", BUILTIN, "no field 'latency'"),
        ("result > 1", BUILTIN, "has fields"),
        ("result / 0 > 1", 1.0, "division by zero"),
        ("result.canary + 1", BUILTIN, "not a condition"),
        ("result.canary and true", BUILTIN, "where a truth value belongs"),
        ("(1 < 2) + 1 > 0", None, "truth value where a number belongs"),
        ("result.canary > 1", {"canary": None}, "no value"),
        ("result > 1", None, "no value"),
    ],
)
def test_evaluation_errors_say_why(text: str, result: object, words: str) -> None:
    with pytest.raises(ExpressionError, match=words):
        parse(text).holds(result)  # type: ignore[arg-type]
