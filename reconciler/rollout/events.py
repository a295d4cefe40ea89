"""Pointer-move notifications inside one process: the runtime cache subscribes, rollout notifies.

A pointer move made by `rollout.releases` calls `notify(workspace, assistant)` after it is committed, so a
`runtime.Router` in the same process forgets its cached answer at once. Other processes are not told:
their routers fall back to their cache TTL (see `reconciler.runtime`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from threading import Lock

__all__ = ["Listener", "notify", "subscribe", "unsubscribe"]

Listener = Callable[[str, str], None]
"""Called with (workspace, assistant) after one of that assistant's pointers moved."""

_log = logging.getLogger(__name__)
_listeners: list[Listener] = []
_lock = Lock()


def subscribe(callback: Listener) -> Callable[[], None]:
    """Register `callback`; returns a function that unregisters it (idempotent)."""
    with _lock:
        _listeners.append(callback)

    def cancel() -> None:
        unsubscribe(callback)

    return cancel


def unsubscribe(callback: Listener) -> None:
    """Forget `callback`; forgetting one that is not registered does nothing."""
    with _lock:
        if callback in _listeners:
            _listeners.remove(callback)


def notify(workspace: str, assistant: str) -> None:
    """Tell every listener that a pointer of `assistant` moved. A failing listener is logged and skipped:
    the move is already committed, and one broken cache must not hide it from the others."""
    with _lock:
        listeners = list(_listeners)  # call outside the lock so a listener may (un)subscribe
    for listener in listeners:
        try:
            listener(workspace, assistant)
        except Exception:  # isolate listeners from each other (see docstring)
            _log.exception("pointer-move listener %r failed", listener)
