"""Writing a new target means implementing the handler table for the kinds it supports.

`MemoryTarget` keeps vector stores, uploads and attachments in dicts: three handlers, a table, and a read
made from them (`targets.reading.read_all`, none of the speed machinery). The service plans and applies a
manifest of a vector store with files against it end to end, and refuses a kind it does not support.
"""

from __future__ import annotations

import itertools
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from reconciler import service
from reconciler.errors import NotFound, UserError
from reconciler.manifest import load_project
from reconciler.model.desired import Kind
from reconciler.model.live import LiveFile, LiveState, LiveVectorStore, LiveVectorStoreFile
from reconciler.plan.definition import Action
from reconciler.service.workspace import Workspace
from reconciler.store import open_store
from reconciler.targets.base import RequestStats
from reconciler.targets.handlers import HandlerTable, Ref, UnsupportedKind, Write, labelled_like
from reconciler.targets.reading import read_all
from reconciler.targets.tuning import ReadTuning

PROJECT = """\
apiVersion: reconciler.dev/v1
kind: Project
metadata:
  name: memory-demo
spec:
  manifests: manifests
  defaultTarget: memory
  state: sqlite:///.reconcile/state.db  # unused: the test opens an in-memory store
  targets:
    memory:
      type: local
"""

STORE = """\
apiVersion: reconciler.dev/v1
kind: VectorStore
metadata:
  name: Handbook
spec:
  files:
    - path: files/rules.md
      attributes: {kind: rules}
    - path: files/faq.md
  metadata:
    team: docs
"""

ASSISTANT = """\
apiVersion: reconciler.dev/v1
kind: Assistant
metadata:
  name: Helper
spec:
  model: gpt-4o
  instructions: Help.
"""


class MemoryTarget:
    """Vector stores and files only, in memory."""

    name = "memory"
    versions_on_platform = False

    def __init__(self) -> None:
        self.stats = RequestStats()
        self.stores: dict[str, LiveVectorStore] = {}
        self.files: dict[str, LiveFile] = {}
        self.attached: dict[str, dict[str, LiveVectorStoreFile]] = {}
        self.ids = itertools.count(1)
        self.handlers = HandlerTable.of(self.name, Stores(self), Files(self), StoreFiles(self))

    def read(self, kinds: Collection[Kind], tuning: ReadTuning | None = None) -> LiveState:
        return read_all(self.handlers, kinds, tuning)

    def close(self) -> None:
        pass


class Stores:
    kind = Kind.VECTOR_STORE

    def __init__(self, target: MemoryTarget) -> None:
        self.t = target

    def read_all(self, parent: str = "") -> list[LiveVectorStore]:
        return list(self.t.stores.values())

    def get(self, ref: Ref) -> LiveVectorStore:
        if ref.id not in self.t.stores:
            raise NotFound(f"no vector store {ref.id}", status=404)
        return self.t.stores[ref.id]

    def create(self, write: Write) -> LiveVectorStore:
        return self.update(Ref(f"vs_{next(self.t.ids)}"), write)

    def update(self, ref: Ref, write: Write) -> LiveVectorStore:
        live = LiveVectorStore(
            id=ref.id,
            name=write.spec["name"],
            metadata=dict(write.metadata),
            expires_after_days=write.spec.get("expires_after_days"),
        )
        self.t.stores[ref.id] = live
        return live

    def delete(self, ref: Ref) -> None:
        self.t.stores.pop(ref.id, None)
        self.t.attached.pop(ref.id, None)

    def recover(self, write: Write) -> list[LiveVectorStore]:
        return labelled_like(self.read_all(), write)


class Files:
    kind = Kind.FILE

    def __init__(self, target: MemoryTarget) -> None:
        self.t = target

    def read_all(self, parent: str = "") -> list[LiveFile]:
        return list(self.t.files.values())

    def get(self, ref: Ref) -> LiveFile:
        if ref.id not in self.t.files:
            raise NotFound(f"no file {ref.id}", status=404)
        return self.t.files[ref.id]

    def create(self, write: Write) -> LiveFile:
        live = LiveFile(
            id=f"file_{next(self.t.ids)}",
            filename=str(write.spec["filename"]),
            bytes=len(write.content),
            purpose=str(write.spec["purpose"]),
        )
        self.t.files[live.id] = live
        return live

    def update(self, ref: Ref, write: Write) -> LiveFile:
        raise NotImplementedError("uploads are replaced, not updated")

    def delete(self, ref: Ref) -> None:
        self.t.files.pop(ref.id, None)

    def recover(self, write: Write) -> list[LiveFile]:
        wanted = (write.spec["filename"], write.spec["size"])
        return [f for f in self.t.files.values() if (f.filename, f.bytes) == wanted]


