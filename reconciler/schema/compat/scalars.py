"""Subset check for numbers (bounds, exclusivity, multipleOf, integrality); strings are in `strings`.
It returns the issues found as (rule, result, message); an empty list means ⊆.

Rules are named after the *change* (old → new), whichever direction is being checked, so that the backward and
forward runs report the same rule id for the same edit.
"""

from __future__ import annotations

import math
from fractions import Fraction

from reconciler.schema.compat.normal import NumC
from reconciler.schema.compat.values import num_member
from reconciler.schema.compat.verdict import Compat

Issue = tuple[str, Compat, str]
_PROBE_LIMIT = 2000


def _lcm(a: Fraction, b: Fraction) -> Fraction:
    """Least common multiple of two positive rationals: lcm(numerators) / gcd(denominators)."""
    return Fraction(math.lcm(a.numerator, b.numerator), math.gcd(a.denominator, b.denominator))


def grid(c: NumC) -> Fraction | None:
    """The spacing of the values a number schema admits, or None when they are dense."""
    if c.mult is not None:
        return _lcm(c.mult, Fraction(1)) if c.integral else c.mult
    return Fraction(1) if c.integral else None


def tighten(c: NumC) -> tuple[Fraction | None, bool, Fraction | None, bool]:
    """Bounds snapped onto the grid: for integers `minimum: 1` and `exclusiveMinimum: 0` are one bound."""
    g = grid(c)
    lo, lo_x, hi, hi_x = c.lo, c.lo_excl, c.hi, c.hi_excl
    if g is not None:
        if lo is not None:
            k = math.floor(lo / g) + 1 if lo_x else math.ceil(lo / g)
            lo, lo_x = k * g, False
        if hi is not None:
            k = math.ceil(hi / g) - 1 if hi_x else math.floor(hi / g)
            hi, hi_x = k * g, False
    return lo, lo_x, hi, hi_x


def num_empty(c: NumC) -> bool:
    lo, lo_x, hi, hi_x = tighten(c)
    return lo is not None and hi is not None and (lo > hi or (lo == hi and (lo_x or hi_x)))


def num_values(c: NumC, limit: int) -> list[Fraction] | None:
    """All admitted values when there are few (a bounded grid), else None."""
    g = grid(c)
    lo, _, hi, _ = tighten(c)
    if g is None or lo is None or hi is None:
        return None
    count = math.floor((hi - lo) / g) + 1
    if count > limit:
        return None
    return [lo + i * g for i in range(max(count, 0))]


def _lower_ok(a: tuple[Fraction | None, bool], b: tuple[Fraction | None, bool]) -> bool:
    (alo, ax), (blo, bx) = a, b
    if blo is None:
        return True
    if alo is None:
        return False
    return alo > blo or (alo == blo and (ax or not bx))


def _upper_ok(a: tuple[Fraction | None, bool], b: tuple[Fraction | None, bool]) -> bool:
    (ahi, ax), (bhi, bx) = a, b
    if bhi is None:
        return True
    if ahi is None:
        return False
    return ahi < bhi or (ahi == bhi and (ax or not bx))


def num_subset(a: NumC, b: NumC, a_is_old: bool) -> list[Issue]:
    if num_empty(a):
        return []
    old, new = (a, b) if a_is_old else (b, a)
    issues: list[Issue] = []
    alo, alx, ahi, ahx = tighten(a)
    blo, blx, bhi, bhx = tighten(b)
    if not _lower_ok((alo, alx), (blo, blx)):
        same = old.lo is not None and new.lo is not None and old.lo == new.lo and old.lo_excl != new.lo_excl
        if same:
            rule = "NUM-08"
        elif a_is_old:
            rule = "NUM-07" if new.lo_excl and old.lo is None else "NUM-02"
        else:
            rule = "NUM-06" if new.lo is None else "NUM-01"
        issues.append(
            (rule, Compat.NO, f"lower bound {_bound(old.lo, old.lo_excl)} -> {_bound(new.lo, new.lo_excl)}")
        )
    if not _upper_ok((ahi, ahx), (bhi, bhx)):
        same = old.hi is not None and new.hi is not None and old.hi == new.hi and old.hi_excl != new.hi_excl
        if same:
            rule = "NUM-08"
        elif a_is_old:
            rule = "NUM-05" if old.hi is None else "NUM-04"
        else:
            rule = "NUM-03"
        issues.append(
            (
                rule,
                Compat.NO,
                f"upper bound {_bound(old.hi, old.hi_excl, False)} -> {_bound(new.hi, new.hi_excl, False)}",
            )
        )
    gb = grid(b)
    if gb is not None and not issues:
        issues.extend(_multiple(a, gb, old, new, a_is_old))
    return issues


def _multiple(a: NumC, gb: Fraction, old: NumC, new: NumC, a_is_old: bool) -> list[Issue]:
    """b admits only multiples of `gb` (its multipleOf, and 1 for integers): does a stay on that grid?"""
    g = grid(a)
    if g is not None and (g / gb).denominator == 1:
        return []  # every admitted value of a sits on b's grid
    integral_change = old.integral != new.integral and grid(old) != grid(new)
    if integral_change and (old.mult is None or new.mult is None or old.mult == new.mult):
        rule = "TYP-02" if a_is_old else "TYP-01"
    elif old.mult is None:
        rule = "NUM-09"
    elif new.mult is None:
        rule = "NUM-10"
    elif (new.mult / old.mult).denominator == 1:
        rule = "NUM-11"
    elif (old.mult / new.mult).denominator == 1:
        rule = "NUM-12"
    else:
        rule = "NUM-13"
    message = (
        f"values restricted to multiples of {_fmt(gb)}" if a_is_old else f"values off the old grid {_fmt(gb)}"
    )
    lo, _, hi, _ = tighten(a)
    if g is None:  # dense: any interval wider than a point holds a value off every grid
        if lo is None or hi is None or lo < hi:
            return [(rule, Compat.NO, message)]
        return [] if (lo / gb).denominator == 1 else [(rule, Compat.NO, message)]
    # Look for a witness: an admitted value of a that b's grid rejects.
    start = lo if lo is not None else (hi - _PROBE_LIMIT * g if hi is not None else Fraction(0))
    for i in range(_PROBE_LIMIT):
        value = start + i * g
        if hi is not None and value > hi:
            break
        if num_member(value, a) and (value / gb).denominator != 1:
            return [(rule, Compat.NO, message)]
    return [(rule, Compat.UNKNOWN, message + " (no witness found quickly)")]


def _bound(value: Fraction | None, excl: bool, lower: bool = True) -> str:
    if value is None:
        return "none"
    sign = (">" if excl else ">=") if lower else ("<" if excl else "<=")
    return f"{sign}{_fmt(value)}"


def _fmt(value: Fraction | None) -> str:
    if value is None:
        return "none"
    return str(value.numerator) if value.denominator == 1 else str(float(value))
