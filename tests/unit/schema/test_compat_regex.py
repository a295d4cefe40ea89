"""The pattern automata against an ECMA-262 engine (`regress`, u flag): membership agrees on random patterns
and strings, a gap is a real witness and no gap means inclusion; features outside the regular subset are
refused (UNKNOWN upstream), and an automaton too large to build is refused instead of hanging."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest
import regress
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from reconciler.schema.compat import Compat, classify
from reconciler.schema.compat.automata import Lang, gap, matches
from reconciler.schema.compat.ecma import Unsupported, parse
from reconciler.schema.compat.formats import EXAMPLES, NECESSARY, SURE, format_member

ATOMS = ["a", "b", "0", "-", ".", r"\d", r"\w", r"\s", r"\D", r"\W", r"\S", "[ab]", "[^a]", "[a-c0]", r"\.",
         r"\n", r"\x41", r"\u00e9", "[]", "[^]", r"[\d-]"]  # fmt: skip
TEXT = st.text(alphabet="ab0-.A\n \u00a0\u0663\u00e9\U0001f600", max_size=6)


@st.composite
def patterns(draw: st.DrawFn, depth: int = 0) -> str:
    parts = []
    for _ in range(draw(st.integers(1, 3))):
        if depth < 2 and draw(st.integers(0, 4)) == 0:
            inner = "|".join(draw(st.lists(patterns(depth + 1), min_size=1, max_size=2)))
            atom = f"({inner})" if draw(st.booleans()) else f"(?:{inner})"
        else:
            atom = draw(st.sampled_from(ATOMS))
        atom += draw(st.sampled_from(["", "", "*", "+", "?", "{2}", "{1,2}", "{0,}", "+?"]))
        parts.append(atom)
    body = "".join(parts)
    if depth == 0:
        body = draw(st.sampled_from(["", "^"])) + body + draw(st.sampled_from(["", "$"]))
    return body


FUZZ = settings(
    max_examples=300, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)


@FUZZ
@given(pattern=patterns(), texts=st.lists(TEXT, min_size=1, max_size=8))
def test_membership_agrees_with_an_ecma_engine(pattern: str, texts: list[str]) -> None:
    engine = regress.Regex(pattern, "u")
    for text in texts:
        assert matches(pattern, text) == (engine.find(text) is not None), (pattern, text)


@FUZZ
@given(small=patterns(), big=patterns(), texts=st.lists(TEXT, max_size=8))
def test_a_gap_is_a_witness_and_no_gap_is_inclusion(small: str, big: str, texts: list[str]) -> None:
    witness = gap(Lang.of(small), [Lang.of(big)])
    a, b = regress.Regex(small, "u"), regress.Regex(big, "u")
    if witness is not None:
        assume("\ud800" not in witness)  # regress takes UTF-8 text; a lone surrogate has none
        assert a.find(witness) is not None and b.find(witness) is None, (small, big, witness)
    else:
        for text in texts:
            assert a.find(text) is None or b.find(text) is not None, (small, big, text)


@pytest.mark.parametrize(
    "pattern",
    [r"^(a)\1$", r"(?=a)", r"(?!a)b", r"(?<=a)b", r"\bword", r"\p{L}", r"\u{61}", r"\a", "a{", "]", "}",
     "[\ud800-\udbff]", "\U0001f600", r"[\d-z]", r"\k<n>", "a**", "(a", "[z-a]", "a{3,2}", r"\01"],
)  # fmt: skip
def test_features_outside_the_regular_subset_are_refused(pattern: str) -> None:
    with pytest.raises(Unsupported):
        parse(pattern)


def test_ecma_classes_are_not_pythons() -> None:
    assert not matches(r"^\d$", "\u0663")  # Arabic-Indic three: a digit to Python, not to ECMA-262
    assert matches(r"^\s$", "\ufeff") and not matches(r"^\s$", "\x1c")
    assert not matches("^a$", "a\n")  # ECMA's $ is the end of input
    assert not matches("^.$", "\n") and matches("^.$", "\U0001f600")  # one code point under the u flag
    assert matches("^[^]$", "\n") and not matches("[]", "anything")


def test_an_automaton_over_budget_answers_unknown_quickly() -> None:
    start = time.perf_counter()
    verdict = classify({"type": "string", "pattern": "a[ab]{20}"}, {"type": "string", "pattern": "b[ab]{20}"})
    assert (verdict.backward, verdict.forward) == (Compat.UNKNOWN, Compat.UNKNOWN)
    assert time.perf_counter() - start < 30  # a bound against hanging, not a performance target


@pytest.mark.parametrize("fmt", sorted(EXAMPLES))
def test_each_format_example_is_surely_of_its_format_only(fmt: str) -> None:
    assert format_member(EXAMPLES[fmt], fmt) is Compat.YES
    assert matches(NECESSARY[fmt], EXAMPLES[fmt])
    if fmt in SURE:
        # The sure shape lies inside the necessary one, or membership could answer both YES and NO.
        assert gap(Lang.of(SURE[fmt]), [Lang.of(NECESSARY[fmt])]) is None


def test_format_membership_at_the_edges() -> None:
    assert format_member("2024-13-01", "date") is Compat.NO
    assert format_member("2024-02-30", "date") is Compat.UNKNOWN  # the month-length rule is not regular here
    assert format_member("no-at-sign", "email") is Compat.NO
    assert format_member("anything", "x-custom") is Compat.UNKNOWN


def test_the_automata_library_is_imported_only_when_a_pattern_is_judged() -> None:
    code = (
        "import sys\n"
        "from reconciler.schema.compat import classify\n"
        "classify({'type': 'string', 'maxLength': 3}, {'anyOf': [{'type': 'string'}, {'type': 'null'}]})\n"
        "assert 'greenery' not in sys.modules\n"
        "classify({'type': 'string', 'pattern': 'a'}, {'type': 'string', 'pattern': 'b'})\n"
        "assert 'greenery' in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
