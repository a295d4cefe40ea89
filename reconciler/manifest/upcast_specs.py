"""The YAML shape of a FunctionTool's `spec.migrations`: from one tool revision to the next, the steps
that turn a call's arguments of the old schema into arguments of the new one (upcasters).

These check shape only (types, JSON pointers, the `package.module:function` form of a python step,
unknown step names with a did-you-mean). Rules across fields (one action per step, `to` is `from + 1`,
no two migrations from one revision, a rename within one object) live in `upcast_build.py`, which turns
these into `model.upcasts`. Nothing here imports a python step's module: a manifest in a pull request
must not run code when it is validated or planned.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import AfterValidator, Field

from reconciler.manifest.spec_base import Spec
from reconciler.model.upcasts import POINTER_PATTERN, PYTHON_REF_PATTERN, pointer_tokens

STEP_ACTIONS = ("rename", "move", "default", "drop", "mapEnum", "toNumber", "toString", "python")


def _pointer(text: str) -> str:
    pointer_tokens(text)  # its ValueError says what a pointer is
    return text


def _python_ref(text: str) -> str:
    if re.fullmatch(PYTHON_REF_PATTERN, text) is None:
        raise ValueError(
            f"{text!r} is not a python step: write package.module:function (a module inside a package "
            "under the project root, e.g. upcasts.expenses:fix_dates)"
        )
    return text


# The patterns are in the JSON Schema for editors; the validators say what is expected in words.
Pointer = Annotated[str, AfterValidator(_pointer), Field(json_schema_extra={"pattern": POINTER_PATTERN})]
PythonRef = Annotated[
    str, AfterValidator(_python_ref), Field(json_schema_extra={"pattern": PYTHON_REF_PATTERN})
]
JsonScalar = str | int | float | bool | None


class PointerPairSpec(Spec):
    """`{from: /old, to: /new}` of a rename or a move."""

    source: Pointer = Field(alias="from")
    target: Pointer = Field(alias="to")


class DefaultSpec(Spec):
    """`{path: /currency, value: EUR}`: set when absent (a null is a value, and is kept)."""

    path: Pointer
    value: Any


class MapEnumSpec(Spec):
    """`{path: /unit, values: {min: minutes}}`: a string listed in `values` becomes its entry."""

    path: Pointer
    values: dict[str, JsonScalar] = Field(min_length=1)


class UpcastStepSpec(Spec):
    """One step, exactly one of: `rename`, `move`, `default`, `drop`, `mapEnum`, `toNumber`, `toString`,
    `python`."""

    rename: PointerPairSpec | None = None
    move: PointerPairSpec | None = None
    default: DefaultSpec | None = None
    drop: Pointer | None = None
    map_enum: MapEnumSpec | None = None
    to_number: Pointer | None = None
    to_string: Pointer | None = None
    python: PythonRef | None = None


class MigrationSpec(Spec):
    """`{from: 1, to: 2, steps: [...]}`: calls made with revision `from` of the tool, upcast to `to`."""

    from_revision: int = Field(alias="from", ge=1)
    to: int = Field(ge=2)
    steps: list[UpcastStepSpec] = Field(min_length=1)
