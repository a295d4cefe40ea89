"""Turns JSON Schema validation errors into OpenAI's 400: one message, `param` in the platform's notation
(`tools[0].function.name`) and its `code` (`invalid_type`, `invalid_value`, `missing_required_parameter`...).

For anyOf/oneOf failures the error names the branch the value was meant for: branches whose JSON type or
tag (a property whose `enum`/`const` fails, like `type`) does not fit are set aside; if none is left, the
message lists the types or tag values the union accepts.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from jsonschema.exceptions import ValidationError

from reconciler.emulator.http import ApiError

_UNIONS = ("anyOf", "oneOf")
_TAGS = ("enum", "const")
_ARTICLE = {
    "string": "a string",
    "integer": "an integer",
    "number": "a decimal",
    "boolean": "a boolean",
    "object": "an object",
    "array": "an array",
    "null": "null",
}
_LIMITS = {
    "minimum": ("below minimum value", ">="),
    "exclusiveMinimum": ("below minimum value", ">"),
    "maximum": ("above maximum value", "<="),
    "exclusiveMaximum": ("above maximum value", "<"),
}
_SIZES = {
    "minLength": ("string", "too short", "minimum length", "below_min_length"),
    "maxLength": ("string", "too long", "maximum length", "above_max_length"),
    "minItems": ("array", "too short", "minimum length", "below_min_length"),
    "maxItems": ("array", "too long", "maximum length", "above_max_length"),
}

Path = tuple[str | int, ...]
_P = "\x00"  # stands for the parameter's name until the full path is known


@dataclass(frozen=True)
class _Problem:
    path: Path
    message: str  # with `_P` where the parameter's name goes
    code: str


def unknown_parameter(key: str) -> ApiError:
    return ApiError(
        400, f"Unrecognized request argument supplied: {key}", param=key, code="unknown_parameter"
    )


def report(errors: Sequence[ValidationError], instance: Any, *, prefix: Path = ()) -> ApiError:
    """The 400 for the first problem in `errors` (shallowest first, in the order of the request's keys)."""
    problem = _problem(_first(errors, instance))
    param = param_name((*prefix, *problem.path))
    return ApiError(400, problem.message.replace(_P, param), param=param or None, code=problem.code)


def param_name(path: Iterable[str | int]) -> str:
    """('tools', 0, 'function', 'name') -> 'tools[0].function.name'."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _first(errors: Sequence[ValidationError], instance: Any) -> ValidationError:
    order = {key: index for index, key in enumerate(instance)} if isinstance(instance, dict) else {}

    def key(error: ValidationError) -> tuple[int, bool, int]:
        path = list(error.relative_path)
        position = order.get(path[0], len(order)) if path and isinstance(path[0], str) else 0
        return len(path), error.validator in _UNIONS, position

    return min(errors, key=key)


def _problem(error: ValidationError) -> _Problem:
    path: Path = tuple(error.absolute_path)
    validator, expected, value = error.validator, error.validator_value, error.instance
    if validator in _UNIONS:
        return _union(error)
    if validator == "type":
        wanted = [expected] if isinstance(expected, str) else list(expected)
        return _wrong_type(path, wanted, value)
    if validator in _TAGS:
        allowed = [expected] if validator == "const" else list(expected)
        return _wrong_value(path, value, allowed)
    if validator == "required":
        missing = _missing_tag(error) or next((name for name in expected if name not in value), expected[0])
        return _Problem(
            (*path, missing), f"Missing required parameter: '{_P}'.", "missing_required_parameter"
        )
    if validator == "additionalProperties":
        known = error.schema.get("properties", {})
        extra = next((name for name in value if name not in known), "")
        return _Problem((*path, extra), f"Unknown parameter: '{_P}'.", "unknown_parameter")
    if validator in _LIMITS:
        words, sign = _LIMITS[validator]
        kind = "integer" if isinstance(value, int) else "decimal"
        return _Problem(
            path,
            f"Invalid '{_P}': {kind} {words}. Expected a value {sign} {expected}, but got {value} instead.",
            f"{kind}_{words.split()[0]}_{'min' if 'min' in validator.lower() else 'max'}_value",
        )
    if validator in _SIZES:
        noun, words, bound, code = _SIZES[validator]
        return _Problem(
            path,
            f"Invalid '{_P}': {noun} {words}. Expected {_ARTICLE[noun]} with {bound} {expected}, "
            f"but got {_ARTICLE[noun]} with length {len(value)} instead.",
            f"{noun}_{code}",
        )
    if validator in ("minProperties", "maxProperties"):
        fewest = validator == "minProperties"
        return _Problem(
            path,
            f"Invalid '{_P}': too {'few' if fewest else 'many'} properties. Expected an object with at "
            f"{'least' if fewest else 'most'} {expected} properties, but got an object with {len(value)} "
            "properties instead.",
            f"object_{'below_min' if fewest else 'above_max'}_properties",
        )
    if validator == "pattern":
        return _Problem(
            path,
            f"Invalid '{_P}': string does not match pattern. Expected a string that matches the "
            f"pattern '{expected}'.",
            "invalid_value",
        )
    if validator == "format":  # only `uri` is asserted (validation.py)
        return _Problem(
            path,
            f"Invalid '{_P}': Expected a valid URL, but got a value with an invalid format.",
            "invalid_value",
        )
    return _Problem(path, f"Invalid '{_P}': {error.message}", "invalid_value")


def _union(error: ValidationError) -> _Problem:
    path: Path = tuple(error.absolute_path)
    if not error.context:  # oneOf matched several branches
        return _Problem(
            path, f"Invalid '{_P}': the value matches more than one allowed shape.", "invalid_value"
        )
    branches = _by_branch(error)
    fitting = [errs for errs in branches if _misfit(errs, error.instance) is None]
    if fitting:
        # The branch the value got furthest into, then the one with fewest complaints.
        best = max(fitting, key=lambda errs: (max(len(e.relative_path) for e in errs), -len(errs)))
        return _problem(_first(best, error.instance))
    tags = [e for errs in branches for e in _tag_errors(errs)]
    if tags:
        name = tags[0].relative_path[0]
        allowed = [v for e in tags if e.relative_path[0] == name for v in _allowed(e)]
        return _wrong_value((*path, name), tags[0].instance, allowed)
    untagged = [e for errs in branches for e in _untagged_errors(errs, error.instance)]
    if untagged:
        return _problem(untagged[0])
    wanted = [t for errs in branches for e in errs for t in _types(e)]
    if wanted:
        return _wrong_type(path, wanted, error.instance)
    return _problem(_first(error.context, error.instance))


# How a failed branch misfits the value, strongest first: it is for another JSON type; for another value
# of a tag property (`"type": "function"` against `enum: [file_search]`); for a tag the value lacks, or for
# none of the value's keys; or None: the value was meant for it and is wrong inside.
_KINDS = ("type", "tag", "untagged")


def _misfit(errors: list[ValidationError], instance: Any) -> str | None:
    kinds = {_misfit_one(e, instance) for e in errors}
    found = next((kind for kind in _KINDS if kind in kinds), None)
    if found is None and isinstance(instance, dict) and instance and _shapeless(errors, instance):
        return "untagged"
    return found


def _misfit_one(error: ValidationError, instance: Any) -> str | None:
    depth = len(error.relative_path)
    if depth == 0 and error.validator == "type":
        return "type"
    if depth == 1 and error.validator in _TAGS and isinstance(error.instance, str | int | bool):
        return "tag"
    if depth == 0 and error.validator == "required" and _missing_tag(error):
        return "untagged"
    if depth == 0 and error.validator in _UNIONS and error.context:
        kinds = {_misfit(errs, instance) for errs in _by_branch(error)}
        if None not in kinds:
            return next(kind for kind in _KINDS if kind in kinds)
    return None


def _missing_tag(error: ValidationError) -> str | None:
    """The required property the value lacks whose schema is an enum/const: the branch's tag."""
    properties = error.schema.get("properties", {}) if isinstance(error.schema, dict) else {}
    for name in error.validator_value:
        schema = properties.get(name, {})
        if (
            name not in error.instance
            and isinstance(schema, dict)
            and ("enum" in schema or "const" in schema)
        ):
            return str(name)
    return None


def _shapeless(errors: list[ValidationError], instance: dict[str, Any]) -> bool:
    """Only missing or extra keys at the top, and the branch names none of the value's keys."""
    if any(len(e.relative_path) or e.validator not in ("required", "additionalProperties") for e in errors):
        return False
    named = {name for e in errors if isinstance(e.schema, dict) for name in e.schema.get("properties", {})}
    return not named & instance.keys()


def _untagged_errors(errors: list[ValidationError], instance: Any) -> list[ValidationError]:
    found = [e for e in errors if len(e.relative_path) == 0 and e.validator == "required" and _missing_tag(e)]
    for e in errors:
        if len(e.relative_path) == 0 and e.validator in _UNIONS:
            found += [t for sub in _by_branch(e) for t in _untagged_errors(sub, instance)]
    return found


def _tag_errors(errors: list[ValidationError]) -> list[ValidationError]:
    found = [e for e in errors if len(e.relative_path) == 1 and e.validator in _TAGS]
    for e in errors:
        if len(e.relative_path) == 0 and e.validator in _UNIONS:
            found += [t for sub in _by_branch(e) for t in _tag_errors(sub)]
    return found


def _by_branch(error: ValidationError) -> list[list[ValidationError]]:
    """The errors of a failed anyOf/oneOf grouped by the branch that produced them."""
    grouped: dict[int, list[ValidationError]] = {}
    for sub in error.context or ():
        grouped.setdefault(int(sub.relative_schema_path[0]), []).append(sub)
    return list(grouped.values())


def _types(error: ValidationError) -> list[str]:
    if len(error.relative_path) == 0 and error.validator == "type":
        expected = error.validator_value
        return [expected] if isinstance(expected, str) else list(expected)
    if error.validator in _UNIONS:
        return [t for errs in _by_branch(error) for e in errs for t in _types(e)]
    return []


def _allowed(error: ValidationError) -> list[Any]:
    return [error.validator_value] if error.validator == "const" else list(error.validator_value)


def _wrong_type(path: Path, wanted: list[str], value: Any) -> _Problem:
    names = list(dict.fromkeys(wanted))
    if len(names) > 1 and "null" in names:
        names.remove("null")  # "expected a string" reads better than "a string or null" for a nullable
    words = [_ARTICLE.get(n, n) for n in names]
    expected = words[0] if len(words) == 1 else "one of " + ", ".join(words[:-1]) + f" or {words[-1]}"
    return _Problem(
        path,
        f"Invalid type for '{_P}': expected {expected}, but got {_json_type(value)} instead.",
        "invalid_type",
    )


def _wrong_value(path: Path, value: Any, allowed: list[Any]) -> _Problem:
    options = [_literal(v) for v in dict.fromkeys(allowed)]
    listed = " and ".join(options) if len(options) < 3 else ", ".join(options[:-1]) + f", and {options[-1]}"
    return _Problem(
        path,
        f"Invalid value: {_literal(value)}. Supported values are: {listed}.",
        "invalid_value",
    )


def _literal(value: Any) -> str:
    return f"'{value}'" if isinstance(value, str) else json.dumps(value)


def _json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a decimal"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object" if isinstance(value, dict) else "null"
