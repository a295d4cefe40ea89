"""Target adapter for the Assistants v2 wire format (servers that still speak it, and our emulator).

Reads use list endpoints with the largest page each allows, concurrently across kinds; writes map neutral
specs to SDK parameters. Every SDK call goes through `errors.call`, so nothing above sees `openai.*`.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from functools import cached_property, partial
from typing import Any

import openai

from reconciler.model import labels
from reconciler.model.canonical import fingerprint
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
from reconciler.targets import wire
from reconciler.targets.admin import SpendControls
from reconciler.targets.base import PageSink, ReadRunner, RequestStats, run_once
from reconciler.targets.errors import call
from reconciler.targets.paging import from_cursors, ignore_missing, page_cursors, pipelined, walk

PAGE = 100  # the largest page the Assistants-era list endpoints accept
READ_WORKERS = 8
# Per-store file listings get their own pool: in the shared one they queue behind the list tasks that
# spawned them, and a 100-store project then reads in ~17 sequential rounds instead of one.
FILE_LIST_WORKERS = 32


class AssistantsV2Target(SpendControls):
    """Assistants v2: each assistant version is a platform assistant (`versions_on_platform`)."""

    versions_on_platform = True

    def __init__(
        self,
        client: openai.OpenAI,
        *,
        name: str,
        project_id: str,
        stats: RequestStats | None = None,
        admin_key_env: str = "OPENAI_ADMIN_KEY",
    ) -> None:
        self.client = client
        self.name = name
        self.project_id = project_id
        self.stats = stats or RequestStats()
        self._admin_key_env = admin_key_env

    def close(self) -> None:
        self.client.close()

    # ---- reading -------------------------------------------------------------------------------------

    def read(
        self,
        kinds: Collection[Kind],
        *,
        run: ReadRunner = run_once,
        store_ids: Callable[[], Collection[str]] | None = None,
        on_assistants: PageSink | None = None,
        hints: Mapping[str, Sequence[str]] | None = None,
    ) -> LiveState:
        """One concurrent read of every kind asked for; vector-store files only for stores we manage;
        uploads (`Kind.FILE`, one listing of the `assistants` files) only when asked for.

        Each listing (all its pages) goes through `run`, so a failed one is repeated alone, not the read.
        `store_ids` names stores whose files may be listed before the store list arrives (the ones the
        inventory records): that takes one round trip off the longest chain. Only listings of stores the
        list then shows as ours are used. `on_assistants` sees each page of assistants as it arrives.
        `hints` are the cursors of the last read (`list_hints`): with them every page of a list (the
        assistants, and each store's files) is requested at once.
        """
        wanted = set(kinds)
        known = hints or {}
        with (
            ThreadPoolExecutor(max_workers=READ_WORKERS, thread_name_prefix="read") as pool,
            ThreadPoolExecutor(max_workers=FILE_LIST_WORKERS, thread_name_prefix="read-files") as files,
        ):
            assistants: Future[list[LiveAssistant]] | None = None
            stores: Future[list[LiveVectorStore]] | None = None
            alerts: Future[list[LiveSpendAlert]] | None = None
            limits: Future[list[LiveSpendLimit]] | None = None
            uploads: Future[list[LiveFile]] | None = None
            if Kind.ASSISTANT in wanted:
                cursors = tuple(known.get(self._hints_name, ()))
                assistants = pool.submit(run, partial(self._list_assistants, on_assistants, cursors))
            if Kind.VECTOR_STORE in wanted:
                list_files = partial(self._list_store_files, hints=known)
                early = (
                    files.submit(self._prefetch_files, files, run, store_ids, list_files)
                    if store_ids
                    else None
                )
                stores = pool.submit(self._list_vector_stores, files, run, list_files, early)
            if Kind.SPEND_ALERT in wanted:
                alerts = pool.submit(self._list_spend_alerts, pool, run)
            if Kind.SPEND_LIMIT in wanted:
                limits = pool.submit(self._read_spend_limits, pool, run)
            if Kind.FILE in wanted:
                uploads = pool.submit(run, self._all_files)
            return LiveState(
                assistants={a.id: a for a in (assistants.result() if assistants else [])},
                files={f.id: f for f in (uploads.result() if uploads else [])},
                vector_stores={v.id: v for v in (stores.result() if stores else [])},
                spend_alerts={a.id: a for a in (alerts.result() if alerts else [])},
                spend_limits={lim.scope: lim for lim in (limits.result() if limits else [])},
            )

    def _list_assistants(
        self, on_page: PageSink | None = None, cursors: Sequence[str] = ()
    ) -> list[LiveAssistant]:
        fetch = _cursor_pages(self.client.beta.assistants.with_raw_response.list)
        if cursors:
            return from_cursors(fetch, wire.live_assistant, "list assistants", cursors, on_page)
        return pipelined(fetch, wire.live_assistant, "list assistants", on_page)

    def list_hints(self, live: LiveState, kinds: Collection[Kind]) -> dict[str, tuple[str, ...]]:
        """Where the pages of the lists read for `kinds` began (their listing order is kept in `live`):
        the assistants, and the files of each managed store (the stores whose files are listed). A list
        of one page has no cursors: its empty entry tells the caller to drop any it kept."""
        hints: dict[str, tuple[str, ...]] = {}
        if Kind.ASSISTANT in kinds:
            hints[self._hints_name] = page_cursors(list(live.assistants), PAGE)
        if Kind.VECTOR_STORE in kinds:
            for store in live.vector_stores.values():
                if labels.is_managed(store.metadata):
                    hints[self._files_hints_name(store.id)] = page_cursors([f.id for f in store.files], PAGE)
        return hints

    @property
    def _hints_name(self) -> str:
        return f"assistants@{self._where}"

    def _files_hints_name(self, vector_store_id: str) -> str:
        return f"vector_store_files@{self._where}/{vector_store_id}"

    @cached_property
    def _where(self) -> str:
        # Cursors belong to one platform project: a workspace pointed at another base URL or project
        # must not start from the old one's ids (some platforms answer an unknown cursor from the top).
        return fingerprint({"base_url": str(self.client.base_url), "project": self.project_id}, length=12)

    def find_assistants(self, label_name: str, owner: str) -> list[LiveAssistant]:
        return [
            a
            for a in self._list_assistants()
            if labels.is_ours(a.metadata, owner) and a.metadata.get(labels.NAME) == label_name
        ]

    def _prefetch_files(
        self,
        pool: ThreadPoolExecutor,
        run: ReadRunner,
        store_ids: Callable[[], Collection[str]],
        list_files: Callable[[str], list[LiveVectorStoreFile]],
    ) -> dict[str, Future[list[LiveVectorStoreFile]]]:
        return {i: pool.submit(run, partial(list_files, i)) for i in store_ids()}

    def _list_vector_stores(
        self,
        pool: ThreadPoolExecutor,
        run: ReadRunner,
        list_files: Callable[[str], list[LiveVectorStoreFile]],
        early: Future[dict[str, Future[list[LiveVectorStoreFile]]]] | None,
    ) -> list[LiveVectorStore]:
        stores = run(self._all_vector_stores)
        started = early.result() if early is not None else {}
        files = {
            s.id: started.get(s.id) or pool.submit(run, partial(list_files, s.id))
            for s in stores
            if labels.is_managed(s.metadata)
        }
        return [
            s.model_copy(update={"files": tuple(files[s.id].result())}) if s.id in files else s
            for s in stores
        ]

    def _list_store_files(
        self, vector_store_id: str, hints: Mapping[str, Sequence[str]] | None = None
    ) -> list[LiveVectorStoreFile]:
        # Raw pages, like the other cursor lists: a 100-store project lists 100 of these at once, and
        # the SDK's model parsing (~0.6 ms each) competed for the GIL with the assistant page chain.
        fetch = _cursor_pages(
            partial(self.client.vector_stores.files.with_raw_response.list, vector_store_id)
        )
        convert = partial(wire.live_vector_store_file, vector_store_id=vector_store_id)
        what = f"list files of vector store {vector_store_id}"
        cursors = tuple((hints or {}).get(self._files_hints_name(vector_store_id), ()))
        if cursors:
            return from_cursors(fetch, convert, what, cursors)
        return pipelined(fetch, convert, what)

    def _all_vector_stores(self) -> list[LiveVectorStore]:
        fetch = _cursor_pages(self.client.vector_stores.with_raw_response.list)
        return pipelined(fetch, wire.live_vector_store, "list vector stores")

    def find_vector_stores(self, label_name: str, owner: str) -> list[LiveVectorStore]:
        return [
            s
            for s in self._all_vector_stores()
            if labels.is_ours(s.metadata, owner) and s.metadata.get(labels.NAME) == label_name
        ]

    # ---- assistants ----------------------------------------------------------------------------------

    def create_assistant(
        self,
        spec: Mapping[str, Any],
        *,
        metadata: Mapping[str, str],
        vector_store_ids: Sequence[str],
        code_interpreter_file_ids: Sequence[str],
    ) -> LiveAssistant:
        params = wire.assistant_params(spec, metadata, vector_store_ids, code_interpreter_file_ids)
        return wire.live_assistant(
            call("create assistant", lambda: self.client.beta.assistants.create(**params))
        )

    def update_assistant(
        self,
        assistant_id: str,
        spec: Mapping[str, Any],
        *,
        metadata: Mapping[str, str],
        vector_store_ids: Sequence[str],
        code_interpreter_file_ids: Sequence[str],
    ) -> LiveAssistant:
        params = wire.assistant_params(
            spec, metadata, vector_store_ids, code_interpreter_file_ids, update=True
        )
        raw = call(
            f"update assistant {assistant_id}",
            lambda: self.client.beta.assistants.update(assistant_id, **params),
        )
        return wire.live_assistant(raw)

    def delete_assistant(self, assistant_id: str) -> None:
        ignore_missing(
            lambda: call(
                f"delete assistant {assistant_id}", lambda: self.client.beta.assistants.delete(assistant_id)
            )
        )

    # ---- files ---------------------------------------------------------------------------------------

    def upload_file(self, *, filename: str, content: bytes, purpose: str) -> LiveFile:
        raw = call(
            f"upload file {filename}",
            lambda: self.client.files.create(file=(filename, content), purpose=purpose),  # type: ignore[arg-type]
        )
        return wire.live_file(raw)

    def _all_files(self, purpose: str = "assistants") -> list[LiveFile]:
        pages = call("list files", lambda: self.client.files.list(purpose=purpose, limit=10_000, order="asc"))
        return [wire.live_file(f) for f in walk(pages, "list files")]

    def find_files(self, *, filename: str, size: int, purpose: str) -> list[LiveFile]:
        return [f for f in self._all_files(purpose) if f.filename == filename and f.bytes == size]

    def delete_file(self, file_id: str) -> None:
        ignore_missing(lambda: call(f"delete file {file_id}", lambda: self.client.files.delete(file_id)))

    # ---- vector stores -------------------------------------------------------------------------------

    def create_vector_store(self, spec: Mapping[str, Any], *, metadata: Mapping[str, str]) -> LiveVectorStore:
        params = wire.vector_store_params(spec, metadata)
        return wire.live_vector_store(
            call("create vector store", lambda: self.client.vector_stores.create(**params))
        )

    def update_vector_store(
        self, vector_store_id: str, spec: Mapping[str, Any], *, metadata: Mapping[str, str]
    ) -> LiveVectorStore:
        params = wire.vector_store_params(spec, metadata, update=True)
        raw = call(
            f"update vector store {vector_store_id}",
            lambda: self.client.vector_stores.update(vector_store_id, **params),
        )
        return wire.live_vector_store(raw)

    def delete_vector_store(self, vector_store_id: str) -> None:
        ignore_missing(
            lambda: call(
                f"delete vector store {vector_store_id}",
                lambda: self.client.vector_stores.delete(vector_store_id),
            )
        )

    def attach_file(
        self,
        vector_store_id: str,
        file_id: str,
        *,
        attributes: Mapping[str, str | float | bool],
        chunking: Mapping[str, Any],
    ) -> LiveVectorStoreFile:
        raw = call(
            f"attach file {file_id} to vector store {vector_store_id}",
            lambda: self.client.vector_stores.files.create(
                vector_store_id,
                file_id=file_id,
                attributes=dict(attributes),
                chunking_strategy=wire.chunking_param(chunking),  # type: ignore[arg-type]
            ),
        )
        return wire.live_vector_store_file(raw, vector_store_id)

    def get_vector_store_file(self, vector_store_id: str, file_id: str) -> LiveVectorStoreFile:
        raw = call(
            f"get file {file_id} of vector store {vector_store_id}",
            lambda: self.client.vector_stores.files.retrieve(file_id, vector_store_id=vector_store_id),
        )
        return wire.live_vector_store_file(raw, vector_store_id)

    def update_file_attributes(
        self, vector_store_id: str, file_id: str, attributes: Mapping[str, str | float | bool]
    ) -> LiveVectorStoreFile:
        raw = call(
            f"update attributes of file {file_id}",
            lambda: self.client.vector_stores.files.update(
                file_id, vector_store_id=vector_store_id, attributes=dict(attributes)
            ),
        )
        return wire.live_vector_store_file(raw, vector_store_id)

    def detach_file(self, vector_store_id: str, file_id: str) -> None:
        ignore_missing(
            lambda: call(
                f"detach file {file_id} from vector store {vector_store_id}",
                lambda: self.client.vector_stores.files.delete(file_id, vector_store_id=vector_store_id),
            )
        )


def _cursor_pages(list_raw: Callable[..., Any]) -> Callable[[str | None], Any]:
    """One page of a raw cursor list after `after` (the first page for None), the largest page allowed."""

    def fetch(after: str | None) -> Any:
        return list_raw(limit=PAGE, order="asc", after=after or openai.omit)

    return fetch
