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
        text = _WHOLE_FLOAT.sub(_whole, text)
    return text


# A JSON string literal (skipped whole) or a number token ending in ".0": rewriting tokens in C is ~10x
# cheaper than walking the value in Python, and string contents are never touched.
_WHOLE_FLOAT = re.compile(r'"(?:[^"\\]|\\.)*"|(?<![0-9.])(-?[0-9]+)\.0(?![0-9eE])')


def _whole(match: re.Match[str]) -> str:
    number = match.group(1)
    if number is None:
        return match.group(0)
    # -0.0 is whole too: int(-0.0) is 0, so the walk above and this rewrite must agree.
    return "0" if number.lstrip("-0") == "" else number


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
