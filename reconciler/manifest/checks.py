"""Rules on one document that pydantic cannot express with a precise location: exclusive fields, chunking
bounds, metadata and attribute budgets, and JSON Schema checks (meta-schema, strict mode). A rollout's
rules are in `rollout_checks.py`, an AnalysisTemplate's in `analysis_checks.py`.

JSON Schema findings come from `reconciler.schema.strict` as JSON pointers; here they become lines and
columns, by walking the located YAML (inline schemas) or the schema file's own located tree.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from reconciler.manifest.problems import Collector
from reconciler.manifest.specs import ChunkingSpec
from reconciler.manifest.yaml_loader import YMap, YSeq, dotted
from reconciler.model.labels import (
    MAX_KEY_LENGTH,
    MAX_PAIRS,
    MAX_VALUE_LENGTH,
    RESERVED_KEYS,
    USER_PAIR_BUDGET,
    is_reserved,
)
from reconciler.schema.strict import SchemaIssue, check_metaschema, check_strict

MAX_ATTRIBUTES = 16  # file_search attributes: 16 keys, keys <= 64, string values <= 512

# Tools share schemas often (and generated projects always): check each distinct schema once.
_SCHEMA_CACHE: dict[tuple[str, bool], list[SchemaIssue]] = {}


def exclusive(c: Collector, file: str, root: YMap, base: Sequence[str | int], a: str, b: str) -> None:
    node = _node(root, base)
    if isinstance(node, YMap) and a in node and b in node:
        c.at(
            file,
            root,
            [*base, b],
            "field.exclusive",
            f"{dotted([*base, b])}: give either {a} or {b}, not both",
            key=True,
        )


def metadata(c: Collector, file: str, root: YMap, base: Sequence[str | int]) -> None:
    """User metadata must fit beside the labels reconciler keeps in the same 16 pairs."""
    node = _node(root, base)
    if not isinstance(node, YMap):
        return
    where = dotted(base)
    for key, value in node.items():
        if is_reserved(key):
            c.at(
                file,
                root,
                [*base, key],
                "metadata.reserved-key",
                f"{where}: key {key!r} is reserved for reconciler",
                key=True,
            )
        elif len(key) > MAX_KEY_LENGTH:
            c.at(
                file,
                root,
                [*base, key],
                "metadata.key-too-long",
                f"{where}: key is {len(key)} characters; at most {MAX_KEY_LENGTH}",
                key=True,
            )
        if isinstance(value, str) and len(value) > MAX_VALUE_LENGTH:
            c.at(
                file,
                root,
                [*base, key],
                "metadata.value-too-long",
                f"{where}.{key}: value is {len(value)} characters; at most {MAX_VALUE_LENGTH}",
            )
    if len(node) > USER_PAIR_BUDGET:
        message = (
            f"{where}: {len(node)} pairs; at most {USER_PAIR_BUDGET} "
            f"({MAX_PAIRS} minus the {len(RESERVED_KEYS)} reconciler reserves)"
        )
        c.at(file, root, base, "metadata.too-many", message)


def attributes(c: Collector, file: str, root: YMap, base: Sequence[str | int]) -> None:
    node = _node(root, base)
    if not isinstance(node, YMap):
        return
    where = dotted(base)
    if len(node) > MAX_ATTRIBUTES:
        c.at(
            file,
            root,
            base,
            "attributes.too-many",
            f"{where}: {len(node)} attributes; at most {MAX_ATTRIBUTES}",
        )
    for key, value in node.items():
        if len(key) > MAX_KEY_LENGTH:
            c.at(
                file,
                root,
                [*base, key],
                "attributes.key-too-long",
                f"{where}: key is {len(key)} characters; at most {MAX_KEY_LENGTH}",
                key=True,
            )
        if isinstance(value, str) and len(value) > MAX_VALUE_LENGTH:
            c.at(
                file,
                root,
                [*base, key],
                "attributes.value-too-long",
                f"{where}.{key}: value is {len(value)} characters; at most {MAX_VALUE_LENGTH}",
            )


def chunking(c: Collector, file: str, root: YMap, spec: ChunkingSpec) -> None:
    base = ["spec", "chunking"]
    size, overlap = spec.max_chunk_size_tokens, spec.chunk_overlap_tokens
    if spec.type == "auto":
        for field, value in (("maxChunkSizeTokens", size), ("chunkOverlapTokens", overlap)):
            if value is not None:
                c.at(
                    file,
                    root,
                    [*base, field],
                    "chunking.auto-fixed",
                    f"spec.chunking.{field}: only for type static",
                    key=True,
                )
        return
    if size is None or overlap is None:
        c.at(
            file,
            root,
            base,
            "chunking.static-incomplete",
            "spec.chunking: static needs maxChunkSizeTokens and chunkOverlapTokens",
        )
        return
    if overlap > size // 2:
        message = (
            f"spec.chunking.chunkOverlapTokens: {overlap} exceeds half of maxChunkSizeTokens ({size // 2})"
        )
        c.at(file, root, [*base, "chunkOverlapTokens"], "chunking.overlap", message)


def json_schema(
    c: Collector,
    file: str,
    root: Any,
    base: Sequence[str | int],
    schema: Mapping[str, Any],
    *,
    strict: bool,
    what: str,
) -> None:
    """Check `schema` (found at `base` below `root` in `file`); each issue located at its own node."""
    for issue in schema_issues(schema, strict=strict):
        path = [*base, *pointer_parts(_node(root, base), issue.pointer)]
        c.at(file, root, path, issue.code, f"{what}{issue.pointer or ''}: {issue.message}")


def schema_issues(schema: Mapping[str, Any], *, strict: bool) -> list[SchemaIssue]:
    key = (json.dumps(schema, sort_keys=True, default=str), strict)
    cached = _SCHEMA_CACHE.get(key)
    if cached is None:
        cached = check_metaschema(schema)
        if strict and not cached:  # strict rules assume a valid schema; one kind of error at a time
            cached = check_strict(schema)
        _SCHEMA_CACHE[key] = cached
    return cached


def pointer_parts(node: Any, pointer: str) -> list[str | int]:
    """RFC 6901 pointer to path parts, indices as int where the data has a sequence."""
    parts: list[str | int] = []
    if not pointer:
        return parts
    for token in pointer.lstrip("/").split("/"):
        text = token.replace("~1", "/").replace("~0", "~")
        if isinstance(node, YSeq) and text.isdigit():
            parts.append(int(text))
            node = node[int(text)] if int(text) < len(node) else None
        else:
            parts.append(text)
            node = node.get(text) if isinstance(node, YMap) else None
    return parts


def _node(root: Any, path: Sequence[str | int]) -> Any:
    node = root
    for part in path:
        if isinstance(node, YMap) and isinstance(part, str):
            node = node.get(part)
        elif isinstance(node, YSeq) and isinstance(part, int) and part < len(node):
            node = node[part]
        else:
            return None
    return node
