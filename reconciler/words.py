"""How counts, values and names read to a user: a noun that agrees with its count, a value in the JSON
terms a manifest author knows (`null`, `true`, `2026`, never Python's `None`, `True`, `2026.0`), a span of
seconds as manifests write it (`90s`, `5m`, `30d`), and the nearest spelling of a mistyped name.
"""

from __future__ import annotations

import difflib
import json
import math
from collections.abc import Iterable
from typing import Any

# Strings longer than this are cut in messages: a message quotes a value, it does not reprint a document.
_LONGEST = 80


def count(n: int, noun: str, plural: str = "") -> str:
    """`1 warning`, `2 warnings`, `0 warnings`; `plural` for nouns that do not just take an s."""
    return f"{n} {noun if n == 1 else plural or noun + 's'}"


def span(seconds: float) -> str:
    """A length of time in the largest whole unit: `30 days`, `12 hours`, `90 minutes`, `45 seconds`."""
    for noun, size in (("day", 86_400), ("hour", 3_600), ("minute", 60)):
        if seconds >= size and seconds % size == 0:
            return count(int(seconds // size), noun)
    return count(int(seconds), "second") if seconds == int(seconds) else f"{seconds:g} seconds"


def value(data: Any) -> str:
    """A value as a manifest author wrote it: text quoted ('x', as messages quote names), anything else
    as JSON spells it (`null`, `true`, `2.5`, `10.0`)."""
    if isinstance(data, str):
        return repr(data if len(data) <= _LONGEST else data[: _LONGEST - 3] + "...")
    return json.dumps(data, ensure_ascii=False, sort_keys=True, default=str)


def kind_of(data: Any) -> str:
    """What a value is, in JSON's words: null, a boolean, a number, a string, a list or a mapping."""
    if data is None:
        return "null"
    if isinstance(data, bool):
        return "a boolean"
    if isinstance(data, int | float):
        return "a number"
    if isinstance(data, str):
        return "a string"
    if isinstance(data, list | tuple):
        return "a list"
    return "a mapping"


def whole(data: Any) -> Any:
    """`data` with every float that is a whole number made an int (JSON has one kind of number): how a
    value that passed through a number field (YAML's `1` read as `1.0`) is shown."""
    if isinstance(data, float):
        return int(data) if math.isfinite(data) and data.is_integer() else data
    if isinstance(data, dict):
        return {k: whole(v) for k, v in data.items()}
    if isinstance(data, list | tuple):
        return [whole(v) for v in data]
    return data


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """`; did you mean 'x'?` naming the closest of `choices`, or "" when none is close."""
    found = difflib.get_close_matches(word, sorted(set(choices)), n=1, cutoff=0.6)
    if not found:
        lowered = {c.lower(): c for c in choices}
        found = [lowered[word.lower()]] if word.lower() in lowered else []
    return f"; did you mean {found[0]!r}?" if found else ""


def duration(seconds: float) -> str:
    """Seconds as manifests and the project file write them: `90s`, `5m`, `1h`, `30d` (the largest whole
    unit), `1.5s` when not a whole number."""
    whole = int(seconds)
    if whole != seconds:
        return f"{seconds:g}s"
    for unit, size in (("d", 86_400), ("h", 3_600), ("m", 60)):
        if whole >= size and whole % size == 0:
            return f"{whole // size}{unit}"
    return f"{whole}s"
