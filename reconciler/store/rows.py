"""Reading rows back: each column checked against the type the schema promises, so that a row edited by
hand or damaged on disk becomes one StateError naming its table and row, never a TypeError in the planner.

SQLite stores whatever it is given (a TEXT column may hold a blob, an INTEGER column text), so nothing a
query returns is trusted. Messages name the column and the type found, never the value.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from typing import Any, TypeVar

from reconciler.errors import StateError

__all__ = [
    "decode",
    "flag",
    "integer",
    "json_array",
    "json_object",
    "number",
    "optional_integer",
    "optional_timestamp",
    "row_key",
    "text",
    "timestamp",
]

T = TypeVar("T")

_INT64 = (-(2**63), 2**63 - 1)
# Up to the last second of year 9999, the range every clock and date formatter here can show.
_MAX_TIMESTAMP = 253_402_300_799.0


class BadColumn(ValueError):
    """A column holds a value of the wrong type or range; `decode` turns it into a StateError."""


def _kind(value: object) -> str:
    return {str: "text", bytes: "a blob", float: "a real number", int: "an integer"}.get(
        type(value), type(value).__name__
    )


def text(value: object, column: str) -> str:
    if not isinstance(value, str):
        raise BadColumn(f"column {column} holds {_kind(value)}, not text")
    return value


def integer(value: object, column: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise BadColumn(f"column {column} holds {_kind(value)}, not an integer")
    if not _INT64[0] <= value <= _INT64[1]:
        raise BadColumn(f"column {column} holds an integer out of the 64-bit range")
    return value


def optional_integer(value: object, column: str) -> int | None:
    return None if value is None else integer(value, column)


def flag(value: object, column: str) -> bool:
    if value not in (0, 1) or isinstance(value, float | str):
        raise BadColumn(f"column {column} holds {_kind(value)} other than 0 or 1")
    return bool(value)


def number(value: object, column: str) -> float:
    """A finite number (SQLite hands back an integer for a whole REAL)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise BadColumn(f"column {column} holds {_kind(value)}, not a number")
    if not (isinstance(value, int) or math.isfinite(value)) or abs(value) > 1e300:
        raise BadColumn(f"column {column} holds a number that is not finite")
    return float(value)


def timestamp(value: object, column: str) -> float:
    """Seconds since the epoch: a finite, non-negative number a date can be made of."""
    seconds = number(value, column)
    if not 0 <= seconds <= _MAX_TIMESTAMP:
        raise BadColumn(f"column {column} holds a time outside the years 1970-9999")
    return seconds


def optional_timestamp(value: object, column: str) -> float | None:
    return None if value is None else timestamp(value, column)


def json_object(value: object, column: str) -> dict[str, Any]:
    """A JSON object kept as text (`{}` when empty)."""
    if value is None or value == "":
        return {}
    raw = text(value, column)
    try:
        parsed = json.loads(raw)
    except (ValueError, RecursionError):
        raise BadColumn(f"column {column} does not hold valid JSON") from None
    if not isinstance(parsed, dict):
        raise BadColumn(f"column {column} holds JSON {type(parsed).__name__}, not an object")
    return parsed


def json_array(value: object, column: str) -> list[Any]:
    """A JSON array kept as text."""
    raw = text(value, column)
    try:
        parsed = json.loads(raw)
    except (ValueError, RecursionError):
        raise BadColumn(f"column {column} does not hold valid JSON") from None
    if not isinstance(parsed, list):
        raise BadColumn(f"column {column} holds JSON {type(parsed).__name__}, not an array")
    return parsed


def row_key(**columns: object) -> str:
    """A row's key columns for a message, `name=repr` (control characters escaped), each cut short."""
    parts = []
    for column, value in columns.items():
        shown = repr(value)
        parts.append(f"{column}={shown if len(shown) <= 60 else shown[:59] + '…'}")
    return ", ".join(parts)


def decode(table: str, key: Callable[[], str], build: Callable[[], T]) -> T:
    """`build()`, or a StateError naming the table and row when a column of the row cannot be read."""
    try:
        return build()
    except (ValueError, TypeError, OverflowError) as error:  # BadColumn, enum and pydantic errors
        reason = str(error) if isinstance(error, BadColumn) else _first_line(error)
        raise StateError(
            f"the state store's {table} table holds an unreadable row ({key()}): {reason}; "
            "restore the store from a backup, or delete that row if you know what it recorded"
        ) from None


def _first_line(error: Exception) -> str:
    lines = str(error).strip().splitlines()
    first = lines[0] if lines else ""
    return f"{type(error).__name__}: {first[:160]}"
