"""Plans keep the cursors their list pages began at (the assistants', and each store's files'), and the
next plan requests every page at once; hints that went stale (objects deleted or added since) cost
requests, never a wrong plan."""

from __future__ import annotations

import logging
import re
import threading
from pathlib import Path

import httpx2
import openai
import pytest

from reconciler import service
from reconciler.emulator import EmulatorApp
from reconciler.emulator.transport import EmulatorTransport
from reconciler.errors import StateError
from reconciler.model.desired import Kind
from reconciler.model.live import LiveAssistant, LiveState
from reconciler.targets import assistants_v2
from reconciler.targets.assistants_v2 import AssistantsV2Target
from reconciler.targets.paging import page_cursors
from tests.integration.support import apply_project, sdk, transport

pytestmark = pytest.mark.filterwarnings("ignore:deprecated:DeprecationWarning")

OTHERS = 250  # unmanaged assistants of another team: with ours, three pages of 100


class _Watching(EmulatorTransport):
    """Records the `after` cursor of every list request to `path`; with `meet` set, each such request
    waits there until that many are in flight, so a walk that fetched them one by one would fail."""

    def __init__(self, app: EmulatorApp, path: str = "/v1/assistants") -> None:
        super().__init__(app)
        self.path = re.compile(path)
        self.afters: list[str | None] = []
        self.meet: threading.Barrier | None = None

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        if request.method == "GET" and self.path.fullmatch(request.url.path):
            self.afters.append(request.url.params.get("after"))
            if self.meet is not None:
                self.meet.wait(timeout=10)
        return super().handle_request(request)


def _others(app: EmulatorApp, count: int) -> list[str]:
    client = sdk(app)
    try:
        return [client.beta.assistants.create(model="gpt-4.1", name=f"other-{i}").id for i in range(count)]
    finally:
        client.close()


def _listing(app: EmulatorApp) -> list[str]:
    client = sdk(app)
    try:
        return [a.id for a in client.beta.assistants.list(limit=100, order="asc")]
    finally:
        client.close()


def _plan(project: Path, watching: EmulatorTransport) -> tuple[bool, dict[str, tuple[str, ...]]]:
    with service.open_workspace(project, transport=watching) as ws:
        plan, _ = service.make_plan(ws)
        return plan.has_changes, ws.store.list_hints(ws.name)


def test_the_next_plan_requests_every_assistant_page_at_once(project: Path, app: EmulatorApp) -> None:
    _others(app, OTHERS)
    apply_project(project, transport(app))  # ours is the newest: it sits on the last page
    watching = _Watching(app)
    changes, hints = _plan(project, watching)
    assert not changes
    ((name, cursors),) = hints.items()
    assert name.startswith("assistants@")  # kept per platform project: see the test below
    assert cursors == page_cursors(_listing(app), 100)
    assert len(cursors) == 2

    watching.afters.clear()
    watching.meet = threading.Barrier(3)  # three pages, all in flight together, or this plan fails
    changes, again = _plan(project, watching)
    assert not changes and again == hints
    assert sorted(watching.afters, key=str) == sorted([None, *cursors], key=str)


def test_stale_hints_still_find_every_assistant(project: Path, app: EmulatorApp) -> None:
    others = _others(app, OTHERS)
    apply_project(project, transport(app))
    watching = _Watching(app)
    _, hints = _plan(project, watching)
    ((name, cursors),) = hints.items()
    client = sdk(app)
    try:  # both hinted cursors and their neighbours go; newer objects arrive behind ours
        for gone in {*cursors, others[0], others[150]}:
            client.beta.assistants.delete(gone)
    finally:
        client.close()
    _others(app, 120)

    changes, fresh = _plan(project, watching)
    assert not changes  # our assistant, behind two vanished cursors, was found: nothing to create
    assert fresh == {name: page_cursors(_listing(app), 100)}
    watching.afters.clear()
    assert not _plan(project, watching)[0]
    assert len(watching.afters) == len(fresh[name]) + 1  # fresh again: one request per page


