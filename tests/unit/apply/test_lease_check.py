"""An apply that loses its state lease in the middle of a step: the step sends nothing more (not even the
ingestion poll that follows an attachment), no later step runs, and nothing more is written to the store;
the journal stays open, as a crash leaves it, for the apply that holds the lock now."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from reconciler.apply.executor import Executor, ExecutorOptions
from reconciler.config import RetrySettings
from reconciler.errors import LeaseLost
from reconciler.model.canonical import sha256_hex
from reconciler.model.desired import DesiredState, Kind, SourceFile, VectorStore
from reconciler.model.live import LiveVectorStoreFile
from reconciler.service import kinds_to_read
from reconciler.store import StateStore, open_store
from reconciler.store.records import ApplyStatus, StepStatus
from reconciler.targets.handlers import HandlerTable, Ref, Write
from tests.unit.apply.fake_target import FakeTarget, StoreFilesHandler
from tests.unit.plan.support import plan_for

WS = "local"
RULES = b"Rule 1: keep receipts.\n"


class _LosingTarget(FakeTarget):
    """The lease is found taken while the attachment is in flight; reads are recorded too."""

    def __init__(self) -> None:
        super().__init__()
        self.lost = threading.Event()
        self.reads: list[str] = []
        handlers = {**self.handlers.handlers, Kind.VECTOR_STORE_FILE: _LosingFiles(self)}
        self.handlers = HandlerTable(self.name, handlers)


class _LosingFiles(StoreFilesHandler):
    t: _LosingTarget

    def create(self, write: Write) -> LiveVectorStoreFile:
        live = super().create(write)
        self.t.lost.set()
        return live

    def get(self, ref: Ref) -> LiveVectorStoreFile:
        self.t.reads.append("get_vector_store_file")
        return super().get(ref)


@pytest.fixture
def store() -> Iterator[StateStore]:
    with open_store("sqlite:///:memory:") as s:
        yield s


def test_a_step_that_lost_the_lease_sends_nothing_more_and_writes_nothing(
    tmp_path: Path, store: StateStore
) -> None:
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "rules.md").write_bytes(RULES)
    source = SourceFile(path="docs/rules.md", sha256=sha256_hex(RULES), size=len(RULES))
    desired = DesiredState(vector_stores={"Policies": VectorStore(name="Policies", files=(source,))})
    target = _LosingTarget()
    stored = store.read(WS)
    plan = plan_for(desired, target.read(kinds_to_read(desired, stored)), stored)
    checks: list[bool] = []

    def lease_check() -> None:
        checks.append(target.lost.is_set())
        if target.lost.is_set():
            raise LeaseLost("this apply lost the state lock: it was taken over by bob@laptop")

    # One worker: the upload and the vector store do not depend on each other, so with more they may
    # start in either order, and the calls below are asserted in order.
    options = ExecutorOptions(
        retry=RetrySettings.model_validate({"concurrency": 1}),
        user="ci",
        host="runner",
        lease_check=lease_check,
    )
    executor = Executor(target, store, root=tmp_path, options=options, sleep=lambda _s: None)
    with pytest.raises(LeaseLost, match="bob@laptop"):
        executor.execute(plan, stored)

    assert target.calls == ["upload_file", "create_vector_store", "attach_file"]
    assert target.reads == []  # the ingestion poll after the attachment was never sent
    assert checks.count(True) >= 1 and checks[: len(target.calls)] == [False] * len(target.calls)
    unfinished = store.unfinished_apply(WS, plan.plan_id)
    assert unfinished is not None and unfinished.status is ApplyStatus.RUNNING
    steps = store.steps(unfinished.apply_id)
    assert steps["VectorStoreFile/Policies/docs/rules.md"].status is StepStatus.STARTED
    assert {str(r.key) for r in store.inventory(WS)} == {"File/docs/rules.md", "VectorStore/Policies"}
