"""One shared object per distinct JSON value, so identical data read many times is kept once.

A project's function tools come from a catalogue: 3,000 assistants using two catalogue tools carried
6,000 copies of a handful of schemas in the desired specs, as many again decoded from the platform's
pages and kept by the live objects, and the live specs copied them once more. `SHARED.intern` hands back
one object per distinct value instead, and remembers its canonical JSON, so a fingerprint does not encode
the same schema again for every assistant (`canonical_spec`).

Interned values are shared: nothing may change them in place (specs are read, compared, hashed and sent,
never edited). Two values are one only when they are the same data exactly: key order (a schema's
property order is what the platform is sent), `1` vs `1.0` vs `true` and list vs tuple all keep values
apart. The key is the value's `marshal` encoding (version 2: no back-references, so it depends on the
data alone), which is exact for JSON data and several times cheaper than encoding JSON. The tables are
bounded: past `limit` entries they start afresh, which costs sharing, never correctness.
"""

from __future__ import annotations

import json
import marshal
from collections.abc import Callable
from threading import Lock
from typing import Any, Generic, TypeVar, cast

from reconciler.model.canonical import canonical_json, sha256_hex

LIMIT = 4096
_MARSHAL_VERSION = 2  # version 3 and later write back-references, which depend on object identity

K = TypeVar("K")
V = TypeVar("V")


def data_key(value: object) -> bytes | None:
    """The exact identity of a JSON value's data, or None for values marshal does not take (dict and
    list subclasses such as the YAML loader's, models)."""
    try:
        return marshal.dumps(cast(Any, value), _MARSHAL_VERSION)
    except ValueError:
        return None


class Interner:
    """Distinct JSON values, each kept once as a fresh copy (never the caller's object, so a value
    decoded from a platform page is not kept alive through it), with its canonical JSON."""

    def __init__(self, limit: int = LIMIT) -> None:
        self._limit = limit
        self._by_key: dict[bytes, dict[str, Any]] = {}
        # By id of a shared value: the value (so the id stays its own) and its canonical JSON once asked.
        self._shared: dict[int, tuple[dict[str, Any], str | None]] = {}
        self._lock = Lock()

    def intern(self, value: dict[str, Any]) -> dict[str, Any]:
        """The shared object holding the same data as `value` (JSON data: dicts, lists, str, numbers,
        bools, None; subclasses of dict and list are read as plain ones)."""
        key = data_key(value)
        if key is None:
            value = json.loads(json.dumps(value))  # plain data, then keyed like any other
            key = data_key(value)
            assert key is not None  # JSON decodes to plain dicts and lists
        found = self._by_key.get(key)
        if found is not None:
            return found
        fresh: dict[str, Any] = marshal.loads(key)  # noqa: S302  (bytes this process just encoded)
        with self._lock:
            found = self._by_key.get(key)
            if found is not None:
                return found
            if len(self._by_key) >= self._limit:
                self._by_key.clear()
                self._shared.clear()
            self._by_key[key] = fresh
            self._shared[id(fresh)] = (fresh, None)
        return fresh

    def is_shared(self, value: object) -> bool:
        known = self._shared.get(id(value))
        return known is not None and known[0] is value

    def canonical(self, value: object) -> str | None:
        """Canonical JSON of `value` if it is one of the shared objects (computed once), else None."""
        known = self._shared.get(id(value))
        if known is None or known[0] is not value:
            return None
        if known[1] is not None:
            return known[1]
        text = canonical_json(value)
        with self._lock:
            if id(value) in self._shared:  # not dropped meanwhile by a table that filled up
                self._shared[id(value)] = (known[0], text)
        return text

    def __len__(self) -> int:
        return len(self._by_key)


class IdentityMemo(Generic[K, V]):
    """`compute(key)` once per key object (by identity, holding the key so its id stays its own);
    bounded like `Interner`. For frozen models, which are unhashable when they hold dicts."""

    def __init__(self, compute: Callable[[K], V], limit: int = LIMIT) -> None:
        self._compute = compute
        self._limit = limit
        self._known: dict[int, tuple[K, V]] = {}
        self._lock = Lock()

    def __call__(self, key: K) -> V:
        known = self._known.get(id(key))
        if known is not None and known[0] is key:
            return known[1]
        value = self._compute(key)
        with self._lock:
            if len(self._known) >= self._limit:
                self._known.clear()
            self._known[id(key)] = (key, value)
        return value


class DataMemo(Generic[V]):
    """`compute(value)` once per distinct JSON value (keyed like `Interner`), bounded like it: for
    conversions of data that arrives again and again in fresh objects (a tool on every page)."""

    def __init__(self, compute: Callable[[Any], V], limit: int = LIMIT) -> None:
        self._compute = compute
        self._limit = limit
        self._known: dict[bytes, V] = {}
        self._lock = Lock()

    def __call__(self, value: Any) -> V:
        key = data_key(value)
        if key is None:
            return self._compute(value)
        found = self._known.get(key)
        if found is not None:
            return found
        made = self._compute(value)
        with self._lock:
            if len(self._known) >= self._limit:
                self._known.clear()
            made = self._known.setdefault(key, made)
        return made


SHARED = Interner()


def share_tools(spec: object) -> None:
    """Replace the tool dicts of a spec this process just decoded (the store's record of what an apply
    left) by the shared objects, in place; anything that is not a spec's tool list is left as it is."""
    if type(spec) is dict:
        tools = spec.get("tools")
        if type(tools) is list:
            spec["tools"] = [SHARED.intern(tool) if type(tool) is dict else tool for tool in tools]


# Stands in for a spec's tool list while the rest is encoded: a private-use character and a token no
# manifest or platform writes (the splice checks that it occurs exactly once anyway).
_MARKER = "\ue000tools-3b1f9c27e04d58a6"
_QUOTED_MARKER = json.dumps(_MARKER, ensure_ascii=False)


def canonical_spec(spec: dict[str, Any]) -> str:
    """`canonical_json(spec)`, character for character, with the canonical JSON of shared tools reused
    rather than encoded again for every assistant that has them."""
    tools = spec.get("tools")
    if type(tools) is not list or not tools:
        return canonical_json(spec)
    texts = [SHARED.canonical(tool) for tool in tools]
    if None in texts:
        return canonical_json(spec)
    rest = canonical_json({**spec, "tools": _MARKER})
    if rest.count(_QUOTED_MARKER) != 1:
        return canonical_json(spec)
    return rest.replace(_QUOTED_MARKER, "[" + ",".join(t for t in texts if t is not None) + "]")


def spec_fingerprint(spec: dict[str, Any], *, length: int = 16) -> str:
    """`canonical.fingerprint(spec)` through `canonical_spec`."""
    return sha256_hex(canonical_spec(spec))[:length]
