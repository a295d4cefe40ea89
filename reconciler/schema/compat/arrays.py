"""Array subset check: item counts (with the counts `items: false` and unique finite items imply),
`uniqueItems`, and the item schemas by recursion."""

from __future__ import annotations

from typing import TYPE_CHECKING

from reconciler.schema.compat.normal import ArrC, Document, Node, json_key
from reconciler.schema.compat.values import finite_values, member
from reconciler.schema.compat.verdict import Compat, worst

if TYPE_CHECKING:
    from reconciler.schema.compat.subset import Check


def array_sub(check: Check, an: Node, bn: Node, a: ArrC, b: ArrC) -> Compat:
    pointer = check.where(an, bn)
    ia = check.a_doc.node(a.items, f"{an.pointer}/items")
    ib = check.b_doc.node(b.items, f"{bn.pointer}/items")
    a_max, b_max = _max_items(a, ia, check.a_doc), _max_items(b, ib, check.b_doc)
    if a_max is not None and a.min_items > a_max:
        return Compat.YES
    old, new = (a, b) if check.a_is_old else (b, a)
    results: list[Compat] = []
    if a.min_items < b.min_items:
        rule = "ARR-04" if check.a_is_old else "ARR-05"
        results.append(check.report(pointer, rule, Compat.NO, f"minItems {old.min_items} -> {new.min_items}"))
    if b_max is not None and (a_max is None or a_max > b_max):
        rule = "ARR-06" if check.a_is_old else "ARR-07"
        results.append(check.report(pointer, rule, Compat.NO, f"maxItems {old.max_items} -> {new.max_items}"))
    if b.unique and not a.unique and (a_max is None or a_max >= 2):
        results.append(
            check.report(pointer, "ARR-08", Compat.NO, f"uniqueItems {old.unique} -> {new.unique}")
        )
    if a_max != 0:
        results.append(check.sub(ia, ib))
    return worst(results)


def _max_items(c: ArrC, items: Node, doc: Document) -> int | None:
    """The longest array admitted: `items: false` admits only [], and unique items drawn from k values
    admit at most k (when every value is known to be admitted)."""
    if items.is_false:
        return 0
    most = c.max_items
    values = finite_values(items, doc) if c.unique else None
    if values is not None and all(member(v, items, doc) is Compat.YES for v in values):
        distinct = len({json_key(v) for v in values})
        most = distinct if most is None else min(most, distinct)
    return most
