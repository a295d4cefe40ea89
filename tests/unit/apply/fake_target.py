"""An in-memory Target over dicts, with the faults the executor must survive.

Its handlers (one per kind, in `handlers`) share the target's dicts. `lose` names operations whose next
call stores the object and then raises TemporaryPlatformError, as if the response were lost; `fail` maps
operation names to an exception raised before anything is stored (once per entry in the list). `calls`
logs every mutating call in order, for ordering assertions. Operations keep the names the executor's
tests know them by (`create_assistant`, `upload_file`, `attach_file`, ...).
"""

from __future__ import annotations

import itertools
from collections.abc import Collection, Mapping, Sequence
from typing import Any

from reconciler.errors import NotFound, TemporaryPlatformError
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
from reconciler.targets.base import RequestStats
from reconciler.targets.handlers import (
    CODE_FILES,
    VECTOR_STORES,
    HandlerTable,
    Ref,
    Write,
    labelled_like,
)
from reconciler.targets.tuning import ReadTuning


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
        self.handlers = HandlerTable.of(
            self.name,
            _Assistants(self),
            _Files(self),
            _Stores(self),
            StoreFilesHandler(self),
            _Alerts(self),
            _Limits(self),
        )

    # ---- plumbing ------------------------------------------------------------------------------------

    def new_id(self, prefix: str) -> str:
        return f"{prefix}_{next(self._ids)}"

    def enter(self, method: str) -> None:
        self.calls.append(method)
        self.stats.count("POST", method)
        pending = self.fail.get(method)
        if pending:
            raise pending.pop(0)

    def leave(self, method: str) -> None:
        if method in self.lose:
            self.lose.remove(method)
            raise TemporaryPlatformError("connection reset after the request was processed")

    def read(self, kinds: Collection[Kind], tuning: ReadTuning | None = None) -> LiveState:
        tuning = tuning or ReadTuning()
        self.hints_seen.append(dict(tuning.hints))
        if tuning.on_assistants is not None and Kind.ASSISTANT in kinds:
            tuning.on_assistants(list(self.assistants.values()))
        if Kind.ASSISTANT in kinds:
            # Every assistant id: a plan over the fake then shows whether hints travel through the store.
            tuning.saw("assistants", tuple(self.assistants))
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


class _Assistants:
    kind = Kind.ASSISTANT

    def __init__(self, target: FakeTarget) -> None:
        self.t = target

    def _assistant(self, assistant_id: str, write: Write) -> LiveAssistant:
        spec = write.spec
        return LiveAssistant(
            id=assistant_id,
            name=spec["name"],
            model=spec["model"],
            instructions=spec["instructions"],
            description=spec.get("description"),
            tools=tuple(dict(t) for t in spec["tools"]),
            file_search_vector_store_ids=tuple(write.references.get(VECTOR_STORES, ())),
            code_interpreter_file_ids=tuple(write.references.get(CODE_FILES, ())),
            temperature=spec["temperature"],
            top_p=spec["top_p"],
            response_format=spec["response_format"],
            reasoning_effort=spec.get("reasoning_effort"),
            metadata=dict(write.metadata),
            created_at=len(self.t.assistants),
        )

    def read_all(self, parent: str = "") -> list[LiveAssistant]:
        return list(self.t.assistants.values())

    def get(self, ref: Ref) -> LiveAssistant:
        if ref.id not in self.t.assistants:
            raise NotFound(f"no assistant {ref.id}", status=404)
        return self.t.assistants[ref.id]

    def create(self, write: Write) -> LiveAssistant:
        self.t.enter("create_assistant")
        live = self._assistant(self.t.new_id("asst"), write)
        self.t.assistants[live.id] = live
        self.t.leave("create_assistant")
        return live

    def update(self, ref: Ref, write: Write) -> LiveAssistant:
        self.t.enter("update_assistant")
        self.get(ref)
        live = self._assistant(ref.id, write)
        self.t.assistants[ref.id] = live
        self.t.leave("update_assistant")
        return live

    def delete(self, ref: Ref) -> None:
        self.t.enter("delete_assistant")
        self.t.assistants.pop(ref.id, None)

    def recover(self, write: Write) -> list[LiveAssistant]:
        return labelled_like(self.read_all(), write)


