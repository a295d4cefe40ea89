"""Property test: mutate corpus schemas at random; whenever classify says YES in a direction, instances
sampled from the source side never fall outside the target side (the hard rule beyond the corpus)."""

from __future__ import annotations

import copy
from typing import Any

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from hypothesis_jsonschema import from_schema
from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError

from reconciler.schema.compat import Compat, classify
from tests.unit.schema.test_compat_corpus import CORPUS, EcmaValidator

BASES = [p[side] for p in CORPUS if "nogen" not in p and not p.get("format") for side in ("old", "new")]


def subschemas(schema: Any) -> list[dict[str, Any]]:
    """Every dict that is itself a schema (properties, items, branches, $defs), parents first."""
    out: list[dict[str, Any]] = []
    stack = [schema]
    while stack:
        node = stack.pop()
        if not isinstance(node, dict):
            continue
        out.append(node)
        for word in ("properties", "$defs"):
            stack.extend((node.get(word) or {}).values())
        for word in ("anyOf", "oneOf"):
            stack.extend(node.get(word) or [])
        for word in ("items", "additionalProperties"):
            if isinstance(node.get(word), dict):
                stack.append(node[word])
    return out


MUTATIONS = (
    "maxLength", "minLength", "minimum", "maximum", "exclusiveMinimum", "multipleOf", "enum-add", "enum-drop",
    "null", "close", "open", "require", "unrequire", "add-prop", "drop-key", "maxItems", "minItems", "unique",
    "type", "pattern", "one-of", "items-false",
)  # fmt: skip
PATTERNS = ("^[a-z]+$", "^[a-c]*$", "a", "^\\d{2,3}$", "^(a|b)c?$", "b$", "^.*$", "[^a]")


def mutate(schema: Any, draw: Any) -> Any:
    out = copy.deepcopy(schema)
    for _ in range(draw(st.integers(1, 2))):
        node = draw(st.sampled_from(subschemas(out)))
        kind = draw(st.sampled_from(MUTATIONS))
        small = draw(st.integers(0, 6))
        if kind in ("maxLength", "minLength", "maxItems", "minItems"):
            node[kind] = small
        elif kind in ("minimum", "maximum", "exclusiveMinimum"):
            node[kind] = draw(st.sampled_from([small, small - 3, small + 0.5]))
        elif kind == "multipleOf":
            node[kind] = draw(st.sampled_from([1, 2, 3, 0.5]))
        elif kind == "enum-add":
            node["enum"] = [*node.get("enum", []), draw(st.sampled_from(["a", "z", 1, None, True]))]
        elif kind == "enum-drop" and node.get("enum"):
            node["enum"] = node["enum"][1:] or node["enum"]
        elif kind == "null" and isinstance(node.get("type"), str):
            node["type"] = [node["type"], "null"]
        elif kind == "close":
            node["additionalProperties"] = False
        elif kind == "open":
            node.pop("additionalProperties", None)
        elif kind == "require" and node.get("properties"):
            node["required"] = sorted(
                {*node.get("required", []), draw(st.sampled_from(sorted(node["properties"])))}
            )
        elif kind == "unrequire" and node.get("required"):
            node["required"] = node["required"][1:]
        elif kind == "add-prop" and node.get("type") == "object":
            node.setdefault("properties", {})["extra"] = {
                "type": draw(st.sampled_from(["string", "integer"]))
            }
        elif kind == "drop-key" and node:
            node.pop(draw(st.sampled_from(sorted(node))))
        elif kind == "unique":
            node["uniqueItems"] = not node.get("uniqueItems", False)
        elif kind == "pattern":
            node["pattern"] = draw(st.sampled_from(PATTERNS))
        elif kind == "one-of" and "anyOf" in node:
            node["oneOf"] = node.pop("anyOf")
        elif kind == "items-false" and node.get("type") == "array":
            node["items"] = False
        elif kind == "type":
            node["type"] = draw(
                st.sampled_from(["string", "integer", "number", "object", "array", "boolean"])
            )
    return out


@settings(
    max_examples=120,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large],
)
@given(data=st.data())
def test_yes_is_never_contradicted_by_sampled_instances(data: st.DataObject) -> None:
    base = data.draw(st.sampled_from(BASES), label="base")
    mutated = mutate(base, data.draw)
    try:
        Draft202012Validator.check_schema(mutated)
    except SchemaError:
        assume(False)
    verdict = classify(base, mutated, format_assertion=False)
    for result, src, dst in ((verdict.backward, base, mutated), (verdict.forward, mutated, base)):
        if result is not Compat.YES:
            continue
        instance = data.draw(from_schema(src), label="instance")
        # The generator reads patterns as Python does; only instances valid under ECMA-262 count.
        assume(EcmaValidator(src).is_valid(instance))
        assert EcmaValidator(dst).is_valid(instance), (src, dst, instance, verdict)
