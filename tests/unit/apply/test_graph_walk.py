"""The executor walks the plan's dependency graph (issue 14 items 3 and 4): independent changes overlap
across stages, a failure skips only its dependents, and finished steps are written in batches."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from reconciler.apply.graph import Gate, build_graph
from reconciler.apply.report import Outcome
from reconciler.errors import PermanentPlatformError
from reconciler.model.desired import DesiredState, ResourceKey
from reconciler.store import StateStore, open_store
from tests.unit.apply.fake_target import FakeTarget
from tests.unit.apply.test_executor import (
    ONE_EACH,
    RULES,
    WS,
    _apply,
    _assistant,
    _counts,
    _desired,
    _executor,
    _outcomes,
    _plan,
)

K = ResourceKey.parse


@pytest.fixture
def store() -> Iterator[StateStore]:
    with open_store("sqlite:///:memory:") as s:
        yield s


@pytest.fixture
def root(tmp_path: Path) -> Path:
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "rules.md").write_bytes(RULES)
    return tmp_path


def _with_plain(desired: DesiredState) -> DesiredState:
    """The example plus an assistant that uses no store or file: independent of everything else."""
    plain = _assistant("Plain").model_copy(update={"builtins": (), "file_search_vector_stores": ()})
    return desired.model_copy(update={"assistants": {**desired.assistants, "Plain": plain}})


def test_a_failure_skips_only_its_dependents_and_names_the_failed_step(store: StateStore, root: Path) -> None:
    target = FakeTarget()
    target.fail = {"create_vector_store": [PermanentPlatformError("bad request", status=400)]}
    _, report = _apply(_with_plain(_desired()), target, store, root)
    assert not report.ok
    outcomes = _outcomes(report)
    assert outcomes["Assistant/Plain"] is Outcome.DONE  # independent: it runs
    assert outcomes["File/docs/rules.md"] is Outcome.DONE
    for dependent in ("VectorStoreFile/Policies/docs/rules.md", "Assistant/Helper", "SpendAlert/monthly"):
        assert outcomes[dependent] is Outcome.SKIPPED
    helper = next(s for s in report.steps if s.address == "Assistant/Helper")
    assert helper.note is not None and "VectorStore/Policies" in helper.note


class _SlowUpload(FakeTarget):
    """An upload that finishes only once an assistant was created: a stage-by-stage walk (files before
    assistants) would wait for it in vain. Only `Plain` can be created first: the other assistant needs
    the store, which needs the upload."""

    def __init__(self) -> None:
        super().__init__()
        self.plain_created = threading.Event()

    def enter(self, method: str) -> None:
        if method == "upload_file":
            self.plain_created.wait(timeout=5.0)
        super().enter(method)

    def leave(self, method: str) -> None:
        super().leave(method)
        if method == "create_assistant":
            self.plain_created.set()


def test_independent_changes_of_different_stages_run_at_the_same_time(store: StateStore, root: Path) -> None:
    target = _SlowUpload()
    _, report = _apply(_with_plain(_desired()), target, store, root)
    assert report.ok
    assert target.plain_created.is_set()
    # Plain was created while the upload waited: before it, not after every earlier stage.
    assert target.calls.index("create_assistant") < target.calls.index("upload_file")
    assert _counts(target) == {**ONE_EACH, "assistants": 2}


def test_an_assistant_waits_for_its_stores_attachments_and_deletes_wait_for_every_write(
    store: StateStore, root: Path
) -> None:
    target = FakeTarget()
    _apply(_desired(), target, store, root)
    graph = build_graph(_plan(_desired(), target, store, allow_empty=True))
    assert graph.changes == {}
    other = _assistant("Other").model_copy(update={"builtins": (), "file_search_vector_stores": ()})
    plan = _plan(DesiredState(assistants={"Other": other}), target, store)
    graph = build_graph(plan)
    writes = Gate("every create and update")
    assert graph.needs[writes] == (K("Assistant/Other"),)
    assert writes in graph.needs[K("SpendAlert/monthly")]  # deletes: the last stage's first
    assert Gate("deletes of spend") in graph.needs[K("Assistant/Helper")]
    with open_store("sqlite:///:memory:") as fresh:
        first = build_graph(_plan(_desired(), FakeTarget(), fresh))
    assert K("VectorStoreFile/Policies/docs/rules.md") in first.needs[K("Assistant/Helper")]
    assert K("VectorStore/Policies") in first.needs[K("Assistant/Helper")]


def test_finished_steps_are_written_in_batches(store: StateStore, root: Path) -> None:
    target = FakeTarget()
    plain = {"builtins": (), "file_search_vector_stores": ()}
    desired = DesiredState(
        assistants={f"A{i:02d}": _assistant(f"A{i:02d}").model_copy(update=plain) for i in range(40)}
    )
    plan = _plan(desired, target, store)
    statements = [0]
    run, run_many = store._run, store._run_many  # type: ignore[attr-defined]

    def one(sql: str, params: object) -> object:
        statements[0] += 1
        return run(sql, params)

    def batch(sql: str, params: object) -> None:
        statements[0] += 1
        run_many(sql, params)

    store._run, store._run_many = one, batch  # type: ignore[attr-defined]
    report = _executor(target, store, root).execute(plan, store.read(WS))
    assert report.ok and len(report.steps) == 40
    assert statements[0] / 40 <= 2  # was about 15 a step, one transaction per step
    assert len(store.inventory(WS)) == 40