class _Files:
    kind = Kind.FILE

    def __init__(self, target: FakeTarget) -> None:
        self.t = target

    def read_all(self, parent: str = "") -> list[LiveFile]:
        return list(self.t.files.values())

    def get(self, ref: Ref) -> LiveFile:
        if ref.id not in self.t.files:
            raise NotFound(f"no file {ref.id}", status=404)
        return self.t.files[ref.id]

    def create(self, write: Write) -> LiveFile:
        self.t.enter("upload_file")
        live = LiveFile(
            id=self.t.new_id("file"),
            filename=str(write.spec["filename"]),
            bytes=len(write.content),
            purpose=str(write.spec["purpose"]),
        )
        self.t.files[live.id] = live
        self.t.leave("upload_file")
        return live

    def update(self, ref: Ref, write: Write) -> LiveFile:
        raise NotImplementedError("uploads are replaced, not updated")

    def delete(self, ref: Ref) -> None:
        self.t.enter("delete_file")
        self.t.files.pop(ref.id, None)

    def recover(self, write: Write) -> list[LiveFile]:
        wanted = (write.spec["filename"], write.spec["size"], write.spec["purpose"])
        return [f for f in self.t.files.values() if (f.filename, f.bytes, f.purpose) == wanted]


class _Stores:
    kind = Kind.VECTOR_STORE

    def __init__(self, target: FakeTarget) -> None:
        self.t = target

    def read_all(self, parent: str = "") -> list[LiveVectorStore]:
        return list(self.t.stores.values())

    def get(self, ref: Ref) -> LiveVectorStore:
        if ref.id not in self.t.stores:
            raise NotFound(f"no vector store {ref.id}", status=404)
        return self.t.stores[ref.id]

    def create(self, write: Write) -> LiveVectorStore:
        self.t.enter("create_vector_store")
        live = LiveVectorStore(
            id=self.t.new_id("vs"),
            name=write.spec["name"],
            metadata=dict(write.metadata),
            expires_after_days=write.spec.get("expires_after_days"),
        )
        self.t.stores[live.id] = live
        self.t.leave("create_vector_store")
        return live

    def update(self, ref: Ref, write: Write) -> LiveVectorStore:
        self.t.enter("update_vector_store")
        live = self.t.stores[ref.id].model_copy(
            update={
                "name": write.spec["name"],
                "metadata": dict(write.metadata),
                "expires_after_days": write.spec.get("expires_after_days"),
            }
        )
        self.t.stores[ref.id] = live
        return live

    def delete(self, ref: Ref) -> None:
        self.t.enter("delete_vector_store")
        self.t.stores.pop(ref.id, None)
        self.t.attached.pop(ref.id, None)

    def recover(self, write: Write) -> list[LiveVectorStore]:
        return labelled_like(self.read_all(), write)


