"""Subset check for strings (length window, `pattern`, `format`) and exact pattern membership.

A string schema without `format` is a regular language (the pattern's search language cut to the length
window), so inclusion is decided exactly on automata (`automata.gap`): a gap is a witness string and
proves NO, no gap proves YES. A `format` on the subset side keeps a gap from being a witness unless the
witness is surely of that format; a `format` on the superset side is judged by `formats`. Patterns outside
the regular subset (`ecma.Unsupported`) leave the answer UNKNOWN, save for the few probes below.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import TYPE_CHECKING

from reconciler.schema.compat.ecma import Unsupported
from reconciler.schema.compat.formats import SURE, candidates, format_member, known, shape
from reconciler.schema.compat.normal import StrC
from reconciler.schema.compat.verdict import Compat, worst

if TYPE_CHECKING:
    from reconciler.schema.compat.automata import Lang

Issue = tuple[str, Compat, str]
# Constructs Python's `re` reads differently from ECMA-262 (or ECMA rejects): no Python fallback with them.
_PY_ONLY = re.compile(r"\\[AZzGaeNpPuUx]|\(\?[^:=!<]|\(\?<[^=!]|[*+?}]\+|\{,")
_PROBES = ("", " ", "a", "0", "-", "~", "zz", "00", "A-1", " x ")


@lru_cache(maxsize=512)
def _compiled(pattern: str) -> tuple[re.Pattern[str], re.Pattern[str]] | None:
    if _PY_ONLY.search(pattern):
        return None
    try:
        return re.compile(pattern), re.compile(pattern, re.ASCII)
    except re.error:
        return None


def pattern_match(pattern: str, text: str) -> Compat:
    """Does `pattern` find a match in `text`? Exact on the regular subset of ECMA-262; beyond it (lookarounds,
    say) Python's `re` is trusted only where its Unicode and ASCII readings agree and no newline is involved
    (ECMA's `$` is end of input, Python's also matches before a final newline)."""
    from reconciler.schema.compat.automata import matches

    try:
        return Compat.YES if matches(pattern, text) else Compat.NO
    except Unsupported:
        pass
    compiled = _compiled(pattern)
    if compiled is None or "\n" in text:
        return Compat.UNKNOWN
    uni, ascii_ = (c.search(text) is not None for c in compiled)
    if uni != ascii_:
        return Compat.UNKNOWN
    return Compat.YES if uni else Compat.NO


def str_member(value: str, c: StrC) -> Compat:
    length = len(value)
    if length < c.min_len or (c.max_len is not None and length > c.max_len):
        return Compat.NO
    parts = [Compat.YES]
    if c.pattern is not None:
        parts.append(pattern_match(c.pattern, value))
    if c.fmt is not None:
        parts.append(format_member(value, c.fmt))
    return worst(parts)


def language(c: StrC) -> Lang:
    """The regular language holding V(c): its pattern and length window, cut to its format's shape."""
    from reconciler.schema.compat.automata import Lang

    return Lang.of(c.pattern, c.min_len, c.max_len, also=shape(c.fmt))


def str_disjoint(a: StrC, b: StrC) -> bool:
    """No string in both (length windows apart, or the languages' intersection empty)?"""
    from reconciler.schema.compat.automata import Lang, gap

    lo = max(a.min_len, b.min_len)
    highs = [h for h in (a.max_len, b.max_len) if h is not None]
    hi = min(highs) if highs else None
    if hi is not None and lo > hi:
        return True
    if a.pattern is None and b.pattern is None and a.fmt is None and b.fmt is None:
        return False  # overlapping windows of unconstrained strings
    both = language(a).patterns + language(b).patterns
    try:
        return gap(Lang(both, lo, hi), []) is None
    except Unsupported:
        return False


def _refute(a: StrC, pattern: str | None, lo: int, hi: int | None) -> tuple[Compat, str | None]:
    """Is every string of `a` inside Lang(pattern, lo, hi)? NO comes with a witness."""
    if a.pattern is None and a.fmt is None and pattern is None:  # windows alone: no automata needed
        for n in (a.min_len, None if hi is None else hi + 1):
            inside_a = n is not None and (a.max_len is None or n <= a.max_len)
            if inside_a and n is not None and (n < lo or (hi is not None and n > hi)):
                return Compat.NO, "a" * n
        return Compat.YES, None
    from reconciler.schema.compat.automata import Lang, gap

    try:
        witness = gap(language(a), [Lang.of(pattern, lo, hi)])
    except Unsupported:
        witness, tried = None, False
    else:
        tried = True
        if witness is None:
            return Compat.YES, None
        if a.fmt is None or format_member(witness, a.fmt) is Compat.YES:
            return Compat.NO, witness
    # A format on `a` (or an undecided pattern): its own example, or a few probes, may still be a witness.
    target = StrC(min_len=lo, max_len=hi, pattern=pattern)
    for probe in (*candidates(a.fmt), *((() if tried else _PROBES) if a.fmt is None else ())):
        if str_member(probe, a) is Compat.YES and str_member(probe, target) is Compat.NO:
            return Compat.NO, probe
    return Compat.UNKNOWN, None


