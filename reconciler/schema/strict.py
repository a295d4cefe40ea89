"""OpenAI strict-mode (`"strict": true`) rules for a function tool's `parameters` schema.

`check_strict` reports every violation of the subset of JSON Schema that OpenAI accepts under strict mode
(facts and sources: shared reference `schema-compat.md` section 7, from the Structured Outputs guide
https://platform.openai.com/docs/guides/structured-outputs#supported-schemas and the function-calling guide
https://platform.openai.com/docs/guides/function-calling#strict-mode). It assumes nothing about the input:
a schema that is not even meta-schema valid gets issues (or none), never an exception.

Decisions where the documentation is silent or ambiguous:

* `minLength` / `maxLength` are accepted: the current guide lists them only among the keywords "not
  supported for fine-tuned models", next to `pattern` and `format`, which are supported for other models;
  the older revision that called them unsupported in general was replaced.
* `uniqueItems` is rejected: the older revision listed it as unsupported and the current one never lists it
  as supported. `patternProperties` is rejected too: a closed object (`additionalProperties: false`) is
  required anyway, and the older revision listed it as unsupported.
* Any keyword outside the documented subset (including `oneOf`, `$id`, vendor `x-*` keys) is rejected: the
  API answers an unsupported schema with an error, so unknown means "fix before apply".
* Nesting depth: the guide says "up to 10 levels of nesting" without saying how levels are counted (open
  community question
  https://community.openai.com/t/measuring-maximum-depth-and-object-properties-in-structured-outputs/918388).
  We count object schemas on a path from the root, the root object being level 1; arrays and `anyOf` add
  no level, `$ref`s are followed, and a `$ref` back to a schema already on the path (recursion) stops the
  count, since recursion is explicitly supported. Counting the root is the conservative reading.
* Totals (properties, names, enum values) count each schema once where it is written: a `$defs` entry
  used by ten `$ref`s counts once.
* Aggregate limits are reported once, at the pointer where the running total first goes over.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Final

from reconciler.schema.metaschema import SchemaIssue, check_metaschema, json_pointer

__all__ = [
    "LARGE_ENUM_THRESHOLD",
    "MAX_ENUM_VALUES",
    "MAX_LARGE_ENUM_CHARS",
    "MAX_NESTING_DEPTH",
    "MAX_OBJECT_PROPERTIES",
    "MAX_STRING_CHARS",
    "STRICT_LIMITS",
    "SUPPORTED_FORMATS",
    "SUPPORTED_TYPES",
    "SchemaIssue",
    "StrictLimits",
    "check_metaschema",
    "check_strict",
]

# Limits from https://platform.openai.com/docs/guides/structured-outputs#supported-schemas
# (section "Objects have limitations on nesting depth and size", 2025-2026 revisions).
MAX_OBJECT_PROPERTIES: Final = 5000
MAX_NESTING_DEPTH: Final = 10
MAX_STRING_CHARS: Final = 120_000  # property names + definition names + enum values + const values
MAX_ENUM_VALUES: Final = 1000  # across all enums in the schema
LARGE_ENUM_THRESHOLD: Final = 250  # a single string enum with more values than this ...
MAX_LARGE_ENUM_CHARS: Final = 15_000  # ... may total at most this many characters


@dataclass(frozen=True)
class StrictLimits:
    """The limits as one value, for benchmarks and generators that build schemas at the edge."""

    object_properties: int = MAX_OBJECT_PROPERTIES
    nesting_depth: int = MAX_NESTING_DEPTH
    string_chars: int = MAX_STRING_CHARS
    enum_values: int = MAX_ENUM_VALUES
    large_enum_threshold: int = LARGE_ENUM_THRESHOLD
    large_enum_chars: int = MAX_LARGE_ENUM_CHARS


STRICT_LIMITS: Final = StrictLimits()

SUPPORTED_TYPES: Final = frozenset({"string", "number", "boolean", "integer", "object", "array", "null"})
SUPPORTED_FORMATS: Final = frozenset(
    {"date-time", "time", "date", "duration", "email", "hostname", "ipv4", "ipv6", "uuid"}
)
# Annotations change nothing about what the model may generate, so they are harmless under strict mode.
_ANNOTATIONS: Final = frozenset(
    {
        "description",
        "title",
        "default",
        "examples",
        "deprecated",
        "readOnly",
        "writeOnly",
        "$comment",
        "$schema",
    }
)
_SUPPORTED_KEYWORDS: Final = _ANNOTATIONS | {
    "type", "enum", "const", "anyOf", "$ref", "$defs", "definitions",
    "properties", "required", "additionalProperties",
    "pattern", "format", "minLength", "maxLength",
    "multipleOf", "maximum", "exclusiveMaximum", "minimum", "exclusiveMinimum",
    "items", "minItems", "maxItems",
}  # fmt: skip
# What to do instead, for the unsupported keywords people reach for most.
_KEYWORD_HINTS: Final = {
    "oneOf": "use anyOf",
    "allOf": "merge the sub-schemas into one",
    "nullable": 'add "null" to the type, e.g. "type": ["string", "null"]',
    "patternProperties": "list the properties explicitly",
    "prefixItems": "use one items schema, or an object with named properties",
    "uniqueItems": "enforce uniqueness in the tool handler",
}
_DEF_KEYWORDS: Final = ("$defs", "definitions")


def is_object_schema(node: Mapping[str, Any]) -> bool:
    """Whether a schema describes an object (strict mode closes every such schema)."""
    kind = node.get("type")
    return kind == "object" or (isinstance(kind, list) and "object" in kind) or "properties" in node


def _child(pointer: str, *parts: object) -> str:
    return pointer + json_pointer(parts)


def _is_within(ancestor: str, pointer: str) -> bool:
    return pointer == ancestor or pointer.startswith(ancestor + "/")


def resolve_ref(root: Mapping[str, Any], ref: object) -> tuple[str, Any] | None:
    """(pointer, schema) a same-document `$ref` points at ("#" or "#/json/pointer"), or None."""
    if not isinstance(ref, str) or not ref.startswith("#") or (len(ref) > 1 and ref[1] != "/"):
        return None
    node: Any = root
    for raw in ref[2:].split("/") if len(ref) > 1 else []:
        part = raw.replace("~1", "/").replace("~0", "~")
        if isinstance(node, Mapping) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return None
    return ref[1:], node


def subschemas(node: Mapping[str, Any], pointer: str, *, with_defs: bool) -> Iterator[tuple[str, Any]]:
    """(pointer, schema) of the child schemas in document order, under the supported keywords only
    (unsupported ones are reported once, not descended into)."""
    for key, value in node.items():
        if key == "properties" and isinstance(value, Mapping):
            for name, sub in value.items():
                yield _child(pointer, "properties", name), sub
        elif key == "items" and not isinstance(value, list):
            yield _child(pointer, "items"), value
        elif key == "anyOf" and isinstance(value, list):
            for index, sub in enumerate(value):
                yield _child(pointer, "anyOf", index), sub
        elif with_defs and key in _DEF_KEYWORDS and isinstance(value, Mapping):
            for name, sub in value.items():
                yield _child(pointer, key, name), sub


class _Checker:
    """One pass over one schema; holds the running totals for the aggregate limits."""

    def __init__(self, root: Mapping[str, Any]) -> None:
        self.root = root
        self.issues: list[SchemaIssue] = []
        self.properties = 0
        self.chars = 0
        self.enum_values = 0

    def add(self, pointer: str, code: str, message: str) -> None:
        self.issues.append(SchemaIssue(pointer, code, message))

    def count_chars(self, pointer: str, text: str) -> None:
        before = self.chars
        self.chars += len(text)
        if before <= MAX_STRING_CHARS < self.chars:
            self.add(
                pointer,
                "strict.string-budget",
                f"property names, definition names, enum and const values exceed {MAX_STRING_CHARS:,} "
                "characters in total; shorten names or move long enums out of the schema",
            )

    def check_root(self) -> None:
        if "anyOf" in self.root:
            self.add(
                "",
                "strict.root-anyof",
                "the root must not be anyOf; wrap the alternatives in a property of a root object",
            )
        if self.root.get("type") != "object":
            self.add("", "strict.root-type", 'the root schema must be {"type": "object", ...}')

    def walk(self) -> None:
        """Syntactic pre-order walk: every schema written in the document is checked once."""
        stack: list[tuple[str, Any]] = [("", self.root)]
        while stack:
            pointer, node = stack.pop()
            self.check_node(pointer, node)
            if isinstance(node, Mapping):
                stack.extend(reversed(list(subschemas(node, pointer, with_defs=True))))

    def check_node(self, pointer: str, node: Any) -> None:
        if not isinstance(node, Mapping):
            self.add(
                pointer, "strict.type", "use a schema object with a type here, not a boolean or other value"
            )
            return
        for key in node:
            if key not in _SUPPORTED_KEYWORDS:
                hint = _KEYWORD_HINTS.get(key, "remove it")
                self.add(
                    _child(pointer, key), "strict.keyword", f"'{key}' is not supported in strict mode; {hint}"
                )
        self.check_type(pointer, node)
        if is_object_schema(node):
            self.check_object(pointer, node)
        fmt = node.get("format")
        if "format" in node and not (isinstance(fmt, str) and fmt in SUPPORTED_FORMATS):
            allowed = ", ".join(sorted(SUPPORTED_FORMATS))
            self.add(
                _child(pointer, "format"),
                "strict.format",
                f"format {fmt!r} is not supported; use one of {allowed}",
            )
        if isinstance(node.get("enum"), list):
            self.check_enum(_child(pointer, "enum"), node["enum"])
        if isinstance(node.get("const"), str):
            self.count_chars(_child(pointer, "const"), node["const"])
        for key in _DEF_KEYWORDS:
            if isinstance(node.get(key), Mapping):
                for name in node[key]:
                    self.count_chars(_child(pointer, key, name), str(name))
        if "$ref" in node and resolve_ref(self.root, node["$ref"]) is None:
            self.add(
                _child(pointer, "$ref"),
                "strict.ref",
                f"$ref {node['$ref']!r} does not resolve inside this schema; use '#' or '#/$defs/<name>'",
            )

    def check_type(self, pointer: str, node: Mapping[str, Any]) -> None:
        if "type" in node:
            kind = node["type"]
            kinds = kind if isinstance(kind, list) else [kind]
            bad = [k for k in kinds if not (isinstance(k, str) and k in SUPPORTED_TYPES)]
            if bad or not kinds:
                allowed = ", ".join(sorted(SUPPORTED_TYPES))
                self.add(
                    _child(pointer, "type"), "strict.type", f"type {kind!r} is not supported; use {allowed}"
                )
        elif pointer and not any(key in node for key in ("anyOf", "$ref", "enum", "const")):
            # The root is left to strict.root-type, which says the one thing it may be.
            self.add(pointer, "strict.type", 'this schema has no type; add one, e.g. "type": "string"')

    def check_object(self, pointer: str, node: Mapping[str, Any]) -> None:
        if "additionalProperties" not in node:
            self.add(
                pointer, "strict.additional-properties", 'add "additionalProperties": false to this object'
            )
        elif node["additionalProperties"] is not False:
            self.add(
                _child(pointer, "additionalProperties"),
                "strict.additional-properties",
                'set "additionalProperties": false; free-form maps cannot be expressed in strict mode',
            )
        properties = node.get("properties")
        if not isinstance(properties, Mapping):
            return
        required = node.get("required")
        listed = {r for r in required if isinstance(r, str)} if isinstance(required, list) else set()
        for name in properties:
            prop_pointer = _child(pointer, "properties", name)
            self.properties += 1
            if self.properties == MAX_OBJECT_PROPERTIES + 1:
                self.add(
                    prop_pointer,
                    "strict.max-properties",
                    f"more than {MAX_OBJECT_PROPERTIES} object properties in total; split the tool",
                )
            self.count_chars(prop_pointer, str(name))
            if name not in listed:
                self.add(
                    prop_pointer,
                    "strict.required",
                    f"list '{name}' in required; to keep it optional make it nullable "
                    '(add "null" to its type)',
                )

    def check_enum(self, pointer: str, values: list[Any]) -> None:
        before = self.enum_values
        self.enum_values += len(values)
        if before <= MAX_ENUM_VALUES < self.enum_values:
            self.add(
                pointer,
                "strict.enum-count",
                f"the schema has more than {MAX_ENUM_VALUES} enum values in total; shorten the enums",
            )
        strings = [value for value in values if isinstance(value, str)]
        for value in strings:
            self.count_chars(pointer, value)
        length = sum(len(value) for value in strings)
        if len(strings) > LARGE_ENUM_THRESHOLD and length > MAX_LARGE_ENUM_CHARS:
            self.add(
                pointer,
                "strict.enum-length",
                f"an enum of more than {LARGE_ENUM_THRESHOLD} strings may total at most "
                f"{MAX_LARGE_ENUM_CHARS:,} characters (this one has {length:,}); shorten the values",
            )

    def check_depth(self) -> None:
        """Report the first object schema more than MAX_NESTING_DEPTH objects deep (see module docstring).

        Each stack entry carries the ref segments of its path: (entry pointer, pointer of the $ref followed
        out of it). A $ref whose target lies on one of those segments, or on the current one, is recursion.
        States are memoised by (pointer, depth) so shared `$defs` do not make the walk exponential.
        """
        Segment = tuple[str, str]
        starts = [""] + [
            _child("", key, name)
            for key in _DEF_KEYWORDS
            if isinstance(self.root.get(key), Mapping)
            for name in self.root[key]
        ]
        seen: set[tuple[str, int]] = set()
        visited: set[str] = set()
        for start in starts:
            if start in visited:
                continue  # a definition already measured from the root, in context
            found = resolve_ref(self.root, "#" + start)
            stack: list[tuple[str, Any, int, str, tuple[Segment, ...]]] = [
                (start, None if found is None else found[1], 0, start, ())
            ]
            while stack:
                pointer, node, depth, entry, segments = stack.pop()
                if not isinstance(node, Mapping) or (pointer, depth) in seen:
                    continue
                seen.add((pointer, depth))
                visited.add(pointer)
                if is_object_schema(node):
                    depth += 1
                    if depth > MAX_NESTING_DEPTH:
                        self.add(
                            pointer,
                            "strict.max-depth",
                            f"objects nest more than {MAX_NESTING_DEPTH} levels deep (root object = 1); "
                            "flatten the schema",
                        )
                        return
                target = resolve_ref(self.root, node.get("$ref"))
                if target is not None:
                    to, schema = target
                    path = (*segments, (entry, pointer))
                    if not any(_is_within(a, to) and _is_within(to, b) for a, b in path):
                        stack.append((to, schema, depth, to, path))
                children = list(subschemas(node, pointer, with_defs=False))
                stack.extend((p, sub, depth, entry, segments) for p, sub in reversed(children))


def check_strict(schema: Mapping[str, Any]) -> list[SchemaIssue]:
    """Every strict-mode violation in `schema`, sorted by pointer then code; [] if OpenAI would accept it."""
    if not isinstance(schema, Mapping):
        return [SchemaIssue("", "strict.root-type", 'the root schema must be {"type": "object", ...}')]
    checker = _Checker(schema)
    checker.check_root()
    checker.walk()
    checker.check_depth()
    return sorted(set(checker.issues), key=lambda issue: (issue.pointer, issue.code, issue.message))
