"""The store's promise to hold no secrets, enforced: JSON payloads headed for a table are encoded here,
and anything shaped like an OpenAI API or admin key is refused before it reaches the database.

Nothing the store is asked to keep (fingerprints, platform ids, file paths, step details, verdicts) needs
a key; a key in there is a bug upstream, so failing loudly beats persisting it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from reconciler.errors import StateError

__all__ = ["check_text", "dump_json", "dump_json_value", "load_json"]

# OpenAI keys: sk-..., sk-proj-..., sk-admin-..., sk-svcacct-...; the local emulator's placeholder
# ("sk-local-emulator") is too short to match and is no secret anyway.
_KEY_SHAPE = re.compile(r"sk-(?:proj-|admin-|svcacct-|None-)?[A-Za-z0-9_\-]{20,}")


def check_text(text: str, *, what: str) -> str:
    """Return `text` unchanged, or raise StateError (without echoing the value) if it holds a key."""
    if _KEY_SHAPE.search(text):
        raise StateError(f"refusing to store {what}: it contains something shaped like an API key")
    return text


def dump_json(value: Mapping[str, Any], *, what: str) -> str:
    """Canonical JSON text for a TEXT column, checked for secrets."""
    return dump_json_value(dict(value), what=what)


def dump_json_value(value: object, *, what: str) -> str:
    """`dump_json` for any JSON value (an array of steps, say). NaN and infinities are refused: JSON has
    no spelling for them, and one in a sum would spoil every total it joins."""
    try:
        text = json.dumps(value, sort_keys=True, separators=(",", ":"), allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise StateError(f"{what} is not JSON-serialisable: {exc}") from exc
    return check_text(text, what=what)


def load_json(text: str | None) -> dict[str, Any]:
    if not text:
        return {}
    value = json.loads(text)
    if not isinstance(value, dict):
        raise StateError(f"expected a JSON object in the state store, found {type(value).__name__}")
    return value
