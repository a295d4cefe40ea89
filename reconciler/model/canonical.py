"""Canonical JSON and the hashes built on it: key order and formatting never change a hash."""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any


def canonical_json(value: Any) -> str:
    """Sorted keys, no insignificant whitespace, UTF-8 kept as is (RFC 8785 in spirit for our data).

    Floats that are whole numbers are written as integers so `1.0` and `1` (YAML spells both) hash alike.
    The walk that does so runs only when the fast encoding shows a float that might be whole: most
    specs have none, and the walk costs more than the encoding (fingerprinting is on the plan's hot path).
    """
    if hasattr(value, "model_dump_json"):
        value = json.loads(value.model_dump_json())
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_model)
    if "e+" in text:
        # Floats of 1e16 and more print with an exponent; the token rewrite below does not cover them.
        return json.dumps(_normalise(value), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    if ".0" in text:
        text = _rewrite_whole_floats(text)
    return text


def _rewrite_whole_floats(text: str) -> str:
    if _TOP_LEVEL_WHOLE.fullmatch(text):
        return _int_text(text[:-2])
    candidates = list(_MAYBE_WHOLE.finditer(text))
    if not candidates:
        return text
    if "\\" in text:
        # Escaped quotes make quote counting wrong: the exact (slower) token rewrite.
        return _WHOLE_FLOAT.sub(_whole, text)
    # Without backslashes a position is inside a string exactly when an odd number of quotes precede it.
    out: list[str] = []
    quotes = 0
    last = 0
    for match in candidates:
        start, end = match.span(1)
        quotes += text.count('"', last, start)
        out.append(text[last:start])
        out.append(text[start:end] if quotes % 2 else _int_text(text[start : end - 2]))
        last = end
    out.append(text[last:])
    return "".join(out)


def _int_text(number: str) -> str:
    # -0.0 is whole too: int(-0.0) is 0, so the walk below and this rewrite must agree.
    return "0" if number.lstrip("-0") == "" else number


# A JSON string literal (skipped whole) or a number token ending in ".0": rewriting tokens in C is ~10x
# cheaper than walking the value in Python, and string contents are never touched.
_WHOLE_FLOAT = re.compile(r'"(?:[^"\\]|\\.)*"|(?<![0-9.])(-?[0-9]+)\.0(?![0-9eE])')


# Compact JSON puts a number token after `:`, `,` or `[` (or alone) and ends it at `,`, `]` or `}`: every
# whole float matches, and so may text inside a string, which the quote count (or the exact rewrite) then
# leaves alone. Matching only these spots avoids a Python callback per string literal, which made
# fingerprinting a 1,000-assistant plan cost ~0.2 s. The structural character is consumed rather than
# looked behind for: a lookbehind alternation made the scan ~6x slower.
_MAYBE_WHOLE = re.compile(r"[:,\[](-?[0-9]+\.0)(?=[,\]}])")
_TOP_LEVEL_WHOLE = re.compile(r"-?[0-9]+\.0")


def _whole(match: re.Match[str]) -> str:
    number = match.group(1)
    return match.group(0) if number is None else _int_text(number)


def _model(value: Any) -> Any:
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json")
    raise TypeError(f"not JSON data: {type(value).__name__}")


def _normalise(value: Any) -> Any:
    kind = type(value)
    if kind is dict:
        return {str(k): _normalise(v) for k, v in value.items()}
    if kind is list or kind is tuple:
        return [_normalise(v) for v in value]
    if kind is float and value.is_integer():
        return int(value)
    if value is None or kind in (str, int, bool, float):
        return value
    if hasattr(value, "model_dump"):
        return _normalise(value.model_dump(mode="json"))
    raise TypeError(f"not JSON data: {type(value).__name__}")


def sha256_hex(data: bytes | str) -> str:
    if isinstance(data, str):
        data = data.encode("utf-8")
    return hashlib.sha256(data).hexdigest()


def fingerprint(value: Any, *, length: int = 16) -> str:
    """Short content hash of canonical JSON; 16 hex chars (64 bits) is plenty per project."""
    return sha256_hex(canonical_json(value))[:length]
