"""Normalisation: raw JSON Schema (Draft 2020-12) into a small typed form the subset engine reasons about.

Types become a set of *kinds* (null, boolean, number, string, array, object; `integer` is a number kind with
an integrality flag, since 2020-12 defines integers as numbers with a zero fractional part), `[T, "null"]` and
`anyOf` therefore meet in the same representation, `const` is a one-value `enum`, annotations are dropped, and
keywords the engine does not model are kept aside as *opaque* so that they can only ever weaken an answer.
Children (properties, items, branches, `$ref` targets) are normalised lazily and cached by JSON pointer.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

KINDS = ("null", "boolean", "number", "string", "array", "object")

# Keywords that never change V(S): dropped during normalisation (ANN-*). Unknown keywords are ignored too,
# as Draft 2020-12 prescribes for keywords outside the vocabularies in force.
HANDLED = frozenset(
    {
        "type", "enum", "const", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf",
        "minLength", "maxLength", "pattern", "format", "items", "minItems", "maxItems", "uniqueItems",
        "properties", "required", "additionalProperties", "minProperties", "maxProperties",
        "anyOf", "oneOf", "allOf", "$ref",
    }
)  # fmt: skip
# Assertions we do not model: present on the subset side they can only be ignored (an over-approximation),
# present on the superset side they make the answer UNKNOWN unless the other side repeats them verbatim.
OPAQUE = frozenset(
    {
        "not", "if", "then", "else", "patternProperties", "propertyNames", "dependentRequired",
        "dependentSchemas", "dependencies", "contains", "minContains", "maxContains", "prefixItems",
        "unevaluatedItems", "unevaluatedProperties", "$dynamicRef", "$recursiveRef", "additionalItems",
    }
)  # fmt: skip


def escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


def unescape(token: str) -> str:
    return token.replace("~1", "/").replace("~0", "~")


def num(value: Any) -> Fraction | None:
    """Exact value of a JSON number; decimal text for floats so `multipleOf: 0.1` means one tenth."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if isinstance(value, int):
        return Fraction(value)
    if math.isnan(value) or value in (float("inf"), float("-inf")):
        return None
    return Fraction(repr(value))


@dataclass(slots=True)
class NumC:
    lo: Fraction | None = None
    lo_excl: bool = False
    hi: Fraction | None = None
    hi_excl: bool = False
    mult: Fraction | None = None
    integral: bool = False


@dataclass(slots=True)
class StrC:
    min_len: int = 0
    max_len: int | None = None
    pattern: str | None = None
    fmt: str | None = None


@dataclass(slots=True)
class ArrC:
    items: Any = True  # raw child schema
    min_items: int = 0
    max_items: int | None = None
    unique: bool = False


@dataclass(slots=True)
class ObjC:
    props: Mapping[str, Any] = field(default_factory=dict)  # raw child schemas
    required: frozenset[str] = frozenset()
    additional: Any = True  # raw child schema (True/False/dict)
    min_props: int = 0
    max_props: int | None = None


@dataclass(slots=True, eq=False)
class Node:
    """One schema location, normalised. V(node) = base ∩ enum ∩ anyOf ∩ oneOf ∩ each allOf ∩ ref ∩ opaque."""

    pointer: str
    raw: Any
    kinds: dict[str, NumC | StrC | ArrC | ObjC | None]  # allowed kinds and their constraints
    enum: tuple[Any, ...] | None = None
    any_of: tuple[Node, ...] | None = None
    one_of: tuple[Node, ...] | None = None
    all_of: tuple[Node, ...] = ()
    ref: str | None = None  # JSON pointer of the target inside the same document
    opaque: dict[str, Any] = field(default_factory=dict)
    enum_is_const: bool = False

    @property
    def is_true(self) -> bool:
        """Accepts every instance (the empty schema after annotations are dropped)."""
        return (
            len(self.kinds) == len(KINDS)
            and all(c is None or _unconstrained(c) for c in self.kinds.values())
            and self.enum is None
            and self.any_of is None
            and self.one_of is None
            and not self.all_of
            and self.ref is None
            and not self.opaque
        )

    @property
    def is_false(self) -> bool:
        return not self.kinds or (self.enum is not None and not self.enum)

    @property
    def composite(self) -> bool:
        return self.any_of is not None or self.one_of is not None or bool(self.all_of) or self.ref is not None


def _unconstrained(c: NumC | StrC | ArrC | ObjC) -> bool:
    if isinstance(c, NumC):
        return c == NumC()
    if isinstance(c, StrC):
        return c == StrC()
    if isinstance(c, ArrC):
        return c.items in (True, {}) and c.min_items == 0 and c.max_items is None and not c.unique
    return (
        not c.props
        and not c.required
        and c.additional in (True, {})
        and c.min_props == 0
        and c.max_props is None
    )


class UnresolvableRef(ValueError):
    pass


