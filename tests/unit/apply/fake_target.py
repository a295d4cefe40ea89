"""An in-memory Target over dicts, with the faults the executor must survive.

`lose` names methods whose next call stores the object and then raises TemporaryPlatformError, as if the
response were lost; `fail` maps method names to an exception raised before anything is stored (once per
entry in the list). `calls` logs every mutating call in order, for ordering assertions.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Collection, Mapping, Sequence
from typing import Any

from reconciler.errors import NotFound, TemporaryPlatformError
from reconciler.model import labels
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
from reconciler.targets.base import PageSink, ReadRunner, RequestStats, run_once


class FakeTarget:
    name = "fake"
    versions_on_platform = True

    def __init__(self) -> None:
        self.stats = RequestStats()
        self.assistants: dict[str, LiveAssistant] = {}
        self.files: dict[str, LiveFile] = {}
        self.stores: dict[str, LiveVectorStore] = {}
        self.attached: dict[str, dict[str, LiveVectorStoreFile]] = {}
        self.alerts: dict[str, LiveSpendAlert] = {}
        self.limits: dict[str, LiveSpendLimit] = {}
        self.calls: list[str] = []
        self.lose: list[str] = []
        self.fail: dict[str, list[BaseException]] = {}
        self.hints_seen: list[dict[str, Sequence[str]]] = []  # the `hints` of every read, in order
        self._ids = itertools.count(1)

    # ---- plumbing ------------------------------------------------------------------------------------

    def _id(self, prefix: str) -> str:
        return f"{prefix}_{next(self._ids)}"

    def _enter(self, method: str) -> None:
        self.calls.append(method)
        self.stats.count("POST", method)
        pending = self.fail.get(method)
        if pending:
            raise pending.pop(0)

    def _leave(self, method: str) -> None:
        if method in self.lose:
            self.lose.remove(method)
            raise TemporaryPlatformError("connection reset after the request was processed")

    def list_hints(self, live: LiveState, kinds: Collection[Kind]) -> dict[str, tuple[str, ...]]:
        # Every assistant id: a plan over the fake then shows whether hints travel through the store.
        return {"assistants": tuple(live.assistants)} if Kind.ASSISTANT in kinds else {}

    def read(
        self,
        kinds: Collection[Kind],
        *,
        run: ReadRunner = run_once,
        store_ids: Callable[[], Collection[str]] | None = None,
        on_assistants: PageSink | None = None,
        hints: Mapping[str, Sequence[str]] | None = None,
    ) -> LiveState:
        self.hints_seen.append(dict(hints or {}))
        if on_assistants is not None and Kind.ASSISTANT in kinds:
            on_assistants(list(self.assistants.values()))
        stores = {
            i: s.model_copy(update={"files": tuple(self.attached.get(i, {}).values())})
            for i, s in self.stores.items()
        }
        return LiveState(
            assistants=dict(self.assistants) if Kind.ASSISTANT in kinds else {},
            files=dict(self.files),
            vector_stores=stores if Kind.VECTOR_STORE in kinds else {},
            spend_alerts=dict(self.alerts) if Kind.SPEND_ALERT in kinds else {},
            spend_limits=dict(self.limits) if Kind.SPEND_LIMIT in kinds else {},
        )

    def close(self) -> None:
        pass

    # ---- assistants ----------------------------------------------------------------------------------

    def _assistant(
        self,
        assistant_id: str,
        spec: Mapping[str, Any],
        metadata: Mapping[str, str],
        vector_store_ids: Sequence[str],
        code_interpreter_file_ids: Sequence[str],
    ) -> LiveAssistant:
        return LiveAssistant(
            id=assistant_id,
            name=spec["name"],
            model=spec["model"],
            instructions=spec["instructions"],
            description=spec.get("description"),
            tools=tuple(dict(t) for t in spec["tools"]),
            file_search_vector_store_ids=tuple(vector_store_ids),
            code_interpreter_file_ids=tuple(code_interpreter_file_ids),
            temperature=spec["temperature"],
            top_p=spec["top_p"],
            response_format=spec["response_format"],
            reasoning_effort=spec.get("reasoning_effort"),
            metadata=dict(metadata),
            created_at=len(self.assistants),
        )

    def create_assistant(
        self,
        spec: Mapping[str, Any],
        *,
        metadata: Mapping[str, str],
        vector_store_ids: Sequence[str],
        code_interpreter_file_ids: Sequence[str],
    ) -> LiveAssistant:
        self._enter("create_assistant")
        live = self._assistant(self._id("asst"), spec, metadata, vector_store_ids, code_interpreter_file_ids)
        self.assistants[live.id] = live
        self._leave("create_assistant")
        return live

    def update_assistant(
        self,
        assistant_id: str,
        spec: Mapping[str, Any],
        *,
        metadata: Mapping[str, str],
        vector_store_ids: Sequence[str],
        code_interpreter_file_ids: Sequence[str],
    ) -> LiveAssistant:
        self._enter("update_assistant")
        if assistant_id not in self.assistants:
            raise NotFound(f"no assistant {assistant_id}", status=404)
        live = self._assistant(assistant_id, spec, metadata, vector_store_ids, code_interpreter_file_ids)
        self.assistants[assistant_id] = live
        self._leave("update_assistant")
        return live

    def delete_assistant(self, assistant_id: str) -> None:
        self._enter("delete_assistant")
        self.assistants.pop(assistant_id, None)

    def find_assistants(self, label_name: str, owner: str) -> list[LiveAssistant]:
        return [
            a
            for a in self.assistants.values()
            if a.metadata.get(labels.NAME) == label_name and labels.is_ours(a.metadata, owner)
        ]

    # ---- files ---------------------------------------------------------------------------------------

    def upload_file(self, *, filename: str, content: bytes, purpose: str) -> LiveFile:
        self._enter("upload_file")
        live = LiveFile(id=self._id("file"), filename=filename, bytes=len(content), purpose=purpose)
        self.files[live.id] = live
        self._leave("upload_file")
        return live

    def find_files(self, *, filename: str, size: int, purpose: str) -> list[LiveFile]:
        return [
            f for f in self.files.values() if (f.filename, f.bytes, f.purpose) == (filename, size, purpose)
        ]

    def delete_file(self, file_id: str) -> None:
        self._enter("delete_file")
        self.files.pop(file_id, None)

    # ---- vector stores -------------------------------------------------------------------------------

    def create_vector_store(self, spec: Mapping[str, Any], *, metadata: Mapping[str, str]) -> LiveVectorStore:
        self._enter("create_vector_store")
        live = LiveVectorStore(
            id=self._id("vs"),
            name=spec["name"],
            metadata=dict(metadata),
            expires_after_days=spec.get("expires_after_days"),
        )
        self.stores[live.id] = live
        self._leave("create_vector_store")
        return live

    def update_vector_store(
        self, vector_store_id: str, spec: Mapping[str, Any], *, metadata: Mapping[str, str]
    ) -> LiveVectorStore:
        self._enter("update_vector_store")
        live = self.stores[vector_store_id].model_copy(
            update={
                "name": spec["name"],
                "metadata": dict(metadata),
                "expires_after_days": spec.get("expires_after_days"),
            }
        )
        self.stores[vector_store_id] = live
        return live

    def delete_vector_store(self, vector_store_id: str) -> None:
        self._enter("delete_vector_store")
        self.stores.pop(vector_store_id, None)
        self.attached.pop(vector_store_id, None)

    def find_vector_stores(self, label_name: str, owner: str) -> list[LiveVectorStore]:
        return [
            s
            for s in self.stores.values()
            if s.metadata.get(labels.NAME) == label_name and labels.is_ours(s.metadata, owner)
        ]

    def attach_file(
        self,
        vector_store_id: str,
        file_id: str,
        *,
        attributes: Mapping[str, str | float | bool],
        chunking: Mapping[str, Any],
    ) -> LiveVectorStoreFile:
        self._enter("attach_file")
        live = LiveVectorStoreFile(
            id=file_id, vector_store_id=vector_store_id, status="completed", attributes=dict(attributes)
        )
        self.attached.setdefault(vector_store_id, {})[file_id] = live
        self._leave("attach_file")
        return live

    def get_vector_store_file(self, vector_store_id: str, file_id: str) -> LiveVectorStoreFile:
        try:
            return self.attached[vector_store_id][file_id]
        except KeyError:
            raise NotFound(f"no file {file_id} in {vector_store_id}", status=404) from None

    def update_file_attributes(
        self, vector_store_id: str, file_id: str, attributes: Mapping[str, str | float | bool]
    ) -> LiveVectorStoreFile:
        self._enter("update_file_attributes")
        live = self.get_vector_store_file(vector_store_id, file_id).model_copy(
            update={"attributes": dict(attributes)}
        )
        self.attached[vector_store_id][file_id] = live
        return live

    def detach_file(self, vector_store_id: str, file_id: str) -> None:
        self._enter("detach_file")
        self.attached.get(vector_store_id, {}).pop(file_id, None)

    # ---- spend controls ------------------------------------------------------------------------------

    def list_spend_alerts(self, scope: str) -> list[LiveSpendAlert]:
        self.stats.count("GET", "list_spend_alerts")
        return [a for a in self.alerts.values() if a.scope == scope]

    def create_spend_alert(self, spec: Mapping[str, Any]) -> LiveSpendAlert:
        self._enter("create_spend_alert")
        live = LiveSpendAlert(
            id=self._id("spa"),
            scope=spec["scope"],
            threshold_cents=spec["threshold_cents"],
            interval=spec["interval"],
            emails=tuple(sorted(spec["emails"])),
            subject_prefix=spec.get("subject_prefix"),
        )
        self.alerts[live.id] = live
        self._leave("create_spend_alert")
        return live

    def update_spend_alert(self, alert_id: str, spec: Mapping[str, Any]) -> LiveSpendAlert:
        self._enter("update_spend_alert")
        live = self.alerts[alert_id].model_copy(
            update={"threshold_cents": spec["threshold_cents"], "emails": tuple(sorted(spec["emails"]))}
        )
        self.alerts[alert_id] = live
        return live

    def delete_spend_alert(self, alert_id: str, scope: str) -> None:
        self._enter("delete_spend_alert")
        self.alerts.pop(alert_id, None)

    def set_spend_limit(self, spec: Mapping[str, Any]) -> LiveSpendLimit:
        self._enter("set_spend_limit")
        live = LiveSpendLimit(
            scope=spec["scope"], amount_cents=spec["amount_cents"], interval=spec["interval"]
        )
        self.limits[live.scope] = live
        return live

    def delete_spend_limit(self, scope: str) -> None:
        self._enter("delete_spend_limit")
        self.limits.pop(scope, None)
