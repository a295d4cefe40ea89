"""The subset engine: is V(a) ⊆ V(b)? Three-valued, sound for YES, with findings naming pointer and rule.

Both schemas are read as unions of *atoms* (one kind with its constraints, or a finite set of values). An atom
of a must fit the union of b's atoms of the same kind: exactly when one candidate remains after dropping
the provably disjoint ones; when several do, by union coverage (`unions`), and NO only with a counterexample
(`witness`). Conjunctions on the b side are exact (a ⊆ x ∩ y iff a ⊆ x and a ⊆ y); on the a side one
fitting conjunct suffices, else a counterexample, else UNKNOWN.
Recursion through `$ref` is coinductive: a pair of object/array locations met again on the current path is
assumed to hold, which is sound because every such cycle passes through a property or an item.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from reconciler.schema.compat.normal import KINDS, ArrC, Document, Node, NumC, ObjC, StrC, json_key
from reconciler.schema.compat.scalars import num_empty, num_subset, num_values
from reconciler.schema.compat.strings import str_subset
from reconciler.schema.compat.unions import covered, in_one_of, refuted
from reconciler.schema.compat.values import disjoint, finite_values, kind_of, member
from reconciler.schema.compat.verdict import Compat, best, weaken, worst
from reconciler.schema.compat.witness import counterexample

_MAX_DEPTH = 200
_SMALL_RANGE = 256
RULE_OPAQUE = "X-OPAQUE"  # outside the catalogue: a keyword the classifier does not model (`not`, `if`, ...)


@dataclass(slots=True)
class Issue:
    pointer: str
    rule: str
    result: Compat
    message: str


@dataclass(slots=True, eq=False)
class Atom:
    kind: str  # a kind from KINDS (minus null/boolean) or "finite"
    node: Node
    c: Any = None
    values: tuple[Any, ...] = ()


class Check:
    """One direction: is V(a_doc) ⊆ V(b_doc)? `a_is_old` says which side is old (for rule names)."""

    def __init__(self, a_doc: Document, b_doc: Document, a_is_old: bool) -> None:
        self.a_doc, self.b_doc, self.a_is_old = a_doc, b_doc, a_is_old
        self.out: list[Issue] | None = []
        self.assumed: set[tuple[str, str]] = set()
        self.depth = 0

    # -- reporting -------------------------------------------------------------------------------------------
    def report(self, pointer: str, rule: str, result: Compat, message: str) -> Compat:
        if self.out is not None and result is not Compat.YES:
            self.out.append(Issue(pointer, rule, result, message))
        return result

    def quietly(self, a: Node, b: Node) -> Compat:
        saved, self.out = self.out, None
        try:
            return self.sub(a, b)
        finally:
            self.out = saved

    def weakened(self, mark: int, result: Compat) -> Compat:
        """A NO reached under approximation is downgraded, together with the findings recorded for it."""
        if result is Compat.NO and self.out is not None:
            for issue in self.out[mark:]:
                issue.result = weaken(issue.result)
        return weaken(result)

    def mark(self) -> int:
        return len(self.out) if self.out is not None else 0

    def where(self, a: Node, b: Node) -> str:
        """Findings point into the new schema when it has the location, else into the old one."""
        return a.pointer if not self.a_is_old else b.pointer

    # -- nodes -----------------------------------------------------------------------------------------------
    def run(self, a: Node, b: Node) -> Compat:
        return self.sub(a, b)

    def sub(self, a: Node, b: Node) -> Compat:
        if a.is_false or b.is_true:
            return Compat.YES
        self.depth += 1
        try:
            if self.depth > _MAX_DEPTH:
                return self.report(self.where(a, b), "REF-07", Compat.UNKNOWN, "recursion too deep to decide")
            return self._sub(a, b)
        finally:
            self.depth -= 1

    def _sub(self, a: Node, b: Node) -> Compat:
        b_atoms = self.atoms(b, self.b_doc, exact=True)
        if b_atoms is None:  # b is a conjunction: a must fit every conjunct
            return worst([self.sub_piece(a, piece) for piece in self.conjuncts(b, self.b_doc)])
        a_atoms = self.atoms(a, self.a_doc, exact=False)
        if a_atoms is None:  # a is a conjunction: one conjunct inside b suffices (an over-approximation of a)
            pieces = [p for p in self.conjuncts(a, self.a_doc) if isinstance(p, Node)]
            if any(self.quietly(p, b) is Compat.YES for p in pieces):
                return Compat.YES
            if refuted(self, a, b, [b], self.where(a, b), "CMP-04", "combined schema"):
                return Compat.NO
            return self.report(
                self.where(a, b),
                "CMP-04",
                Compat.UNKNOWN,
                "combined schema (allOf, anyOf with siblings) not decided",
            )
        kinds = (_kinds_of(a_atoms), _kinds_of(b_atoms), _union(a) or _union(b))
        return worst([self.atom_in(x, b_atoms, b, kinds) for x in a_atoms])

    def sub_piece(self, a: Node, piece: Node | tuple[str, Any]) -> Compat:
        if isinstance(piece, Node):
            return self.sub(a, piece)
        word, value = piece
        if word == "oneOf":
            return in_one_of(self, a, value)
        # An unmodelled keyword on b holds for a only if a repeats it verbatim at the same place.
        if isinstance(a.raw, dict) and word in a.raw and a.raw[word] == value and "$ref" not in repr(value):
            return Compat.YES
        return self.report(
            self.where(a, Node(a.pointer, None, {})), RULE_OPAQUE, Compat.UNKNOWN, f"`{word}` not modelled"
        )

    def conjuncts(self, node: Node, doc: Document) -> list[Node | tuple[str, Any]]:
        """V(node) as an intersection of pieces, each a Node or an unmodelled (keyword, value)."""
        pieces: list[Node | tuple[str, Any]] = []
        base = Node(node.pointer, node.raw, node.kinds, node.enum, enum_is_const=node.enum_is_const)
        if not base.is_true:
            pieces.append(base)
        if node.any_of is not None:
            pieces.append(Node(node.pointer, node.raw, dict.fromkeys(KINDS), any_of=node.any_of))
        if node.one_of is not None:
            # Exclusive branches make oneOf an anyOf; on the a side oneOf ⊆ anyOf soundly over-approximates
            if doc is self.a_doc or self.pairwise_disjoint(node.one_of, doc):
                pieces.append(Node(node.pointer, node.raw, dict.fromkeys(KINDS), any_of=node.one_of))
            else:
                pieces.append(("oneOf", node.one_of))
        pieces.extend(node.all_of)
        if node.ref is not None:
            pieces.append(doc.target(node.ref))
        pieces.extend(node.opaque.items())
        return pieces

    def pairwise_disjoint(self, branches: tuple[Node, ...], doc: Document) -> bool:
        return all(
            disjoint(branches[i], branches[j], doc, doc)
            for i in range(len(branches))
            for j in range(i + 1, len(branches))
        )

    def atoms(self, node: Node, doc: Document, exact: bool, depth: int = 0) -> list[Atom] | None:
        """The node as a union of atoms, or None when it is a genuine conjunction."""
        if depth > 32:
            return None
        if node.opaque:
            return None
        composite = node.composite
        base_free = Node(node.pointer, node.raw, node.kinds, node.enum).is_true
        if not composite:
            return self.base_atoms(node, doc)
        if not base_free:
            return None
        parts = [x for x in (node.any_of, node.one_of) if x is not None]
        if node.ref is not None and not parts and not node.all_of:
            return self.atoms(doc.target(node.ref), doc, exact, depth + 1)
        if len(parts) == 1 and node.ref is None and not node.all_of:
            if node.one_of is not None and exact and not self.pairwise_disjoint(node.one_of, doc):
                return None
            out: list[Atom] = []
            for branch in parts[0]:
                sub = self.atoms(branch, doc, exact, depth + 1)
                if sub is None:
                    return None
                out.extend(sub)
            return out
        if len(node.all_of) == 1 and not parts and node.ref is None:
            return self.atoms(node.all_of[0], doc, exact, depth + 1)
        return None

    def base_atoms(self, node: Node, doc: Document) -> list[Atom]:
        values = finite_values(node, doc)
        if values is not None:
            return [Atom("finite", node, values=values)] if values else []
        out: list[Atom] = []
        for kind, c in node.kinds.items():
            if kind == "null":
                out.append(Atom("finite", node, values=(None,)))
            elif kind == "boolean":
                out.append(Atom("finite", node, values=(False, True)))
            elif (
                isinstance(c, StrC)
                and c.max_len == 0
                and c.min_len == 0
                and c.pattern is None
                and c.fmt is None
            ):
                out.append(Atom("finite", node, values=("",)))
            else:
                out.append(Atom(kind, node, c if c is not None else _empty(kind)))
        return out

    # -- atoms -----------------------------------------------------------------------------------------------
    def atom_in(self, x: Atom, b_atoms: list[Atom], b: Node, kinds: _Kinds) -> Compat:
        """Is atom x inside the union b_atoms (whose node is b)?"""
        if x.kind == "finite":
            return self.values_in(x, b, kinds, b_atoms)
        if x.kind == "number" and isinstance(x.c, NumC):
            if num_empty(x.c):
                return Compat.YES
            few = num_values(x.c, _SMALL_RANGE)
            numeric = [y for y in b_atoms if y.kind == "number" or (y.kind == "finite" and _has_number(y))]
            if few is not None and len(numeric) > 1:
                vals = tuple(int(v) if v.denominator == 1 else float(v) for v in few)
                return self.values_in(Atom("finite", x.node, values=vals), b, kinds, b_atoms)
        same = [y for y in b_atoms if y.kind == x.kind]
        finite = [y for y in b_atoms if y.kind == "finite" and any(kind_of(v) == x.kind for v in y.values)]
        cands = (
            [y for y in same if not disjoint(x.node, y.node, self.a_doc, self.b_doc)]
            if len(same) > 1
            else same
        )
        if not cands:
            return self.kind_missing(x, b, finite, kinds)
        if len(cands) == 1:
            if not finite:
                return self.atom_sub(x, cands[0])
            if self.quietly_atom(x, cands[0]) is Compat.YES:
                return Compat.YES
            mark = self.mark()
            result = self.atom_sub(x, cands[0])
            # The finite branch might hold what the other rejects: NO stands only with a counterexample.
            if result is Compat.NO and counterexample(x.node, self.a_doc, b, self.b_doc, [b])[0]:
                return result
            return self.weakened(mark, result)
        if best(self.quietly_atom(x, y) for y in cands) is Compat.YES:
            return Compat.YES
        joint = covered(self, x, cands)
        if joint is Compat.YES or joint is Compat.NO:
            return joint
        where = self.where(x.node, b)
        if refuted(self, x.node, b, [b], where, "CMP-04", "no branch of the union holds it"):
            return Compat.NO
        if joint is not None:
            return joint
        message = f"{x.kind} fits no single one of {len(cands)} branches; union coverage not decided"
        return self.report(where, "CMP-04", Compat.UNKNOWN, message)

    def quietly_atom(self, x: Atom, y: Atom) -> Compat:
        saved, self.out = self.out, None
        try:
            return self.atom_sub(x, y)
        finally:
            self.out = saved

    def values_in(self, x: Atom, b: Node, kinds: _Kinds, b_atoms: list[Atom]) -> Compat:
        bad = [(v, r) for v in x.values if (r := member(v, b, self.b_doc)) is not Compat.YES]
        if not bad:
            return Compat.YES
        result = worst(r for _, r in bad)
        shown = ", ".join(repr(v) for v, _ in bad[:3])
        side = "new" if self.a_is_old else "old"
        bad_kinds = {kind_of(v) for v, _ in bad}
        # Name the rule after the enum-bearing branch of b of the same kind, seen through $ref and anyOf.
        named = next((y.node for y in b_atoms if y.node.enum is not None and bad_kinds & _kinds_of([y])), b)
        rule = self.finite_rule(x.node, named, bad_kinds, kinds)
        return self.report(self.where(x.node, b), rule, result, f"{shown} not accepted by the {side} schema")

    def finite_rule(self, a_node: Node, b: Node, bad_kinds: set[str], kinds: _Kinds) -> str:
        if a_node.enum is None:  # the values came from a kind (null, boolean), not from enum/const
            if bad_kinds == {"null"}:
                return "TYP-04" if self.a_is_old else "TYP-03"
            if b.enum is not None:
                return self.enum_imposed(b.enum_is_const)
            return self.type_rule(kinds)
        old, new = (a_node, b) if self.a_is_old else (b, a_node)
        if old.enum is not None and new.enum is not None:
            if old.enum_is_const or new.enum_is_const:
                return (
                    "CON-03"
                    if old.enum_is_const == new.enum_is_const
                    else "CON-02"
                    if old.enum_is_const
                    else "CON-01"
                )
            old_keys = {json_key(v) for v in old.enum}
            new_keys = {json_key(v) for v in new.enum}
            if old_keys <= new_keys:
                return "ENM-01"
            return "ENM-02" if new_keys <= old_keys else "ENM-03"
        if new.enum is None and old.enum is not None:
            return "CON-02" if old.enum_is_const else "ENM-06"
        return self.enum_imposed(new.enum_is_const)

    def enum_imposed(self, const: bool) -> str:
        """An enum/const on one side only: imposed when the new side has it, dropped when the old one does."""
        if self.a_is_old:
            return "CON-01" if const else "ENM-05"
        return "CON-02" if const else "ENM-06"

    def type_rule(self, kinds: _Kinds) -> str:
        a_kinds, b_kinds, via_union = kinds
        if not a_kinds & b_kinds:
            return "TYP-06"
        if via_union:
            return "CMP-02" if self.a_is_old else "CMP-01"
        return "TYP-05"

    def kind_missing(self, x: Atom, b: Node, finite: list[Atom], kinds: _Kinds) -> Compat:
        pointer = self.where(x.node, b)
        if finite:  # only an enum/const of this kind on b's side: an infinite a cannot fit
            rule = self.enum_imposed(all(y.node.enum_is_const for y in finite))
            side = "new" if self.a_is_old else "old"
            return self.report(pointer, rule, Compat.NO, f"{x.kind} values outside the {side} enum")
        message = f"{x.kind} no longer accepted" if self.a_is_old else f"{x.kind} newly accepted"
        return self.report(pointer, self.type_rule(kinds), Compat.NO, message)

    def atom_sub(self, x: Atom, y: Atom) -> Compat:
        pointer = self.where(x.node, y.node)
        if isinstance(x.c, NumC) and isinstance(y.c, NumC):
            return worst(
                [self.report(pointer, r, res, m) for r, res, m in num_subset(x.c, y.c, self.a_is_old)]
            )
        if isinstance(x.c, StrC) and isinstance(y.c, StrC):
            return worst(
                [self.report(pointer, r, res, m) for r, res, m in str_subset(x.c, y.c, self.a_is_old)]
            )
        key = (x.node.pointer, y.node.pointer)
        if key in self.assumed:
            return Compat.YES  # coinduction: on this path the pair is already being proven
        self.assumed.add(key)
        try:
            if isinstance(x.c, ArrC) and isinstance(y.c, ArrC):
                from reconciler.schema.compat.arrays import array_sub

                return array_sub(self, x.node, y.node, x.c, y.c)
            if isinstance(x.c, ObjC) and isinstance(y.c, ObjC):
                from reconciler.schema.compat.objects import object_sub

                return object_sub(self, x.node, y.node, x.c, y.c)
        finally:
            self.assumed.discard(key)
        return self.report(pointer, "TYP-06", Compat.UNKNOWN, "kinds not comparable")


_Kinds = tuple[set[str], set[str], bool]


def _kinds_of(atoms: list[Atom]) -> set[str]:
    out: set[str] = set()
    for atom in atoms:
        out.update(kind_of(v) for v in atom.values) if atom.kind == "finite" else out.add(atom.kind)
    return out


def _has_number(atom: Atom) -> bool:
    return any(kind_of(v) == "number" for v in atom.values)


def _union(node: Node) -> bool:
    return node.any_of is not None or node.one_of is not None


def _empty(kind: str) -> Any:
    return {"number": NumC, "string": StrC, "array": ArrC, "object": ObjC}[kind]()
