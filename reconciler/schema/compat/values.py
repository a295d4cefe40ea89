"""Membership of one JSON value in a normalised schema, and cheap disjointness of schema pieces.

Membership decides finite sets exactly (enum/const, null, boolean, small integer ranges): a finite set is a
subset of S exactly when every member is in V(S). Anything not decided (formats at their validators' edges,
patterns outside the regular subset of ECMA-262, unmodelled keywords) is UNKNOWN, never YES.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from reconciler.schema.compat.normal import ArrC, Document, Node, NumC, ObjC, StrC, escape, json_key, num
from reconciler.schema.compat.strings import str_disjoint, str_member
from reconciler.schema.compat.verdict import Compat, best, worst

_MAX_DEPTH = 64


def kind_of(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def num_member(value: Fraction, c: NumC) -> bool:
    if c.integral and value.denominator != 1:
        return False
    if c.lo is not None and (value < c.lo or (c.lo_excl and value == c.lo)):
        return False
    if c.hi is not None and (value > c.hi or (c.hi_excl and value == c.hi)):
        return False
    return not (c.mult is not None and (value / c.mult).denominator != 1)


def member(value: Any, node: Node, doc: Document, depth: int = 0) -> Compat:
    """Is `value` in V(node)?"""
    if depth > _MAX_DEPTH:
        return Compat.UNKNOWN
    kind = kind_of(value)
    if kind not in node.kinds:
        return Compat.NO
    parts = [_base(value, kind, node.kinds[kind], node, doc, depth)]
    if node.enum is not None:
        keys = {json_key(v) for v in node.enum}
        parts.append(Compat.YES if json_key(value) in keys else Compat.NO)
    if node.any_of is not None:
        parts.append(best(member(value, b, doc, depth + 1) for b in node.any_of))
    if node.one_of is not None:
        hits = [member(value, b, doc, depth + 1) for b in node.one_of]
        if Compat.UNKNOWN in hits:
            parts.append(Compat.UNKNOWN)
        else:
            parts.append(Compat.YES if hits.count(Compat.YES) == 1 else Compat.NO)
    parts.extend(member(value, b, doc, depth + 1) for b in node.all_of)
    if node.ref is not None:
        parts.append(member(value, doc.target(node.ref), doc, depth + 1))
    if node.opaque:
        parts.append(Compat.UNKNOWN)
    return worst(parts)


def _base(value: Any, kind: str, c: Any, node: Node, doc: Document, depth: int) -> Compat:
    if c is None:
        return Compat.YES
    if isinstance(c, NumC):
        n = num(value)
        return Compat.UNKNOWN if n is None else (Compat.YES if num_member(n, c) else Compat.NO)
    if isinstance(c, StrC):
        return str_member(value, c)
    if isinstance(c, ArrC):
        if len(value) < c.min_items or (c.max_items is not None and len(value) > c.max_items):
            return Compat.NO
        if c.unique and len({json_key(v) for v in value}) != len(value):
            return Compat.NO
        items = doc.node(c.items, f"{node.pointer}/items")
        return worst(member(v, items, doc, depth + 1) for v in value)
    if isinstance(c, ObjC):
        if not c.required.issubset(value) or len(value) < c.min_props:
            return Compat.NO
        if c.max_props is not None and len(value) > c.max_props:
            return Compat.NO
        parts = []
        for key, v in value.items():
            if key in c.props:
                child = doc.node(c.props[key], f"{node.pointer}/properties/{escape(key)}")
            else:
                child = doc.node(c.additional, f"{node.pointer}/additionalProperties")
            parts.append(member(v, child, doc, depth + 1))
        return worst(parts)
    return Compat.YES


def finite_values(node: Node, doc: Document) -> tuple[Any, ...] | None:
    """The values of an `enum`/`const` node that survive its other keywords (undecided ones are kept)."""
    if node.enum is None:
        return None
    base = Node(node.pointer, node.raw, node.kinds)
    return tuple(v for v in node.enum if member(v, base, doc) is not Compat.NO)


def disjoint(a: Node, b: Node, a_doc: Document, b_doc: Document, depth: int = 0) -> bool:
    """Provably no common instance? Incomplete: kinds, finite sets, number intervals, string languages and
    required discriminators."""
    if depth > 3 or a.ref is not None or b.ref is not None:
        return False
    if not set(a.kinds).intersection(b.kinds):
        return True  # (also caught below; kept first because it is the cheapest answer)
    if (
        a.enum is not None
        and b.enum is not None
        and not {json_key(v) for v in a.enum} & {json_key(v) for v in b.enum}
    ):
        return True
    for one, two, d1 in ((a, b, a_doc), (b, a, b_doc)):
        if one.enum is not None and all(
            member(v, two, b_doc if d1 is a_doc else a_doc) is Compat.NO for v in one.enum
        ):
            return True
    return all(_kind_disjoint(kind, a, b, a_doc, b_doc, depth) for kind in set(a.kinds) & set(b.kinds))


def _kind_disjoint(kind: str, a: Node, b: Node, a_doc: Document, b_doc: Document, depth: int) -> bool:
    ca, cb = a.kinds[kind], b.kinds[kind]
    if isinstance(ca, NumC) and isinstance(cb, NumC):
        return _below(ca, cb) or _below(cb, ca)
    if isinstance(ca, StrC) and isinstance(cb, StrC):
        return str_disjoint(ca, cb)
    if isinstance(ca, ObjC) and isinstance(cb, ObjC):
        return objects_disjoint(a, b, ca, cb, a_doc, b_doc, depth)
    return False


def _below(x: NumC, y: NumC) -> bool:
    """Every number x admits is below every number y admits."""
    if x.hi is None or y.lo is None:
        return False
    return x.hi < y.lo or (x.hi == y.lo and (x.hi_excl or y.lo_excl))


def objects_disjoint(
    a: Node, b: Node, oa: ObjC, ob: ObjC, a_doc: Document, b_doc: Document, depth: int
) -> bool:
    """No shared instance if some key both require has disjoint value schemas (discriminators), or one
    side requires a key the other forbids (closed, or its property schema is false)."""
    for key in oa.required & ob.required:
        if key in oa.props and key in ob.props:
            ca = a_doc.node(oa.props[key], f"{a.pointer}/properties/{escape(key)}")
            cb = b_doc.node(ob.props[key], f"{b.pointer}/properties/{escape(key)}")
            if disjoint(ca, cb, a_doc, b_doc, depth + 1):
                return True
    for one, other in ((oa, ob), (ob, oa)):
        for key in one.required:
            schema = other.props.get(key, other.additional)
            if schema is False:
                return True
    return False