def _format_refute(a: StrC, fmt: str) -> tuple[Compat, str | None]:
    """Is every string of `a` of format `fmt`? YES when a lies inside the format's sure shape; NO with a
    witness outside its necessary shape (or one the format check rejects); else UNKNOWN (see `formats`)."""
    from reconciler.schema.compat.automata import Lang, gap

    probes = list(candidates(a.fmt))
    try:
        if fmt in SURE and gap(language(a), [Lang.of(SURE[fmt])]) is None:
            return Compat.YES, None
        outside = gap(language(a), [Lang(shape(fmt))]) if known(fmt) else None
        shortest = gap(language(a), [])
    except Unsupported:
        outside = shortest = None
    probes = [p for p in (outside, shortest) if p is not None] + probes + ["a" * a.min_len]
    for probe in probes:
        if str_member(probe, a) is Compat.YES and format_member(probe, fmt) is Compat.NO:
            return Compat.NO, probe
    return Compat.UNKNOWN, None


def _strip_anchors(pattern: str) -> str:
    body = pattern.removeprefix("^")
    return body[:-1] if body.endswith("$") and not body.endswith("\\$") else body


@lru_cache(maxsize=256)
def _contained(small: str, big: str) -> bool | None:
    from reconciler.schema.compat.automata import Lang, gap

    try:
        return gap(Lang.of(small), [Lang.of(big)]) is None
    except Unsupported:
        return None


def pattern_rule(old: str, new: str) -> str:
    """Name a pattern change after the relation of the two languages (PAT-03/04/06)."""
    widened, narrowed = _contained(old, new), _contained(new, old)
    if widened and not narrowed:
        return "PAT-04"
    if narrowed and not widened and _strip_anchors(new) == _strip_anchors(old):
        return "PAT-06"
    return "PAT-03"


def _shown(witness: str | None) -> str:
    return f", e.g. {witness!r}" if witness is not None else ""


def str_subset(a: StrC, b: StrC, a_is_old: bool) -> list[Issue]:
    a_max = a.max_len
    if a_max is not None and a.min_len > a_max:
        return []  # a admits no string
    old, new = (a, b) if a_is_old else (b, a)
    side = "new" if a_is_old else "old"
    issues: list[Issue] = []
    if a.min_len < b.min_len or (b.max_len is not None and (a_max is None or a_max > b.max_len)):
        # A pattern or format on a may itself bound the lengths, so the window alone proves nothing.
        result, witness = _refute(a, None, b.min_len, b.max_len)
        if a.min_len < b.min_len and result is not Compat.YES:
            if a_is_old:
                rule = "STR-07" if old.min_len == 0 else "STR-05"
            else:
                rule = "STR-08" if new.min_len == 0 else "STR-06"
            message = f"minLength {old.min_len} -> {new.min_len}{_shown(witness)}"
            issues.append((rule, result, message))
        if b.max_len is not None and (a_max is None or a_max > b.max_len) and result is not Compat.YES:
            if a_is_old:
                rule = "STR-03" if old.max_len is None else "STR-02"
            else:
                rule = "STR-04" if new.max_len is None else "STR-01"
            issues.append((rule, result, f"maxLength {old.max_len} -> {new.max_len}{_shown(witness)}"))
    if b.pattern is not None and a.pattern != b.pattern:
        result, witness = _refute(a, b.pattern, 0, None)
        if result is not Compat.YES:
            if a.pattern is None:
                rule = "PAT-01" if a_is_old else "PAT-02"
            else:
                rule = pattern_rule(str(old.pattern), str(new.pattern))
            message = f"pattern {old.pattern!r} -> {new.pattern!r}: rejected by the {side}{_shown(witness)}"
            issues.append((rule, result, message))
    if b.fmt is not None and a.fmt != b.fmt:
        rule = ("FMT-01" if a_is_old else "FMT-02") if a.fmt is None else "FMT-03"
        result, witness = _format_refute(a, b.fmt)
        message = f"format {old.fmt!r} -> {new.fmt!r} (format read as an assertion){_shown(witness)}"
        if result is Compat.UNKNOWN and not known(b.fmt):
            message += "; a format this classifier does not know"
        issues.append((rule, result, message))
    return issues
