"""Fakes the paging tests share: a raw SDK response and a thread-safe page sink."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any, Generic, TypeVar

T = TypeVar("T")


class Raw:
    """What `with_raw_response` returns, as far as `targets.paging` looks: `.http_response.json()`."""

    def __init__(self, body: Any) -> None:
        self.http_response = self
        self._body = body

    def json(self) -> Any:
        return self._body


class Sink(Generic[T]):
    """An `on_page` callback that keeps everything it is handed, from any thread."""

    def __init__(self) -> None:
        self.seen: list[T] = []
        self._lock = threading.Lock()

    def __call__(self, page: Sequence[T]) -> None:
        with self._lock:
            self.seen.extend(page)
