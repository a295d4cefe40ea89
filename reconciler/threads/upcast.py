"""The upcast engine: one call's arguments taken through a chain of a tool's migrations (revision n to
n+1, then n+1 to n+2, ...) and validated against the new schema. Pure: it reads no store, imports no
code itself (a `python` step's function comes from the `load_python` the caller passes) and changes
nothing it is given.

Paths are JSON pointers into the argument object. A step whose path is absent does nothing, except
`default`, which then sets it; `move` and `default` create the objects on the way to their target. A
step that would lose data (a rename or move onto a value that is already set) or cannot convert the
value it finds fails, as does a result the new schema refuses: `UpcastFailure` says where (a pointer into
the arguments) and what.
"""

from __future__ import annotations

import copy
import json
import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Final

from reconciler import words
from reconciler.errors import UserError
from reconciler.model.upcasts import (
    DefaultStep,
    DropStep,
    MapEnumStep,
    MoveStep,
    PythonStep,
    RenameStep,
    ToNumberStep,
    ToolMigration,
    ToStringStep,
    UpcastStep,
    pointer_tokens,
)
from reconciler.schema.instances import first_violation
from reconciler.schema.metaschema import json_pointer

__all__ = ["Function", "LoadPython", "NoMigrationPath", "UpcastFailure", "chain_for", "upcast_arguments"]

# A python step's function, f(arguments) -> arguments, and what finds it from its `package.module:function`.
Function = Callable[[dict[str, Any]], dict[str, Any]]
LoadPython = Callable[[str], Function]

_JSON_NUMBER: Final = re.compile(r"-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?")
_ABSENT: Final = object()


class UpcastFailure(UserError):
    """An argument object that could not be upcast: `pointer` into it ("" is the whole object) and why."""

    def __init__(self, pointer: str, message: str) -> None:
        self.pointer = pointer
        self.message = message
        super().__init__(f"{pointer or '(arguments)'}: {message}")


class NoMigrationPath(UserError):
    """Calls of `tool` made with `from_revision` cannot become calls of `to_revision`: the migration from
    `missing` to `missing + 1` is not declared (None: the move goes back, and migrations only go forward)."""

    def __init__(self, tool: str, from_revision: int, to_revision: int, missing: int | None) -> None:
        self.tool = tool
        self.from_revision = from_revision
        self.to_revision = to_revision
        self.missing = missing
        name = tool or "the tool"
        if missing is None:
            message = (
                f"{name}: calls made with revision {from_revision} cannot be moved back to revision "
                f"{to_revision}; migrations only run forward"
            )
        else:
            message = (
                f"{name}: no migration from revision {missing} to {missing + 1}, so calls made with revision "
                f"{from_revision} cannot be upcast to revision {to_revision}; add "
                f"`{{from: {missing}, to: {missing + 1}, steps: [...]}}` to spec.migrations of the "
                f"FunctionTool {name}"
            )
        super().__init__(message)


def chain_for(
    migrations: Iterable[ToolMigration], from_rev: int, to_rev: int, *, tool: str = ""
) -> tuple[ToolMigration, ...]:
    """The migrations that take `from_rev` to `to_rev`, in order; () when they are the same revision."""
    by_from = {m.from_revision: m for m in migrations}
    if from_rev > to_rev:
        raise NoMigrationPath(tool, from_rev, to_rev, None)
    chain: list[ToolMigration] = []
    for revision in range(from_rev, to_rev):
        step = by_from.get(revision)
        if step is None or step.to_revision != revision + 1:
            raise NoMigrationPath(tool, from_rev, to_rev, revision)
        chain.append(step)
    return tuple(chain)


def upcast_arguments(
    arguments: dict[str, Any],
    chain: Sequence[ToolMigration],
    *,
    schema: Mapping[str, Any],
    strict: bool,
    load_python: LoadPython,
) -> dict[str, Any]:
    """`arguments` taken through every step of `chain` in order, then validated against `schema` (the
    last revision's; strict mode's rules when `strict`). A new object: `arguments` is not changed."""
    if not isinstance(arguments, dict):
        raise UpcastFailure("", f"the arguments are {words.kind_of(arguments)}, not a mapping")
    value: dict[str, Any] = copy.deepcopy(arguments)
    for migration in chain:
        for index, step in enumerate(migration.steps, start=1):
            try:
                value = _apply(value, step, load_python)
            except UpcastFailure as failure:
                where = (
                    f"migration {migration.from_revision}→{migration.to_revision} step {index} ({step.kind})"
                )
                raise UpcastFailure(failure.pointer, f"{failure.message} [{where}]") from failure
    try:
        json.dumps(value, allow_nan=False)
    except (TypeError, ValueError) as error:
        raise UpcastFailure("", f"the result is not JSON: {error}") from error
    violation = first_violation(value, schema, strict=strict)
    if violation is not None:
        raise UpcastFailure(violation.pointer, violation.message)
    return value


