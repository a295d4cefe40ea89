"""Upcasters as data: the steps a FunctionTool's `migrations:` declare to turn a call's arguments from one
revision of the tool's `parameters` schema into the next.

Pure data, built by `manifest` from `spec.migrations`, carried by `DesiredState.tool_migrations` (never in
the tool's spec, so no fingerprint or plan sees it) and run by `threads.upcast`. Paths are RFC 6901 JSON
pointers into the argument object. A `PythonStep` names a function (`package.module:function`); nothing
here imports it.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Final, Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "POINTER_PATTERN",
    "PYTHON_REF_PATTERN",
    "DefaultStep",
    "DropStep",
    "MapEnumStep",
    "MoveStep",
    "PythonStep",
    "RenameStep",
    "ToNumberStep",
    "ToStringStep",
    "ToolMigration",
    "UpcastStep",
    "pointer_tokens",
]

# An RFC 6901 pointer to a member (never the whole object, ""): `/a/b`, `~1` for "/" and `~0` for "~".
POINTER_PATTERN: Final = r"^(/([^~/]|~[01])*)+$"
# `package.module:function`: a module inside a package, so that it is looked for under the project root.
PYTHON_REF_PATTERN: Final = r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)+:[A-Za-z_][A-Za-z0-9_]*$"
_POINTER: Final = re.compile(POINTER_PATTERN)


def pointer_tokens(pointer: str) -> tuple[str, ...]:
    """The reference tokens of a member pointer, unescaped; ValueError for anything else."""
    if _POINTER.fullmatch(pointer) is None:
        raise ValueError(
            f"{pointer!r} is not a JSON pointer to a property: '/name', '/outer/inner' "
            "('~1' for '/' and '~0' for '~' in a name)"
        )
    return tuple(t.replace("~1", "/").replace("~0", "~") for t in pointer[1:].split("/"))


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class RenameStep(_Frozen):
    """Rename a property within its object (`source` and `target` share a parent)."""

    kind: Literal["rename"] = "rename"
    source: str
    target: str


class MoveStep(_Frozen):
    """Move a value into or out of a nested object; the objects on the way to `target` are created."""

    kind: Literal["move"] = "move"
    source: str
    target: str


class DefaultStep(_Frozen):
    """Set `path` to `value` when it is absent."""

    kind: Literal["default"] = "default"
    path: str
    value: Any


class DropStep(_Frozen):
    """Remove `path` when present."""

    kind: Literal["drop"] = "drop"
    path: str


class MapEnumStep(_Frozen):
    """Replace the string at `path` by its entry in `values`; a value not listed is kept."""

    kind: Literal["mapEnum"] = "mapEnum"
    path: str
    values: dict[str, Any]


class ToNumberStep(_Frozen):
    """A numeric string at `path` becomes a number (an integer when it is whole)."""

    kind: Literal["toNumber"] = "toNumber"
    path: str


class ToStringStep(_Frozen):
    """A number at `path` becomes its JSON text."""

    kind: Literal["toString"] = "toString"
    path: str


class PythonStep(_Frozen):
    """The escape hatch: `package.module:function`, called with the argument object, returning the new one.
    Imported only when a migration runs, from the project root."""

    kind: Literal["python"] = "python"
    ref: str


UpcastStep = Annotated[
    RenameStep | MoveStep | DefaultStep | DropStep | MapEnumStep | ToNumberStep | ToStringStep | PythonStep,
    Field(discriminator="kind"),
]


class ToolMigration(_Frozen):
    """The steps that take arguments of `tool` (its function name) from `from_revision` to `to_revision`,
    which is always the next one."""

    tool: str
    from_revision: int
    to_revision: int
    steps: tuple[UpcastStep, ...]