class StoreFilesHandler:
    kind = Kind.VECTOR_STORE_FILE

    def __init__(self, target: FakeTarget) -> None:
        self.t = target

    def read_all(self, parent: str = "") -> list[LiveVectorStoreFile]:
        return list(self.t.attached.get(parent, {}).values())

    def get(self, ref: Ref) -> LiveVectorStoreFile:
        try:
            return self.t.attached[ref.parent][ref.id]
        except KeyError:
            raise NotFound(f"no file {ref.id} in {ref.parent}", status=404) from None

    def create(self, write: Write) -> LiveVectorStoreFile:
        self.t.enter("attach_file")
        live = LiveVectorStoreFile(
            id=str(write.spec["file_id"]),
            vector_store_id=write.parent,
            status="completed",
            attributes=dict(write.spec["attributes"]),
        )
        self.t.attached.setdefault(write.parent, {})[live.id] = live
        self.t.leave("attach_file")
        return live

    def update(self, ref: Ref, write: Write) -> LiveVectorStoreFile:
        self.t.enter("update_file_attributes")
        live = self.get(ref).model_copy(update={"attributes": dict(write.spec["attributes"])})
        self.t.attached[ref.parent][ref.id] = live
        return live

    def delete(self, ref: Ref) -> None:
        self.t.enter("detach_file")
        self.t.attached.get(ref.parent, {}).pop(ref.id, None)

    def recover(self, write: Write) -> list[LiveVectorStoreFile]:
        found = self.t.attached.get(write.parent, {}).get(str(write.spec["file_id"]))
        return [found] if found is not None else []


class _Alerts:
    kind = Kind.SPEND_ALERT

    def __init__(self, target: FakeTarget) -> None:
        self.t = target

    def read_all(self, parent: str = "") -> list[LiveSpendAlert]:
        self.t.stats.count("GET", "list_spend_alerts")
        return [a for a in self.t.alerts.values() if not parent or a.scope == parent]

    def get(self, ref: Ref) -> LiveSpendAlert:
        if ref.id not in self.t.alerts:
            raise NotFound(f"no spend alert {ref.id}", status=404)
        return self.t.alerts[ref.id]

    def create(self, write: Write) -> LiveSpendAlert:
        self.t.enter("create_spend_alert")
        spec = write.spec
        live = LiveSpendAlert(
            id=self.t.new_id("spa"),
            scope=spec["scope"],
            threshold_cents=spec["threshold_cents"],
            interval=spec["interval"],
            emails=tuple(sorted(spec["emails"])),
            subject_prefix=spec.get("subject_prefix"),
        )
        self.t.alerts[live.id] = live
        self.t.leave("create_spend_alert")
        return live

    def update(self, ref: Ref, write: Write) -> LiveSpendAlert:
        self.t.enter("update_spend_alert")
        spec = write.spec
        live = self.t.alerts[ref.id].model_copy(
            update={"threshold_cents": spec["threshold_cents"], "emails": tuple(sorted(spec["emails"]))}
        )
        self.t.alerts[ref.id] = live
        return live

    def delete(self, ref: Ref) -> None:
        self.t.enter("delete_spend_alert")
        self.t.alerts.pop(ref.id, None)

    def recover(self, write: Write) -> list[LiveSpendAlert]:
        return self.read_all(str(write.spec["scope"]))


class _Limits:
    kind = Kind.SPEND_LIMIT

    def __init__(self, target: FakeTarget) -> None:
        self.t = target

    def read_all(self, parent: str = "") -> list[LiveSpendLimit]:
        return [lim for lim in self.t.limits.values() if not parent or lim.scope == parent]

    def get(self, ref: Ref) -> LiveSpendLimit:
        if ref.id not in self.t.limits:
            raise NotFound(f"no spend limit at {ref.id}", status=404)
        return self.t.limits[ref.id]

    def create(self, write: Write) -> LiveSpendLimit:
        return self._set(write.spec)

    def update(self, ref: Ref, write: Write) -> LiveSpendLimit:
        return self._set(write.spec)

    def _set(self, spec: Mapping[str, Any]) -> LiveSpendLimit:
        self.t.enter("set_spend_limit")
        live = LiveSpendLimit(
            scope=spec["scope"], amount_cents=spec["amount_cents"], interval=spec["interval"]
        )
        self.t.limits[live.scope] = live
        return live

    def delete(self, ref: Ref) -> None:
        self.t.enter("delete_spend_limit")
        self.t.limits.pop(ref.id, None)

    def recover(self, write: Write) -> list[LiveSpendLimit]:
        return self.read_all(str(write.spec["scope"]))