def _apply(value: dict[str, Any], step: UpcastStep, load_python: LoadPython) -> dict[str, Any]:
    if isinstance(step, RenameStep | MoveStep):
        _move(value, step.source, step.target, create=isinstance(step, MoveStep))
    elif isinstance(step, DefaultStep):
        if _get(value, step.path) is _ABSENT:
            _put(value, step.path, copy.deepcopy(step.value), create=True)
    elif isinstance(step, DropStep):
        _remove(value, step.path)
    elif isinstance(step, MapEnumStep):
        found = _get(value, step.path)
        if isinstance(found, str) and found in step.values:
            _put(value, step.path, copy.deepcopy(step.values[found]), create=False)
    elif isinstance(step, ToNumberStep):
        found = _get(value, step.path)
        if found is not _ABSENT:
            _put(value, step.path, _to_number(step.path, found), create=False)
    elif isinstance(step, ToStringStep):
        found = _get(value, step.path)
        if found is not _ABSENT:
            _put(value, step.path, _to_string(step.path, found), create=False)
    elif isinstance(step, PythonStep):
        return _python(value, step.ref, load_python)
    return value


def _python(value: dict[str, Any], ref: str, load_python: LoadPython) -> dict[str, Any]:
    function = load_python(ref)
    try:
        result = function(value)
    except Exception as error:  # the user's code: any failure is a failed upcast of this call, not ours
        raise UpcastFailure("", f"{ref} raised {type(error).__name__}: {error}") from error
    if not isinstance(result, dict):
        raise UpcastFailure("", f"{ref} returned {words.kind_of(result)}, not a mapping")
    return result


# --- JSON pointers over the argument object --------------------------------------------------------


def _parent(value: Any, pointer: str, *, create: bool) -> tuple[Any, str] | None:
    """(the object or array holding the member, its last token); None when a parent is absent and not
    created. A parent that is neither is a failure: the path goes through a value it cannot enter."""
    tokens = pointer_tokens(pointer)
    node = value
    for depth, token in enumerate(tokens[:-1]):
        child = _child(node, token)
        if child is _ABSENT:
            if not create or not isinstance(node, dict):
                return None
            child = node[token] = {}
        elif not isinstance(child, dict | list):
            at = json_pointer(tokens[: depth + 1])
            raise UpcastFailure(at, f"{words.kind_of(child)} where {pointer} needs a mapping")
        node = child
    return node, tokens[-1]


def _child(node: Any, token: str) -> Any:
    if isinstance(node, dict):
        return node.get(token, _ABSENT)
    if isinstance(node, list) and token.isdigit() and int(token) < len(node):
        return node[int(token)]
    return _ABSENT


def _get(value: Any, pointer: str) -> Any:
    found = _parent(value, pointer, create=False)
    return _ABSENT if found is None else _child(*found)


def _put(value: Any, pointer: str, item: Any, *, create: bool) -> None:
    found = _parent(value, pointer, create=create)
    if found is None:
        raise UpcastFailure(pointer, "its parent is absent")
    node, token = found
    if isinstance(node, dict):
        node[token] = item
    elif token.isdigit() and int(token) < len(node):
        node[int(token)] = item
    else:
        raise UpcastFailure(pointer, "is not a member of the list it points into")


def _remove(value: Any, pointer: str) -> Any:
    found = _parent(value, pointer, create=False)
    if found is None:
        return _ABSENT
    node, token = found
    if isinstance(node, dict):
        return node.pop(token, _ABSENT)
    raise UpcastFailure(pointer, "a list member cannot be removed or moved; use a python step")


def _move(value: dict[str, Any], source: str, target: str, *, create: bool) -> None:
    if _get(value, source) is _ABSENT:
        return
    if _get(value, target) is not _ABSENT:
        raise UpcastFailure(target, f"is already set; moving {source} here would overwrite it")
    item = _remove(value, source)
    _put(value, target, item, create=create)


def _to_number(pointer: str, found: Any) -> Any:
    if isinstance(found, bool) or not isinstance(found, int | float | str):
        raise UpcastFailure(pointer, f"{words.kind_of(found)} is not a numeric string")
    if not isinstance(found, str):
        return found
    text = found.strip()
    match = _JSON_NUMBER.fullmatch(text)
    if match is None:
        raise UpcastFailure(pointer, f"{words.value(found)} is not a number")
    if match.group(2) is None and match.group(3) is None:
        return int(text)  # exact, however long
    number = float(text)
    if not math.isfinite(number):
        raise UpcastFailure(pointer, f"{words.value(found)} is too large for a JSON number")
    return int(number) if number.is_integer() else number


def _to_string(pointer: str, found: Any) -> Any:
    if isinstance(found, str):
        return found
    if isinstance(found, bool) or not isinstance(found, int | float):
        raise UpcastFailure(pointer, f"{words.kind_of(found)} is not a number")
    if isinstance(found, float) and found.is_integer():
        return str(int(found))  # 12.0 and 12 are one JSON number: both read "12"
    return json.dumps(found)
