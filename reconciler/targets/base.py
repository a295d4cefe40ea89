"""The Target protocol: what the executor and reader need from a platform, in neutral terms.

Specs are the neutral dicts of `model.specs`; references arrive already resolved to platform ids.
`versions_on_platform` tells whether an assistant version is a platform object (Assistants v2) or a
release bundle kept in our store (the Responses-era platform), so the planner never needs to know which.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from threading import Lock
from typing import Any, Protocol, TypeVar

from reconciler.model.desired import Kind
from reconciler.model.live import (
    LiveAssistant,
    LiveFile,
    LiveSpendAlert,
    LiveSpendLimit,
    LiveState,
    LiveVectorStore,
    LiveVectorStoreFile,
)

T = TypeVar("T")


class ReadRunner(Protocol):
    """Runs one idempotent read (`admin` marks Admin API calls). The service passes a retrying one, so a
    503 or 429 while planning is waited out; a read is safe to repeat, unlike a create."""

    def __call__(self, fn: Callable[[], T], *, admin: bool = False) -> T: ...


def run_once(fn: Callable[[], T], *, admin: bool = False) -> T:
    """The default runner: no retries (tests and callers that retry around the whole read)."""
    return fn()


# Called with each page of live assistants as it arrives, on reader threads, while later pages are in
# flight: the service digests them there instead of after the whole read. With list hints the pages
# come from several threads at once, out of order, possibly cut short or from segments the result does
# not use; so a sink keys what it keeps by object and is reused only for the very objects returned.
# A listing that is repeated (a retried read) pages again.
PageSink = Callable[[Sequence[LiveAssistant]], None]


@dataclass
class RequestStats:
    """Counts HTTP requests a target sent (benchmarks compare them with the minimum possible)."""

    requests: int = 0
    by_route: dict[str, int] = field(default_factory=dict)
    _lock: Lock = field(default_factory=Lock, repr=False)

    def count(self, method: str, path: str) -> None:
        with self._lock:
            self.requests += 1
            key = f"{method} {path}"
            self.by_route[key] = self.by_route.get(key, 0) + 1


class Target(Protocol):
    name: str
    versions_on_platform: bool
    stats: RequestStats

    def read(
        self,
        kinds: Collection[Kind],
        *,
        run: ReadRunner = run_once,
        store_ids: Callable[[], Collection[str]] | None = None,
        on_assistants: PageSink | None = None,
        hints: Mapping[str, Sequence[str]] | None = None,
    ) -> LiveState: ...

    def list_hints(self, live: LiveState, kinds: Collection[Kind]) -> dict[str, tuple[str, ...]]:
        """Cursors a later `read(hints=...)` can start its pages from, learnt from a read of `kinds`;
        the store keeps them between runs. Hints change how many round trips a read takes, never what
        it returns."""
        ...

    def close(self) -> None: ...

    # Assistants
    def create_assistant(
        self,
        spec: Mapping[str, Any],
        *,
        metadata: Mapping[str, str],
        vector_store_ids: Sequence[str],
        code_interpreter_file_ids: Sequence[str],
    ) -> LiveAssistant: ...

    def update_assistant(
        self,
        assistant_id: str,
        spec: Mapping[str, Any],
        *,
        metadata: Mapping[str, str],
        vector_store_ids: Sequence[str],
        code_interpreter_file_ids: Sequence[str],
    ) -> LiveAssistant: ...

    def delete_assistant(self, assistant_id: str) -> None: ...

    def find_assistants(self, label_name: str, owner: str) -> list[LiveAssistant]: ...

    # Files
    def upload_file(self, *, filename: str, content: bytes, purpose: str) -> LiveFile: ...

    def find_files(self, *, filename: str, size: int, purpose: str) -> list[LiveFile]:
        """Files with exactly this name and size. The name must carry our identity tag
        (`model.labels.tagged_filename`): a plain name and a size prove nothing about content or owner."""
        ...

    def delete_file(self, file_id: str) -> None: ...

    # Vector stores and their files
    def create_vector_store(
        self, spec: Mapping[str, Any], *, metadata: Mapping[str, str]
    ) -> LiveVectorStore: ...

    def update_vector_store(
        self, vector_store_id: str, spec: Mapping[str, Any], *, metadata: Mapping[str, str]
    ) -> LiveVectorStore: ...

    def delete_vector_store(self, vector_store_id: str) -> None: ...

    def find_vector_stores(self, label_name: str, owner: str) -> list[LiveVectorStore]: ...

    def attach_file(
        self,
        vector_store_id: str,
        file_id: str,
        *,
        attributes: Mapping[str, str | float | bool],
        chunking: Mapping[str, Any],
    ) -> LiveVectorStoreFile: ...

    def get_vector_store_file(self, vector_store_id: str, file_id: str) -> LiveVectorStoreFile: ...

    def update_file_attributes(
        self, vector_store_id: str, file_id: str, attributes: Mapping[str, str | float | bool]
    ) -> LiveVectorStoreFile: ...

    def detach_file(self, vector_store_id: str, file_id: str) -> None: ...

    # Admin API: spend controls
    def list_spend_alerts(self, scope: str) -> list[LiveSpendAlert]:
        """The alerts of one scope (a project id or `organization`): one listing."""
        ...

    def create_spend_alert(self, spec: Mapping[str, Any]) -> LiveSpendAlert: ...

    def update_spend_alert(self, alert_id: str, spec: Mapping[str, Any]) -> LiveSpendAlert: ...

    def delete_spend_alert(self, alert_id: str, scope: str) -> None: ...

    def set_spend_limit(self, spec: Mapping[str, Any]) -> LiveSpendLimit: ...

    def delete_spend_limit(self, scope: str) -> None: ...