def test_a_store_that_refuses_the_hints_does_not_fail_the_plan(
    project: Path, app: EmulatorApp, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    _others(app, OTHERS)
    apply_project(project, transport(app))
    with service.open_workspace(project, transport=transport(app)) as ws:

        def refuse(*args: object, **kwargs: object) -> None:
            raise StateError("cannot write: the store is read-only for this job")

        monkeypatch.setattr(ws.store, "save_list_hints", refuse)
        monkeypatch.setattr(ws.store, "list_hints", refuse)
        with caplog.at_level(logging.WARNING, logger="reconciler.service"):
            plan, _ = service.make_plan(ws)
    assert not plan.has_changes
    assert "list hints not read" in caplog.text and "list hints not saved" in caplog.text


def test_hints_belong_to_one_platform_project() -> None:
    """A workspace re-pointed at another base URL or project must not start from the old one's ids."""
    live = LiveState(assistants={f"asst_{i}": LiveAssistant(id=f"asst_{i}", model="m") for i in range(150)})
    names = set()
    for base_url, project_id in [
        ("http://127.0.0.1/v1", "proj_a"),
        ("http://127.0.0.1/v1", "proj_b"),
        ("http://127.0.0.2/v1", "proj_a"),
    ]:
        client = openai.OpenAI(api_key="sk-local-emulator", base_url=base_url, max_retries=0)
        try:
            target = AssistantsV2Target(client, name="local", project_id=project_id)
            (name,) = target.list_hints(live, {Kind.ASSISTANT})
            names.add(name)
        finally:
            client.close()
    assert len(names) == 3


def _store_files(app: EmulatorApp) -> tuple[str, list[str]]:
    client = sdk(app)
    try:
        (store,) = client.vector_stores.list(limit=100)
        return store.id, [f.id for f in client.vector_stores.files.list(store.id, limit=100, order="asc")]
    finally:
        client.close()


def test_the_next_plan_requests_every_page_of_a_stores_files_at_once(
    project: Path, app: EmulatorApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(assistants_v2, "PAGE", 1)  # the example store's two files take two pages
    apply_project(project, transport(app))
    store_id, files = _store_files(app)
    watching = _Watching(app, r"/v1/vector_stores/[^/]+/files")
    changes, hints = _plan(project, watching)
    assert not changes
    ((name, cursors),) = [(n, c) for n, c in hints.items() if n.startswith("vector_store_files@")]
    assert name.endswith(f"/{store_id}") and cursors == (files[0],)

    watching.afters.clear()
    watching.meet = threading.Barrier(2)  # both pages in flight together, or this plan fails
    changes, again = _plan(project, watching)
    assert not changes and again == hints
    assert sorted(watching.afters, key=str) == sorted([None, files[0]], key=str)


def test_a_hinted_file_detached_out_of_band_is_planned_back_and_the_other_is_kept(
    project: Path, app: EmulatorApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(assistants_v2, "PAGE", 1)
    apply_project(project, transport(app))
    store_id, files = _store_files(app)
    watching = _Watching(app, r"/v1/vector_stores/[^/]+/files")
    _plan(project, watching)  # hints: the second page begins after files[0]
    client = sdk(app)
    try:
        client.vector_stores.files.delete(files[0], vector_store_id=store_id)
    finally:
        client.close()

    with service.open_workspace(project, transport=watching) as ws:
        plan, _ = service.make_plan(ws)
    changed = {(c.kind, c.action.value) for c in plan.changes if c.action.value != "no-op"}
    assert changed == {("VectorStoreFile", "create")}  # the detached one goes back; the other is seen


def test_hints_a_plan_no_longer_sees_are_forgotten(
    project: Path, app: EmulatorApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The rows are what the last plan saw: a store's files that fit one page now, and another
    platform's lists, leave nothing behind."""
    monkeypatch.setattr(assistants_v2, "PAGE", 1)
    apply_project(project, transport(app))
    store_id, files = _store_files(app)
    watching = _Watching(app, r"/v1/vector_stores/[^/]+/files")
    _, hints = _plan(project, watching)
    assert any(name.startswith("vector_store_files@") for name in hints)
    with service.open_workspace(project, transport=watching) as ws:
        ws.store.save_list_hints(ws.name, {"assistants@another-platform": ("asst_x",)}, now=1.0)
    client = sdk(app)
    try:
        client.vector_stores.files.delete(files[0], vector_store_id=store_id)  # one page now
    finally:
        client.close()

    _, after = _plan(project, watching)
    assert after == {}  # and our one assistant is one page: no cursors to keep
