"""Counterexamples: concrete instances of one schema, chosen near the boundaries of another, that prove NO
where the structural check stops at UNKNOWN (a value that overlapping union branches all reject, a value
two `oneOf` branches both accept).

A sample proves nothing by how it was made: it counts only when exact membership (`values.member`) says it
is in V(a) and not in V(b). So the generator may be as heuristic as it likes; soundness rests on `member`.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from reconciler.schema.compat.ecma import Unsupported
from reconciler.schema.compat.formats import candidates
from reconciler.schema.compat.normal import ArrC, Document, Node, NumC, ObjC, StrC, escape
from reconciler.schema.compat.scalars import grid
from reconciler.schema.compat.strings import language
from reconciler.schema.compat.values import member, num_member
from reconciler.schema.compat.verdict import Compat

_PER_NODE = 16
_MAX_DEPTH = 4
_KEYS = 8  # properties varied one at a time per object
_BUDGET = 300  # schema locations sampled per search: a search is a courtesy, never a cost


def counterexample(a: Node, a_doc: Document, b: Node, b_doc: Document, hints: list[Node]) -> tuple[bool, Any]:
    """(True, v) for some v in V(a) \\ V(b), found among samples of `a` shaped by the `hints` (nodes of b)."""
    for value in samples(a, a_doc, hints, b_doc, 0, [_BUDGET]):
        if member(value, a, a_doc) is Compat.YES and member(value, b, b_doc) is Compat.NO:
            return True, value
    return False, None


def _expand(nodes: list[Node], doc: Document) -> list[Node]:
    """The hint nodes with their branches, conjuncts and `$ref` targets alongside (one level deep each)."""
    out: list[Node] = []
    stack = list(nodes)
    while stack and len(out) < 32:
        node = stack.pop(0)
        out.append(node)
        stack.extend(node.any_of or ())
        stack.extend(node.one_of or ())
        stack.extend(node.all_of)
        if node.ref is not None:
            try:
                stack.append(doc.target(node.ref))
            except ValueError:
                continue
    return out


def samples(
    node: Node, doc: Document, hints: list[Node], hdoc: Document, depth: int, budget: list[int]
) -> list[Any]:
    """Instances of `node` (not all of them valid: callers check), boundary values of `hints` first."""
    if depth > _MAX_DEPTH or budget[0] <= 0:
        return []
    budget[0] -= 1
    hints = _expand(hints, hdoc)
    out: list[Any] = []
    for part in _expand([node], doc):
        out.extend(_base(part, doc, hints, hdoc, depth, budget))
        if len(out) >= 4 * _PER_NODE:
            break
    unique: dict[str, Any] = {}
    for value in out:
        unique.setdefault(repr(value), value)
    return list(unique.values())[: 4 * _PER_NODE]


def _base(
    node: Node, doc: Document, hints: list[Node], hdoc: Document, depth: int, budget: list[int]
) -> list[Any]:
    if node.enum is not None:
        return list(node.enum[:_PER_NODE])
    out: list[Any] = []
    for kind, c in node.kinds.items():
        if kind == "null":
            out.append(None)
        elif kind == "boolean":
            out += [False, True]
        elif kind == "number":
            out += _numbers(c if isinstance(c, NumC) else NumC(), [h.kinds.get("number") for h in hints])
        elif kind == "string":
            out += _strings(c if isinstance(c, StrC) else StrC(), [h.kinds.get("string") for h in hints])
        elif kind == "array":
            out += _arrays(node, c if isinstance(c, ArrC) else ArrC(), doc, hints, hdoc, depth, budget)
        elif kind == "object":
            out += _objects(node, c if isinstance(c, ObjC) else ObjC(), doc, hints, hdoc, depth, budget)
    return out


def _numbers(c: NumC, hints: list[Any]) -> list[Any]:
    step = grid(c) or Fraction(1, 2)
    points = {Fraction(0), Fraction(1), Fraction(-1), Fraction(1, 2)}
    for bound in (c.lo, c.hi):
        if bound is not None:
            points.update({bound, bound + step, bound - step})
    for h in hints:
        if isinstance(h, NumC):
            for bound in (h.lo, h.hi):
                if bound is not None:
                    points.update({bound, bound - step, bound + step, bound - Fraction(1, 2), bound + 1})
            if h.mult is not None:
                points.update({h.mult / 2, h.mult + 1})
    out: list[Any] = []
    for p in sorted(points):
        if num_member(p, c):
            out.append(int(p) if p.denominator == 1 else float(p))
    return out[:_PER_NODE]


def _strings(c: StrC, hints: list[Any]) -> list[str]:
    from reconciler.schema.compat.automata import Lang, gap

    out: list[str] = [*candidates(c.fmt)] if c.fmt is not None else []
    mine = language(c)
    others = [Lang.of(h.pattern, h.min_len, h.max_len) for h in hints if isinstance(h, StrC)]
    for outside in ([], *([o] for o in others), others):
        try:
            found = gap(mine, outside)
        except Unsupported:
            break
        if found is not None:
            out.append(found)
    out += ["a" * c.min_len, *candidates(None)]
    return out[:_PER_NODE]


def _arrays(
    node: Node, c: ArrC, doc: Document, hints: list[Node], hdoc: Document, depth: int, budget: list[int]
) -> list[Any]:
    h_items = [
        hdoc.node(h_c.items, f"{h.pointer}/items")
        for h in hints
        if isinstance(h_c := h.kinds.get("array"), ArrC)
    ]
    items = samples(doc.node(c.items, f"{node.pointer}/items"), doc, h_items, hdoc, depth + 1, budget)[:4]
    out: list[Any] = [[]]
    counts = {c.min_items, max(c.min_items, 1), 2}
    for h in hints:
        h_c = h.kinds.get("array")
        if isinstance(h_c, ArrC):
            counts.update(n for n in (h_c.min_items - 1, (h_c.max_items or 0) + 1) if n >= 0)
    for n in sorted(counts):
        for item in items:
            out.append([item] * n)
        if len(items) > 1 and n >= 2:
            out.append([items[i % len(items)] for i in range(n)])
    return out[:_PER_NODE]


def _objects(
    node: Node, c: ObjC, doc: Document, hints: list[Node], hdoc: Document, depth: int, budget: list[int]
) -> list[Any]:
    h_objs = [(h, h_c) for h in hints if isinstance(h_c := h.kinds.get("object"), ObjC)]
    seen: dict[str, list[Any]] = {}

    def values(key: str) -> list[Any]:
        if key not in seen:
            seen[key] = _values(key)
        return seen[key]

    def _values(key: str) -> list[Any]:
        if key in c.props:
            child = doc.node(c.props[key], f"{node.pointer}/properties/{escape(key)}")
        else:
            child = doc.node(c.additional, f"{node.pointer}/additionalProperties")
        h_children = [
            hdoc.node(h_c.props[key], f"{h.pointer}/properties/{escape(key)}")
            if key in h_c.props
            else hdoc.node(h_c.additional, f"{h.pointer}/additionalProperties")
            for h, h_c in h_objs
        ]
        return samples(child, doc, h_children, hdoc, depth + 1, budget)[:4]

    base: dict[str, Any] = {}
    for key in sorted(c.required):
        found = values(key)
        if not found:
            return []
        base[key] = found[0]
    out: list[Any] = [base]
    full = dict(base)
    for key in list(c.props)[:_KEYS]:
        for value in values(key):
            out.append({**base, key: value})
            full.setdefault(key, value)
    out.append(full)
    # Keys only the other side names (a key it requires lets an instance reach into its branches).
    other_keys = [k for _, h_c in h_objs for k in (*sorted(h_c.required), *h_c.props) if k not in c.props]
    if c.additional is not False:
        key = "extra"
        while key in c.props:
            key += "_"
        other_keys.append(key)
    for key in list(dict.fromkeys(other_keys))[:_KEYS]:
        out += [{**base, key: value} for value in values(key)]
    return out[: 3 * _PER_NODE]