class StoreFiles:
    kind = Kind.VECTOR_STORE_FILE

    def __init__(self, target: MemoryTarget) -> None:
        self.t = target

    def read_all(self, parent: str = "") -> list[LiveVectorStoreFile]:
        return list(self.t.attached.get(parent, {}).values())

    def get(self, ref: Ref) -> LiveVectorStoreFile:
        try:
            return self.t.attached[ref.parent][ref.id]
        except KeyError:
            raise NotFound(f"no file {ref.id} in {ref.parent}", status=404) from None

    def create(self, write: Write) -> LiveVectorStoreFile:
        ref = Ref(str(write.spec["file_id"]), write.parent)
        live = LiveVectorStoreFile(
            id=ref.id,
            vector_store_id=ref.parent,
            status="completed",
            attributes=dict(write.spec["attributes"]),
            usage_bytes=self.t.files[ref.id].bytes,
        )
        self.t.attached.setdefault(ref.parent, {})[ref.id] = live
        return live

    def update(self, ref: Ref, write: Write) -> LiveVectorStoreFile:
        live = self.get(ref).model_copy(update={"attributes": dict(write.spec["attributes"])})
        self.t.attached[ref.parent][ref.id] = live
        return live

    def delete(self, ref: Ref) -> None:
        self.t.attached.get(ref.parent, {}).pop(ref.id, None)

    def recover(self, write: Write) -> list[LiveVectorStoreFile]:
        found = self.t.attached.get(write.parent, {}).get(str(write.spec["file_id"]))
        return [found] if found is not None else []


def _project(root: Path, *, assistant: bool = False) -> Path:
    (root / "manifests" / "files").mkdir(parents=True)
    (root / "reconcile.yaml").write_text(PROJECT, encoding="utf-8")
    (root / "manifests" / "handbook.yaml").write_text(STORE, encoding="utf-8")
    (root / "manifests" / "files" / "rules.md").write_text("# Rules\nKeep receipts.\n", encoding="utf-8")
    (root / "manifests" / "files" / "faq.md").write_text("# FAQ\nAsk finance.\n", encoding="utf-8")
    if assistant:
        (root / "manifests" / "helper.yaml").write_text(ASSISTANT, encoding="utf-8")
    return root


@pytest.fixture
def target() -> MemoryTarget:
    return MemoryTarget()


@contextmanager
def _workspace(root: Path, target: MemoryTarget) -> Iterator[Workspace]:
    project = load_project(root)
    name, config = project.config.target(None)
    with Workspace(project, name, config, target, open_store("sqlite:///:memory:")) as ws:
        yield ws


def test_the_service_plans_and_applies_a_store_with_files_on_a_target_of_three_handlers(
    tmp_path: Path, target: MemoryTarget
) -> None:
    with _workspace(_project(tmp_path), target) as ws:
        plan, _ = service.make_plan(ws)
        creates = {str(c.address) for c in plan.changes if c.action is Action.CREATE}
        assert creates == {
            "VectorStore/Handbook",
            "File/manifests/files/rules.md",
            "File/manifests/files/faq.md",
            "VectorStoreFile/Handbook/manifests/files/rules.md",
            "VectorStoreFile/Handbook/manifests/files/faq.md",
        }
        _, report = service.apply(ws, sleep=lambda _s: None)
        assert report is not None and report.ok
        (store,) = target.stores.values()
        assert store.name == "Handbook" and store.metadata["team"] == "docs"
        assert len(target.files) == 2
        assert set(target.attached[store.id]) == set(target.files)
        again, _ = service.make_plan(ws)
        assert not again.has_changes, [(c.address, c.action) for c in again.actionable()]


def test_a_kind_the_target_does_not_support_is_one_clear_error(tmp_path: Path, target: MemoryTarget) -> None:
    with _workspace(_project(tmp_path, assistant=True), target) as ws:
        with pytest.raises(UnsupportedKind) as refused:
            service.make_plan(ws)
        assert isinstance(refused.value, UserError)
        message = str(refused.value)
        assert message == (
            "target 'memory' does not support Assistant (it supports File, VectorStore, VectorStoreFile);"
            " asked for by Assistant/Helper"
        )
        assert "\n" not in message
        assert target.stores == {} and target.files == {}  # refused before anything was read or sent


def test_the_table_refuses_a_kind_it_has_no_handler_for(target: MemoryTarget) -> None:
    with pytest.raises(UnsupportedKind, match="does not support SpendAlert"):
        target.handlers[Kind.SPEND_ALERT]
    with pytest.raises(UnsupportedKind, match="does not support Assistant"):
        target.read([Kind.ASSISTANT])
