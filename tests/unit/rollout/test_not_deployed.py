"""Issue 12 item 9: an assistant whose pointers were cleared (it was destroyed) resolves to a typed error,
never to the id of an object that is gone; the executor clears them when it destroys an assistant and tells
the in-process routers."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from reconciler.apply.executor import Executor, ExecutorOptions
from reconciler.errors import ReconcilerError, UserError
from reconciler.model.desired import DesiredState
from reconciler.model.stored import VersionRecord
from reconciler.rollout import events
from reconciler.rollout.pointers import UnknownVersion, list_versions, resolve
from reconciler.runtime import AssistantNotDeployed, Router
from reconciler.service import kinds_to_read
from reconciler.store import StateStore, open_store
from tests.unit.apply.fake_target import FakeTarget
from tests.unit.apply.test_executor import RULES, _desired
from tests.unit.plan.support import plan_for

WS = "local"
NAME = "CorporateAssist"


@pytest.fixture
def store() -> Iterator[StateStore]:
    with open_store("sqlite:///:memory:") as s:
        for n in (1, 2):
            version = VersionRecord(assistant=NAME, number=n, platform_id=f"asst_v{n}", fingerprint="f")
            s.add_version(WS, version)
        s.move_pointer(WS, NAME, "stable", 2, user="ci", host="h", reason="apply", now=0.0)
        yield s


def test_the_error_is_in_the_reconciler_tree_and_exported_by_the_runtime() -> None:
    assert issubclass(AssistantNotDeployed, UnknownVersion)
    assert issubclass(AssistantNotDeployed, UserError)
    assert issubclass(AssistantNotDeployed, ReconcilerError)


def test_a_cleared_pointer_raises_naming_the_destroy_and_is_never_cached(store: StateStore) -> None:
    with Router(store, WS, ttl_seconds=3600.0, clock=lambda: 0.0) as router:
        assert router.assistant_id(NAME) == "asst_v2"
        store.clear_pointers(WS, NAME, user="ana", host="ci-1", reason="destroyed: removed", now=1.0)
        events.notify(WS, NAME)  # what an apply run through the service does once it committed
        for _ in range(2):
            with pytest.raises(AssistantNotDeployed, match=r"destroyed .* by ana@ci-1 .*version 2"):
                router.assistant_id(NAME)
        assert router.lookups == 1  # the failures were read from the store, not cached
    views = list_versions(store, WS, NAME)
    assert [(v.number, v.pointers) for v in views] == [(1, ()), (2, ())]


def test_a_pointer_never_set_says_apply_first(store: StateStore) -> None:
    with pytest.raises(AssistantNotDeployed, match="apply first"):
        resolve(store, WS, NAME, "canary")


def test_the_executor_clears_pointers_of_a_destroyed_assistant_and_says_so(tmp_path: Path) -> None:
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "rules.md").write_bytes(RULES)
    told: list[tuple[str, str]] = []
    options = ExecutorOptions(user="ci", host="runner", pointers_changed=lambda w, a: told.append((w, a)))
    target = FakeTarget()

    def apply(desired: DesiredState, s: StateStore) -> None:
        stored = s.read(WS)
        plan = plan_for(desired, target.read(kinds_to_read(desired, stored)), stored)
        executor = Executor(target, s, root=tmp_path, options=options, sleep=lambda _: None)
        report = executor.execute(plan, stored)
        assert report.ok

    with open_store("sqlite:///:memory:") as s:
        apply(_desired(), s)
        assert told == [(WS, "Helper")]  # stable moved to version 1
        apply(_desired().model_copy(update={"assistants": {}}), s)
        assert told == [(WS, "Helper"), (WS, "Helper")]
        assert target.assistants == {}
        assert s.pointers(WS, "Helper") == {}
        assert [v.deleted for v in s.versions(WS, "Helper")] == [True]
        assert s.pointer_history(WS, "Helper")[-1].cleared
        with pytest.raises(AssistantNotDeployed, match="destroyed"):
            resolve(s, WS, "Helper")
