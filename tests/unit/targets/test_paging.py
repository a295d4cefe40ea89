"""Cursor walks: every page once and in order, the next page requested before the current one is
converted, and bounded against platforms that page forever."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from reconciler.config import TargetConfig
from reconciler.emulator import EmulatorApp
from reconciler.emulator.transport import EmulatorTransport
from reconciler.errors import PermanentPlatformError
from reconciler.model import labels
from reconciler.model.desired import Kind
from reconciler.targets import paging
from reconciler.targets.assistants_v2 import AssistantsV2Target
from reconciler.targets.base import ReadTuning, RequestStats
from reconciler.targets.client import build_client
from tests.unit.targets.support import Raw as _Raw

pytestmark = pytest.mark.filterwarnings("ignore:deprecated:DeprecationWarning")  # the Assistants API


class _Pages:
    """A fake list endpoint over ids 0..n-1, `size` per page; records the cursors asked for."""

    def __init__(self, n: int, size: int, *, loop: bool = False) -> None:
        self.ids = [f"id_{i:04d}" for i in range(n)]
        self.size = size
        self.loop = loop
        self.cursors: list[str | None] = []
        self.lock = threading.Lock()

    def __call__(self, after: str | None) -> _Raw:
        with self.lock:
            self.cursors.append(after)
        start = 0 if after is None or self.loop else self.ids.index(after) + 1
        data = [{"id": i} for i in self.ids[start : start + self.size]]
        more = self.loop or start + self.size < len(self.ids)
        return _Raw({"data": data, "has_more": more, "last_id": data[-1]["id"] if data else None})


@pytest.mark.parametrize(("n", "size"), [(0, 100), (1, 100), (100, 100), (101, 100), (250, 7)])
def test_every_item_once_in_order(n: int, size: int) -> None:
    pages = _Pages(n, size)
    seen: list[list[str]] = []
    got = paging.pipelined(pages, lambda item: item["id"], "list things", on_page=seen.append)
    assert got == pages.ids
    assert len(pages.cursors) == max(1, -(-n // size))
    assert [len(page) for page in seen] == [len(pages.ids[i : i + size]) for i in range(0, max(n, 1), size)]
    assert [item for page in seen for item in page] == got


def test_the_next_page_is_requested_before_the_current_one_is_converted() -> None:
    pages = _Pages(30, 10)
    requested_while_converting: list[int] = []

    def convert(item: dict[str, str]) -> str:
        requested_while_converting.append(len(pages.cursors))
        return item["id"]

    paging.pipelined(pages, convert, "list things")
    # converting page 1 (items 0-9) happens after page 2 was asked for
    assert requested_while_converting[0] >= 2


def test_a_cursor_that_comes_back_is_a_platform_error_not_an_endless_walk() -> None:
    with pytest.raises(PermanentPlatformError, match="came back twice"):
        paging.pipelined(_Pages(10, 5, loop=True), lambda item: item, "list things")


class _NotJson(_Raw):
    def json(self) -> Any:
        raise ValueError("Expecting value: line 1 column 1 (char 0)")


def test_an_answer_that_is_not_json_is_a_platform_error() -> None:
    with pytest.raises(PermanentPlatformError, match="not JSON"):
        paging.pipelined(lambda after: _NotJson(None), lambda item: item, "list things")


def test_a_list_of_non_objects_is_a_platform_error() -> None:
    with pytest.raises(PermanentPlatformError, match="without `data`"):
        paging.pipelined(lambda after: _Raw({"data": ["x"], "has_more": False}), lambda item: item, "list")


def test_a_list_without_data_is_a_platform_error() -> None:
    with pytest.raises(PermanentPlatformError, match="without `data`"):
        paging.pipelined(lambda after: _Raw({"object": "list"}), lambda item: item, "list things")


@dataclass
class _Adapter:
    target: AssistantsV2Target
    client: Any  # the SDK client the target wraps: the tests set the platform up through it
    stats: RequestStats


@pytest.fixture
def adapter(tmp_path: Path) -> Iterator[_Adapter]:
    """The adapter on an in-process emulator, through the real SDK."""
    app = EmulatorApp()
    stats = RequestStats()
    client = build_client(TargetConfig(), root=tmp_path, stats=stats, transport=EmulatorTransport(app))
    target = AssistantsV2Target(client, name="t", project_id="proj_local", stats=stats)
    try:
        yield _Adapter(target, client, stats)
    finally:
        target.close()
        app.close()


def test_the_adapter_reads_every_assistant_across_pages_through_the_sdk(adapter: _Adapter) -> None:
    target, client, stats = adapter.target, adapter.client, adapter.stats
    created = [client.beta.assistants.create(model="gpt-4o", name=f"a{i}").id for i in range(230)]
    before = stats.requests
    pages: list[list[Any]] = []
    live = target.read([Kind.ASSISTANT], ReadTuning(on_assistants=lambda page: pages.append(list(page))))
    assert list(live.assistants) == created  # ascending: creation order
    assert stats.requests - before == 3  # 100 + 100 + 30
    # The sink saw each page as it came, and the very objects the read returned (digests made from
    # them are reused by identity).
    assert [len(p) for p in pages] == [100, 100, 30]
    assert all(a is live.assistants[a.id] for page in pages for a in page)


def test_inventory_stores_have_their_files_listed_early_and_only_ours_are_used(adapter: _Adapter) -> None:
    target, client, stats = adapter.target, adapter.client, adapter.stats
    ours = {labels.MANAGED_BY: labels.MANAGED_BY_VALUE}
    known = client.vector_stores.create(name="known", metadata=ours).id
    new = client.vector_stores.create(name="new", metadata=ours).id
    foreign = client.vector_stores.create(name="foreign").id
    gone = client.vector_stores.create(name="gone", metadata=ours).id
    client.vector_stores.delete(gone)
    for store in (known, new, foreign):
        upload = client.files.create(file=(f"{store}.md", b"# hi\n"), purpose="assistants")
        client.vector_stores.files.create(store, file_id=upload.id)
    asked: list[str] = []

    def inventory() -> list[str]:
        asked.append("yes")
        return [known, gone, foreign]  # a deleted store, and one that is no longer labelled ours

    def file_lists() -> int:
        return sum(
            n for route, n in stats.by_route.items() if route.startswith("GET") and route.endswith("/files")
        )

    before = file_lists()
    live = target.read([Kind.VECTOR_STORE], ReadTuning(known_stores=inventory))
    assert asked == ["yes"]
    files = {i: [f.id for f in s.files] for i, s in live.vector_stores.items()}
    assert len(files[known]) == 1 and len(files[new]) == 1
    assert files[foreign] == []  # listed early, but not labelled ours: not used
    lists = file_lists() - before
    assert lists == 4  # known, gone (404, ignored), foreign early; new after the store list


def test_a_store_with_more_files_than_a_page_is_listed_whole(adapter: _Adapter) -> None:
    target, client = adapter.target, adapter.client
    ours = {labels.MANAGED_BY: labels.MANAGED_BY_VALUE}
    store = client.vector_stores.create(name="big", metadata=ours).id
    attached = []
    for i in range(105):
        upload = client.files.create(file=(f"f{i}.md", b"# hi\n"), purpose="assistants")
        client.vector_stores.files.create(store, file_id=upload.id, attributes={"path": f"f{i}.md"})
        attached.append(upload.id)
    live = target.read([Kind.VECTOR_STORE])
    files = live.vector_stores[store].files
    assert [f.id for f in files] == attached
    assert files[104].attributes == {"path": "f104.md"}
    assert {f.vector_store_id for f in files} == {store}
