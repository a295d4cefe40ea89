"""Object subset check: required keys, each property against its counterpart, additional properties, counts.

Every key is judged against the schema the other side applies to it (its property schema, else the
`additionalProperties` schema), so open and closed content models follow from set semantics alone. Changes
that add, remove or rename a key are reported once, at the property's pointer, with an OBJ-* rule named after
the edit (the same id in both directions); changes inside a kept property are reported by the recursion.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from reconciler.schema.compat.normal import Node, ObjC, canonical, escape
from reconciler.schema.compat.values import member
from reconciler.schema.compat.verdict import Compat, worst

if TYPE_CHECKING:
    from reconciler.schema.compat.subset import Check

_RENAME_SCAN = 64  # renames are looked for only among a few added/removed keys; it is a courtesy, not a proof


class _Namer:
    """Names the OBJ-* rule for an edit at one key, from the old and new object schemas."""

    def __init__(self, check: Check, old_node: Node, new_node: Node, old: ObjC, new: ObjC) -> None:
        self.check, self.old_node, self.new_node, self.old, self.new = check, old_node, new_node, old, new
        self._renames: set[str] | None = None

    def renames(self) -> set[str]:
        if self._renames is None:
            self._renames = set()
            removed = [k for k in self.old.props if k not in self.new.props][:_RENAME_SCAN]
            added = [k for k in self.new.props if k not in self.old.props][:_RENAME_SCAN]
            if removed and added:
                by_schema = {(canonical(self.old.props[k]), k in self.old.required): k for k in removed}
                for k in added:
                    twin = by_schema.get((canonical(self.new.props[k]), k in self.new.required))
                    if twin is not None:
                        self._renames.update((k, twin))
        return self._renames

    def nullable(self, obj: ObjC, node: Node, key: str, old: bool) -> bool:
        doc = self.check.a_doc if old == self.check.a_is_old else self.check.b_doc
        child = doc.node(obj.props[key], f"{node.pointer}/properties/{escape(key)}")
        return member(None, child, doc) is Compat.YES

    def rule(self, key: str) -> str:
        old, new = self.old, self.new
        in_old, in_new = key in old.props, key in new.props
        req_old, req_new = key in old.required, key in new.required
        old_closed, new_closed = old.additional is False, new.additional is False
        if in_old and in_new:
            if req_new and not req_old:
                raw = new.props[key]
                return "OBJ-10" if isinstance(raw, dict) and "default" in raw else "OBJ-08"
            return "OBJ-09" if req_old and not req_new else "OBJ-15"
        if (in_old or in_new) and key in self.renames():
            return "OBJ-19"
        if in_new:
            if req_new:
                strict_optional = new_closed and self.nullable(new, self.new_node, key, old=False)
                return "OBJ-20" if strict_optional else "OBJ-06"
            if old_closed:
                return "OBJ-01" if new_closed else "OBJ-13"
            if new_closed:
                return "OBJ-14"
            return "OBJ-05" if new.props[key] in ({}, True) else "OBJ-03"
        if in_old:
            if req_old:
                strict_optional = old_closed and self.nullable(old, self.old_node, key, old=True)
                return "OBJ-21" if strict_optional else "OBJ-07"
            if new_closed:
                return "OBJ-02" if old_closed else "OBJ-11"
            return "OBJ-04"
        return "OBJ-06" if req_new else "OBJ-07"


def object_sub(
    check: Check, an: Node, bn: Node, x: ObjC, y: ObjC, override: Mapping[str, Node] | None = None
) -> Compat:
    """V(x) ⊆ V(y); `override` replaces some of x's property schemas (one part of a discriminator split)."""
    a_doc, b_doc = check.a_doc, check.b_doc
    namer = _Namer(check, an, bn, x, y) if check.a_is_old else _Namer(check, bn, an, y, x)
    new_ptr = an.pointer if not check.a_is_old else bn.pointer
    old_ptr = bn.pointer if not check.a_is_old else an.pointer
    cache: dict[str, Node] = {}

    def extra(doc: Any, c: ObjC, node: Node) -> Node:
        key = "a" if doc is a_doc else "b"
        if key not in cache:
            cache[key] = doc.node(c.additional, f"{node.pointer}/additionalProperties")
        return cache[key]

    def at(key: str) -> str:
        base = new_ptr if key in (x.props if not check.a_is_old else y.props) else old_ptr
        return f"{base}/properties/{escape(key)}"

    results: list[Compat] = []
    for key in y.required:
        if key not in x.required:
            side = "new" if check.a_is_old else "old"
            results.append(
                check.report(at(key), namer.rule(key), Compat.NO, f"`{key}` required by the {side} schema")
            )
    for key, raw in x.props.items():
        if override is not None and key in override:
            na = override[key]
        else:
            na = a_doc.node(raw, f"{an.pointer}/properties/{escape(key)}")
        if na.is_false:
            continue
        if key in y.props:
            results.append(check.sub(na, b_doc.node(y.props[key], f"{bn.pointer}/properties/{escape(key)}")))
            continue
        found = check.quietly(na, extra(b_doc, y, bn))
        if found is not Compat.YES:
            results.append(check.report(at(key), namer.rule(key), found, _moved(key, check.a_is_old)))
    a_extra = extra(a_doc, x, an)
    if not a_extra.is_false:
        for key, raw in y.props.items():
            if key in x.props:
                continue
            found = check.quietly(a_extra, b_doc.node(raw, f"{bn.pointer}/properties/{escape(key)}"))
            if found is not Compat.YES:
                results.append(check.report(at(key), namer.rule(key), found, _moved(key, not check.a_is_old)))
        found = check.quietly(a_extra, extra(b_doc, y, bn))
        if found is not Compat.YES:
            old_add, new_add = (
                (x.additional, y.additional) if check.a_is_old else (y.additional, x.additional)
            )
            rule = "OBJ-11" if new_add is False else "OBJ-12" if old_add is False else "OBJ-15"
            message = f"additionalProperties {canonical(old_add)[:40]} -> {canonical(new_add)[:40]}"
            results.append(check.report(f"{new_ptr}/additionalProperties", rule, found, message))
    if x.min_props < y.min_props or (
        y.max_props is not None and (x.max_props is None or x.max_props > y.max_props)
    ):
        old, new = (x, y) if check.a_is_old else (y, x)
        message = f"properties count [{old.min_props}, {old.max_props}] -> [{new.min_props}, {new.max_props}]"
        results.append(check.report(new_ptr, "OBJ-18", Compat.NO, message))
    return worst(results)


def _moved(key: str, removed: bool) -> str:
    return f"`{key}` removed" if removed else f"`{key}` added"
