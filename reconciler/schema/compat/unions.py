"""Union coverage: is one atom inside the union of several `anyOf`/`oneOf` branches, none of which holds it
alone? And the exclusivity `oneOf` adds. Each question is decided exactly where it can be:

- numbers: the atom's interval is swept by the branches' intervals (on its grid, when it has one);
- strings: the branches' regular languages (pattern and length window) are united on automata;
- objects: the atom is split on a required discriminator with finitely many values, and each part is held
  against the branches that accept its value (a discriminated union, however it is spelled);
- otherwise, and for NO in every case, a counterexample: a sample of the atom that the union rejects, or,
  for `oneOf`, one that two branches accept.
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import TYPE_CHECKING, Any

from reconciler.schema.compat.ecma import Unsupported
from reconciler.schema.compat.normal import KINDS, Node, NumC, ObjC, StrC, escape
from reconciler.schema.compat.scalars import grid, num_empty, tighten
from reconciler.schema.compat.strings import language
from reconciler.schema.compat.values import disjoint, finite_values, member
from reconciler.schema.compat.verdict import Compat, worst
from reconciler.schema.compat.witness import counterexample

if TYPE_CHECKING:
    from reconciler.schema.compat.subset import Atom, Check

_SPLIT_LIMIT = 64


def covered(check: Check, x: Atom, cands: list[Atom]) -> Compat | None:
    """YES when the branches together hold x; a reported NO/UNKNOWN from a discriminator split; None when
    this module cannot tell (the caller then looks for a counterexample)."""
    if isinstance(x.c, NumC):
        return Compat.YES if _numbers(x.c, [y.c for y in cands if isinstance(y.c, NumC)]) else None
    if isinstance(x.c, StrC):
        return Compat.YES if _strings(x.c, [y.c for y in cands if isinstance(y.c, StrC)]) else None
    if isinstance(x.c, ObjC):
        return _split(check, x, x.c, cands)
    return None


def refuted(check: Check, a: Node, b: Node, hints: list[Node], pointer: str, rule: str, what: str) -> bool:
    """Report NO at `pointer` if a counterexample exists."""
    found, value = counterexample(a, check.a_doc, b, check.b_doc, hints)
    if found:
        src, dst = ("old", "new") if check.a_is_old else ("new", "old")
        shown = repr(value)[:80]
        check.report(pointer, rule, Compat.NO, f"{what}: {shown} is accepted by the {src}, not the {dst}")
    return found


def in_one_of(check: Check, a: Node, branches: tuple[Node, ...]) -> Compat:
    """a ⊆ oneOf[...]: every atom of a inside one branch and provably disjoint from all the others."""
    pointer = a.pointer if not check.a_is_old else branches[0].pointer.rsplit("/", 2)[0]
    atoms = check.atoms(a, check.a_doc, exact=False)
    parts = [(x.node, x) for x in atoms] if atoms is not None else [(a, None)]
    if all(_exclusive(check, node, branches) for node, _ in parts):
        return Compat.YES
    union = Node(pointer, None, dict.fromkeys(KINDS), one_of=branches)
    if refuted(check, a, union, list(branches), pointer, "CMP-07", "oneOf: not exactly one branch"):
        return Compat.NO
    message = "oneOf branches may overlap; exclusivity not proven"
    return check.report(pointer, "CMP-07", Compat.UNKNOWN, message)


def _exclusive(check: Check, node: Node, branches: tuple[Node, ...]) -> bool:
    for i, branch in enumerate(branches):
        if check.quietly(node, branch) is Compat.YES and all(
            disjoint(node, other, check.a_doc, check.b_doc) for j, other in enumerate(branches) if j != i
        ):
            return True
    return False


# -- numbers -------------------------------------------------------------------------------------------------
def _numbers(x: NumC, ys: list[NumC]) -> bool:
    if num_empty(x):
        return True
    g = grid(x)
    if g is None:  # dense: only dense branches can hold an interval
        spans = [tighten(y) for y in ys if grid(y) is None]
        return _sweep_dense(tighten(x), spans)
    # On x's grid every branch whose grid divides x's is an interval of grid indices.
    lo, _, hi, _ = tighten(x)
    idx = [_indices(tighten(y), g) for y in ys if (gy := grid(y)) is None or (g / gy).denominator == 1]
    start = None if lo is None else int(lo / g)
    stop = None if hi is None else int(hi / g)
    return _sweep_ints(start, stop, [i for i in idx if i is not None])


def _indices(span: tuple[Any, bool, Any, bool], g: Fraction) -> tuple[int | None, int | None] | None:
    lo, lo_x, hi, hi_x = span
    first = None if lo is None else (math.floor(lo / g) + 1 if lo_x else math.ceil(lo / g))
    last = None if hi is None else (math.ceil(hi / g) - 1 if hi_x else math.floor(hi / g))
    if first is not None and last is not None and first > last:
        return None
    return first, last


def _sweep_ints(start: int | None, stop: int | None, spans: list[tuple[int | None, int | None]]) -> bool:
    cur = start  # the next grid index still to cover (None: minus infinity)
    while True:
        reach: int | None = None
        for lo, hi in spans:
            if lo is not None and (cur is None or lo > cur):
                continue
            if hi is None:
                return True
            if cur is not None and hi < cur:
                continue
            reach = hi if reach is None else max(reach, hi)
        if reach is None:
            return False
        if stop is not None and reach >= stop:
            return True
        cur = reach + 1


def _sweep_dense(x: tuple[Any, bool, Any, bool], spans: list[tuple[Any, bool, Any, bool]]) -> bool:
    value, open_ = x[0], x[1]  # still to cover: points > value (open) or >= value; None is minus infinity
    x_hi, x_hi_x = x[2], x[3]
    while True:
        reach: tuple[Any, bool] | None = None
        for lo, lo_x, hi, hi_x in spans:
            starts = lo is None or (
                value is not None and (lo < value or (lo == value and (open_ or not lo_x)))
            )
            if not starts:
                continue
            if hi is None:
                return True
            if value is not None and (hi < value or (hi == value and (hi_x or open_))):
                continue
            if reach is None or hi > reach[0] or (hi == reach[0] and not hi_x):
                reach = (hi, hi_x)
        if reach is None:
            return False
        hi, hi_x = reach
        if x_hi is not None and (hi > x_hi or (hi == x_hi and (not hi_x or x_hi_x))):
            return True
        value, open_ = hi, not hi_x


# -- strings -------------------------------------------------------------------------------------------------
def _strings(x: StrC, ys: list[StrC]) -> bool:
    from reconciler.schema.compat.automata import Lang, gap

    langs = [Lang.of(y.pattern, y.min_len, y.max_len) for y in ys if y.fmt is None]  # formats only shrink
    try:
        return gap(language(x), langs) is None
    except Unsupported:
        return False


# -- objects -------------------------------------------------------------------------------------------------
def _split(check: Check, x: Atom, c: ObjC, cands: list[Atom]) -> Compat | None:
    guard = (f"{x.node.pointer}#split", "")  # a recursive schema must not split the same atom forever
    if guard in check.assumed:
        return None
    check.assumed.add(guard)
    try:
        return _split_on_key(check, x, c, cands)
    finally:
        check.assumed.discard(guard)


def _split_on_key(check: Check, x: Atom, c: ObjC, cands: list[Atom]) -> Compat | None:
    a_doc, b_doc = check.a_doc, check.b_doc
    for key in sorted(c.required & set(c.props)):
        pointer = f"{x.node.pointer}/properties/{escape(key)}"
        prop = a_doc.node(c.props[key], pointer)
        values = finite_values(prop, a_doc)
        if values is None and set(prop.kinds) == {"boolean"} and not prop.composite:
            values = (False, True)
        if not values or len(values) > _SPLIT_LIMIT:
            continue
        groups: list[list[Atom]] = []
        for value in values:
            fits = [(y, member(value, _child(check, y, key), b_doc)) for y in cands]
            if any(r is Compat.UNKNOWN for _, r in fits):
                break
            groups.append([y for y, r in fits if r is Compat.YES])
        else:
            if all(len(g) <= 1 for g in groups) and any(groups):
                return _judge(check, x, c, key, pointer, values, groups)
    return None


def _child(check: Check, y: Atom, key: str) -> Node:
    assert isinstance(y.c, ObjC)
    if key in y.c.props:
        return check.b_doc.node(y.c.props[key], f"{y.node.pointer}/properties/{escape(key)}")
    return check.b_doc.node(y.c.additional, f"{y.node.pointer}/additionalProperties")


def _judge(
    check: Check, x: Atom, c: ObjC, key: str, pointer: str, values: tuple[Any, ...], groups: list[list[Atom]]
) -> Compat:
    from reconciler.schema.compat.objects import object_sub

    results: list[Compat] = []
    for value, group in zip(values, groups, strict=True):
        const = Node(pointer, {"const": value}, dict.fromkeys(KINDS), enum=(value,), enum_is_const=True)
        if not group:
            message = f"`{key}` = {value!r} accepted by no branch of the union"
            results.append(check.report(pointer, "CMP-04", Compat.UNKNOWN, message))
            continue
        y = group[0]
        assert isinstance(y.c, ObjC)
        results.append(object_sub(check, x.node, y.node, c, y.c, override={key: const}))
    return worst(results)