class Document:
    """One schema document: its root (for `$ref`) and a cache of normalised nodes by pointer."""

    def __init__(self, root: Any, *, format_assertion: bool = True) -> None:
        self.root = root
        self.format_assertion = format_assertion
        self._cache: dict[str, Node] = {}

    def node(self, raw: Any, pointer: str) -> Node:
        hit = self._cache.get(pointer)
        if hit is None:
            hit = self._cache[pointer] = self._normalise(raw, pointer)
        return hit

    def target(self, pointer: str) -> Node:
        """The node a `$ref` names (`#`, `#/$defs/X`, any local JSON pointer)."""
        hit = self._cache.get(pointer)
        if hit is not None:
            return hit
        cur = self.root
        for token in pointer.split("/")[1:] if pointer else ():
            key = unescape(token)
            if isinstance(cur, Mapping) and key in cur:
                cur = cur[key]
            elif isinstance(cur, list) and key.isdigit() and int(key) < len(cur):
                cur = cur[int(key)]
            else:
                raise UnresolvableRef(pointer)
        return self.node(cur, pointer)

    def _normalise(self, raw: Any, ptr: str) -> Node:
        if raw is True or (isinstance(raw, Mapping) and not raw):
            return Node(ptr, raw, dict.fromkeys(KINDS))
        if raw is False or not isinstance(raw, Mapping):
            return Node(ptr, raw, {})
        kinds = _kinds(raw.get("type"))
        for kind in kinds:
            kinds[kind] = _constraints(kind, raw, kinds, self.format_assertion)
        node = Node(ptr, raw, kinds)
        if "const" in raw:
            node.enum = (raw["const"],)
            node.enum_is_const = True
        if isinstance(raw.get("enum"), list):
            values = tuple(raw["enum"])
            if node.enum is not None:
                values = tuple(v for v in values if json_key(v) == json_key(raw["const"]))
            node.enum = values
            node.enum_is_const = False
        for word in ("anyOf", "oneOf", "allOf"):
            branches = raw.get(word)
            if isinstance(branches, list):
                nodes = tuple(self.node(b, f"{ptr}/{word}/{i}") for i, b in enumerate(branches))
                if word == "anyOf":
                    node.any_of = nodes
                elif word == "oneOf":
                    node.one_of = nodes
                else:
                    node.all_of = nodes
        ref = raw.get("$ref")
        if isinstance(ref, str):
            if ref == "#" or ref.startswith("#/"):
                node.ref = ref[1:]
            else:
                node.opaque["$ref"] = ref  # remote or anchor reference: not resolved, so never proven
        for word in OPAQUE.intersection(raw):
            node.opaque[word] = raw[word]
        return node


def _kinds(type_value: Any) -> dict[str, NumC | StrC | ArrC | ObjC | None]:
    if type_value is None:
        return dict.fromkeys(KINDS)
    names = [type_value] if isinstance(type_value, str) else list(type_value)
    out: dict[str, NumC | StrC | ArrC | ObjC | None] = {}
    for name in names:
        out[name if name != "integer" else "number"] = None
    return {k: out[k] for k in KINDS if k in out}


def _constraints(kind: str, raw: Mapping[str, Any], kinds: Mapping[str, Any], fmt: bool) -> Any:
    if kind == "number":
        integral = "number" not in _type_names(raw.get("type"))
        c = NumC(integral=integral and raw.get("type") is not None)
        for word, lower in (("minimum", True), ("exclusiveMinimum", True), ("maximum", False)):
            _bound(c, num(raw.get(word)), lower, word.startswith("exclusive"))
        _bound(c, num(raw.get("exclusiveMaximum")), False, True)
        mult = num(raw.get("multipleOf"))
        if mult is not None and mult > 0:
            c.mult = mult
            if mult.denominator == 1:
                c.integral = True  # number + integral multipleOf is exactly integer (TYP-08)
        return c
    if kind == "string":
        s = StrC()
        if _is_count(raw.get("minLength")):
            s.min_len = raw["minLength"]
        if _is_count(raw.get("maxLength")):
            s.max_len = raw["maxLength"]
        if isinstance(raw.get("pattern"), str) and raw["pattern"] not in ("", ".*", "[\\s\\S]*"):
            s.pattern = raw["pattern"]
        if fmt and isinstance(raw.get("format"), str):
            s.fmt = raw["format"]
        return s
    if kind == "array":
        a = ArrC(items=raw.get("items", True))
        if _is_count(raw.get("minItems")):
            a.min_items = raw["minItems"]
        if _is_count(raw.get("maxItems")):
            a.max_items = raw["maxItems"]
        a.unique = raw.get("uniqueItems") is True
        return a
    if kind == "object":
        o = ObjC(props=raw.get("properties") or {}, additional=raw.get("additionalProperties", True))
        req = raw.get("required")
        o.required = frozenset(r for r in req if isinstance(r, str)) if isinstance(req, list) else frozenset()
        if _is_count(raw.get("minProperties")):
            o.min_props = raw["minProperties"]
        if _is_count(raw.get("maxProperties")):
            o.max_props = raw["maxProperties"]
        return o
    return None


def _type_names(type_value: Any) -> list[str]:
    if type_value is None:
        return list(KINDS)
    return [type_value] if isinstance(type_value, str) else list(type_value)


def _is_count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _bound(c: NumC, value: Fraction | None, lower: bool, excl: bool) -> None:
    """Keep the tighter of two bounds (minimum and exclusiveMinimum may both be present)."""
    if value is None:
        return
    if lower:
        if c.lo is None or value > c.lo or (value == c.lo and excl):
            c.lo, c.lo_excl = value, excl
    elif c.hi is None or value < c.hi or (value == c.hi and excl):
        c.hi, c.hi_excl = value, excl


def json_key(value: Any) -> Any:
    """A hashable key with JSON equality: 1 == 1.0, but true != 1 (Python conflates the two)."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return ("b", value)
    if isinstance(value, int | float):
        return ("n", num(value) if num(value) is not None else repr(value))
    if isinstance(value, list):
        return ("a", tuple(json_key(v) for v in value))
    if isinstance(value, Mapping):
        return ("o", frozenset((k, json_key(v)) for k, v in value.items()))
    return ("?", repr(value))


def canonical(value: Any) -> str:
    """Canonical JSON text; used to compare opaque keywords and to spot renames."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=repr)
