"""Target for the Assistants v2 wire format (servers that still speak it, and our emulator): its handler
table, and its read, which has adopted all of `targets.tuning`.

Reads use list endpoints with the largest page each allows, concurrently across kinds; the handlers
(`v2_assistants`, `v2_stores`, `v2_files`, `admin`) map neutral specs to SDK parameters. Every SDK call
goes through `errors.call`, so nothing above sees `openai.*`.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from concurrent.futures import Future, ThreadPoolExecutor
from functools import cached_property, partial

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
from reconciler.targets.admin import Admin, SpendAlertHandler, SpendLimitHandler
from reconciler.targets.admin_costs import CostReader
from reconciler.targets.base import CostsSource, RequestStats
from reconciler.targets.handlers import HandlerTable
from reconciler.targets.paging import page_cursors
from reconciler.targets.smoke_runs import RunSmoke
from reconciler.targets.smoke_transcript import SmokeCalls
from reconciler.targets.tuning import ReadTuning
from reconciler.targets.v2_assistants import PAGE, AssistantHandler
from reconciler.targets.v2_files import FileHandler
from reconciler.targets.v2_stores import VectorStoreFileHandler, VectorStoreHandler

READ_WORKERS = 8
# Per-store file listings get their own pool: in the shared one they queue behind the list tasks that
# spawned them, and a 100-store project then reads in ~17 sequential rounds instead of one.
FILE_LIST_WORKERS = 32

StoreFiles = Future[list[LiveVectorStoreFile]]


class AssistantsV2Target:
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
        admin = Admin(client, project_id, admin_key_env)
        self.assistants = AssistantHandler(client)
        self.vector_stores = VectorStoreHandler(client)
        self.store_files = VectorStoreFileHandler(client)
        self.alerts = SpendAlertHandler(admin)
        self.limits = SpendLimitHandler(admin)
        self.costs: CostsSource | None = CostReader(admin)  # the Admin API's costs (`reconcile costs`)
        # Smoke checks talk to a version as an application would: a thread and a run per turn.
        self.smoke: SmokeCalls | None = RunSmoke(client)
        self.handlers = HandlerTable.of(
            name,
            self.assistants,
            FileHandler(client),
            self.vector_stores,
            self.store_files,
            self.alerts,
            self.limits,
        )

    def close(self) -> None:
        self.client.close()

    def read(self, kinds: Collection[Kind], tuning: ReadTuning | None = None) -> LiveState:
        """One concurrent read of every kind asked for; vector-store files only for stores we manage;
        uploads (`Kind.FILE`, one listing of the `assistants` files) only when asked for.

        Each listing (all its pages) goes through `tuning.run`, so a failed one is repeated alone, not
        the read. Stores in `tuning.known_stores` have their files listed before the store list arrives:
        that takes one round trip off the longest chain (only listings of stores the list then shows as
        ours are used). With `tuning.hints` every page of the assistants, and of each store's files, is
        requested at once; the cursors this read met go to `tuning.seen`.
        """
        tuning = tuning or ReadTuning()
        run, wanted = tuning.run, set(kinds)
        with (
            ThreadPoolExecutor(max_workers=READ_WORKERS, thread_name_prefix="read") as pool,
            ThreadPoolExecutor(max_workers=FILE_LIST_WORKERS, thread_name_prefix="read-files") as files,
        ):
            assistants: Future[list[LiveAssistant]] | None = None
            stores: Future[list[LiveVectorStore]] | None = None
            alerts: list[Future[list[LiveSpendAlert]]] = []
            limits: list[Future[list[LiveSpendLimit]]] = []
            uploads: Future[list[LiveFile]] | None = None
            if Kind.ASSISTANT in wanted:
                cursors = tuning.cursors(self._hints_name)
                pages = partial(self.assistants.pages, tuning.on_assistants, cursors)
                assistants = pool.submit(run, pages)
            if Kind.VECTOR_STORE in wanted:
                known = tuning.known_stores
                early = files.submit(self._prefetch_files, files, tuning, known) if known else None
                stores = pool.submit(self._list_vector_stores, files, tuning, early)
            if wanted & {Kind.SPEND_ALERT, Kind.SPEND_LIMIT}:
                self.alerts.admin.warm()
            for scope in self.alerts.admin.scopes if Kind.SPEND_ALERT in wanted else ():
                alerts.append(pool.submit(run, partial(self.alerts.read_all, scope), admin=True))
            for scope in self.limits.admin.scopes if Kind.SPEND_LIMIT in wanted else ():
                limits.append(pool.submit(run, partial(self.limits.read_all, scope), admin=True))
            if Kind.FILE in wanted:
                uploads = pool.submit(run, self.handlers[Kind.FILE].read_all)
            live = LiveState(
                assistants={a.id: a for a in (assistants.result() if assistants else [])},
                files={f.id: f for f in (uploads.result() if uploads else [])},
                vector_stores={v.id: v for v in (stores.result() if stores else [])},
                spend_alerts={a.id: a for f in alerts for a in f.result()},
                spend_limits={lim.scope: lim for f in limits for lim in f.result()},
            )
        for listing, cursors in self.list_hints(live, wanted).items():
            tuning.saw(listing, cursors)
        return live

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

    def _store_files(self, tuning: ReadTuning, vector_store_id: str) -> list[LiveVectorStoreFile]:
        cursors = tuning.cursors(self._files_hints_name(vector_store_id))
        return self.store_files.pages(vector_store_id, cursors)

    def _prefetch_files(
        self, pool: ThreadPoolExecutor, tuning: ReadTuning, known: Callable[[], Collection[str]]
    ) -> dict[str, StoreFiles]:
        return {i: pool.submit(tuning.run, partial(self._store_files, tuning, i)) for i in known()}

    def _list_vector_stores(
        self, pool: ThreadPoolExecutor, tuning: ReadTuning, early: Future[dict[str, StoreFiles]] | None
    ) -> list[LiveVectorStore]:
        stores = tuning.run(self.vector_stores.read_all)
        started = early.result() if early is not None else {}
        files = {
            s.id: started.get(s.id) or pool.submit(tuning.run, partial(self._store_files, tuning, s.id))
            for s in stores
            if labels.is_managed(s.metadata)
        }
        return [
            s.model_copy(update={"files": tuple(files[s.id].result())}) if s.id in files else s
            for s in stores
        ]
