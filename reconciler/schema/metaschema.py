"""The schema-issue record, and validation of a schema against the JSON Schema 2020-12 meta-schema.

`SchemaIssue` lives here (and is re-exported by `reconciler.schema.strict`) so that both checks share one
record without an import cycle. A schema made of the common keywords is proven valid by
`schema.quickmeta` without jsonschema, which is imported only for the others (it costs a `validate` run
about 50 ms to import and set up).
"""

from __future__ import annotations

import json
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from reconciler.schema.quickmeta import plainly_valid

__all__ = ["SchemaIssue", "check_metaschema", "json_pointer"]

# Messages are one line for `reconcile validate`'s text output; jsonschema's messages embed a repr of the
# offending value, which can be a whole sub-schema.
_MAX_MESSAGE = 200


@dataclass(frozen=True)
class SchemaIssue:
    """One problem in a schema: where (JSON pointer, "" for the root), which rule, and what to do."""

    pointer: str
    code: str
    message: str


def json_pointer(parts: Iterable[object]) -> str:
    """RFC 6901 pointer for a path of keys/indices ("~" and "/" escaped)."""
    return "".join("/" + str(part).replace("~", "~0").replace("/", "~1") for part in parts)


@cache
def _meta_validator() -> Any:
    """Built once, when a schema first needs it: creating a validator resolves the meta-schema's
    vocabularies, which is the expensive part and is the same for every schema. The format checker makes
    `pattern` values that are not regexes an error, as `Draft202012Validator.check_schema` does."""
    # jsonschema ships no type information and types-jsonschema is not a dependency; the validator is used
    # through three calls, so Any at this one boundary is acceptable.
    from jsonschema import Draft202012Validator

    return Draft202012Validator(
        Draft202012Validator.META_SCHEMA, format_checker=Draft202012Validator.FORMAT_CHECKER
    )


def _one_line(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= _MAX_MESSAGE else flat[: _MAX_MESSAGE - 1] + "…"


_TYPE_HINT = "; use one of array, boolean, integer, null, number, object, string (or a list of them)"


def _message(validator: object, message: str, path: list[object]) -> str:
    text = _one_line(f"not a valid JSON Schema 2020-12 ('{validator}' rule): {message}")
    # The meta-schema spells `type` as anyOf(simpleTypes, array of simpleTypes), whose own message does not
    # say what is allowed.
    if path and path[-1] == "type" and validator == "anyOf":
        text += _TYPE_HINT
    return text


# jsonschema needs ~2-3 ms for even a tiny schema against the 2020-12 meta-schema (its $dynamicRef
# resolution dominates), and projects repeat the same parameter schemas across tools and runs, so results
# are memoised by the schema's JSON text.
_CACHE_SIZE = 4096
_cache: OrderedDict[str, tuple[SchemaIssue, ...]] = OrderedDict()


def _validate(schema: Mapping[str, Any]) -> tuple[SchemaIssue, ...]:
    if plainly_valid(schema):
        return ()
    try:
        errors = list(_meta_validator().iter_errors(schema))
    except RecursionError:
        # A pathologically deep document must become a user error, not a traceback.
        return (SchemaIssue("", "schema.invalid", "schema is nested too deeply to validate; flatten it"),)
    issues = {
        SchemaIssue(
            json_pointer(error.absolute_path),
            "schema.invalid",
            _message(error.validator, error.message, list(error.absolute_path)),
        )
        for error in errors
    }
    return tuple(sorted(issues, key=lambda issue: (issue.pointer, issue.code, issue.message)))


def check_metaschema(schema: Mapping[str, Any]) -> list[SchemaIssue]:
    """Every violation of the 2020-12 meta-schema, sorted by pointer then message; [] when valid."""
    try:
        key = json.dumps(schema, allow_nan=False)
    except (TypeError, ValueError, RecursionError):
        # Not plain JSON (e.g. a YAML date, NaN): the text would not identify the value, so do not cache.
        return list(_validate(schema))
    cached = _cache.get(key)
    if cached is None:
        cached = _cache[key] = _validate(schema)
        if len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)
    else:
        _cache.move_to_end(key)
    return list(cached)
