"""Shared helpers for the plan/apply benchmarks: generated projects and an in-process emulator.

Every benchmark talks to the emulator through its in-process transport (no sockets), so nothing leaves
the machine. A project is `reconcile.yaml` (same shape as the example's) plus generated manifests.
"""

from __future__ import annotations

import math
import os
import select
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx2

from reconciler.emulator import EmulatorApp, EmulatorConfig
from reconciler.emulator.faults import FaultConfig, FaultInjector
from reconciler.emulator.transport import EmulatorTransport
from reconciler.service import Workspace, open_workspace

PAGE = 100  # the largest page the Assistants-era list endpoints return
PROJECT_ID = "proj_bench"


def project_yaml(
    *, admin_rpm: int = 10, concurrency: int = 8, served_url: str = "", api: str = "assistants-v2"
) -> str:
    """The project file. `api` is the flavour of every target: the benchmarks written about platform
    assistants keep Assistants v2; `bench_responses` measures the Responses era."""
    served = (
        f"""    served:
      type: openai
      api: {api}
      baseURL: {served_url}
      projectId: {PROJECT_ID}
"""
        if served_url
        else ""
    )
    return f"""apiVersion: reconciler.dev/v1
kind: Project
metadata:
  name: bench
spec:
  manifests: manifests
  defaultTarget: local
  state: sqlite:///.reconcile/state.db
  retry:
    adminRequestsPerMinute: {admin_rpm}
    concurrency: {concurrency}
  targets:
    local:
      type: local
      api: {api}
      projectId: {PROJECT_ID}
{served}"""


def function_tool_doc(name: str, t: int, *, description: str, since_note: bool = False) -> str:
    """A strict FunctionTool manifest with three parameters; `t` varies the schema from tool to tool."""
    since = "\n        description: The earliest date to include." if since_note else ""
    return f"""---
apiVersion: reconciler.dev/v1
kind: FunctionTool
metadata:
  name: {name}
spec:
  name: tool_{t:02d}
  description: {description}
  strict: true
  parameters:
    type: object
    additionalProperties: false
    properties:
      query_{t}:
        type: string
        description: What to look for.
      limit:
        type: [integer, "null"]
        minimum: 1
        maximum: 100
      since:
        type: string
        format: date{since}
    required: [query_{t}, limit, since]
"""


def assistant_doc(name: str, *, stores: tuple[str, ...] = ()) -> str:
    tools = "\n  tools: [file_search]" if stores else ""
    resources = (
        f"\n  toolResources:\n    fileSearch:\n      vectorStores: [{', '.join(stores)}]" if stores else ""
    )
    return f"""---
apiVersion: reconciler.dev/v1
kind: Assistant
metadata:
  name: {name}
spec:
  model: gpt-5.5-2026-04-23
  description: Benchmark assistant {name}.
  instructions: You are {name}; answer briefly.{tools}{resources}
  temperature: 0.2
  metadata:
    team: bench
"""


def vector_store_doc(name: str, files: list[str]) -> str:
    listed = "".join(f"\n    - path: {p}" for p in files) if files else " []"
    return f"""---
apiVersion: reconciler.dev/v1
kind: VectorStore
metadata:
  name: {name}
spec:
  files:{listed}
  metadata:
    owner: bench
"""


def spend_alert_doc(name: str, threshold: int) -> str:
    return f"""---
apiVersion: reconciler.dev/v1
kind: SpendAlert
metadata:
  name: {name}
spec:
  scope: project
  thresholdUSD: {threshold}
  interval: month
  notify:
    email: [bench@example.com]
"""


@dataclass(frozen=True)
class Shape:
    """What a generated project manages."""

    assistants: int = 0
    vector_stores: int = 0
    files_per_store: int = 0
    spend_alerts: int = 0

    @property
    def resources(self) -> int:
        return self.assistants + self.vector_stores + self.spend_alerts


def write_project(
    root: Path,
    shape: Shape,
    *,
    admin_rpm: int = 10,
    concurrency: int = 8,
    served_url: str = "",
    api: str = "assistants-v2",
) -> None:
    """Write reconcile.yaml and manifests/ for `shape` under `root` (one manifest file per kind).
    `served_url` adds a target `served` pointing at an emulator server at that base URL."""
    manifests = root / "manifests"
    (manifests / "files").mkdir(parents=True, exist_ok=True)
    (root / "reconcile.yaml").write_text(
        project_yaml(admin_rpm=admin_rpm, concurrency=concurrency, served_url=served_url, api=api)
    )
    docs: list[str] = []
    for s in range(shape.vector_stores):
        paths = []
        for f in range(shape.files_per_store):
            rel = f"files/s{s:04d}-f{f:04d}.md"
            (manifests / rel).write_text(file_text(s, f))
            paths.append(rel)
        docs.append(vector_store_doc(store_name(s), paths))
    (manifests / "stores.yaml").write_text("".join(docs))
    (manifests / "assistants.yaml").write_text(
        "".join(assistant_doc(f"bench-assistant-{a:04d}") for a in range(shape.assistants))
    )
    (manifests / "spend.yaml").write_text(
        "".join(spend_alert_doc(f"bench-alert-{i:04d}", 100 + i) for i in range(shape.spend_alerts))
    )


def store_name(s: int) -> str:
    return f"bench-store-{s:04d}"


def file_text(s: int, f: int, *, edit: int = 0) -> str:
    suffix = f"\nEdited {edit} time(s).\n" if edit else ""
    return f"# Document {f} of store {s}\n\nRule {f}: keep receipts for {f % 30 + 1} days.\n{suffix}"


_SERVE = """
import sys
from reconciler.emulator import EmulatorConfig
from reconciler.emulator.faults import FaultConfig
from reconciler.emulator.server import EmulatorServer
server = EmulatorServer(
    EmulatorConfig(db_path=sys.argv[1], project_id=sys.argv[2], faults=FaultConfig.parse(sys.argv[3])),
    port=0,
    threads=64,  # a remote platform is not limited to a handful of concurrent requests
)
print(server.base_url, flush=True)
server.serve_forever()
"""


@contextmanager
def served_emulator(db: Path, faults: str = "") -> Iterator[str]:
    """An emulator HTTP server in its own process (its CPU off ours, as a remote platform's is), on a
    SQLite file that outlives it; yields the base URL. Loopback only."""
    process = subprocess.Popen(
        [sys.executable, "-c", _SERVE, str(db), PROJECT_ID, faults], stdout=subprocess.PIPE, text=True
    )
    try:
        assert process.stdout is not None
        ready, _, _ = select.select([process.stdout], [], [], 60.0)  # never wait forever on a stuck child
        url = process.stdout.readline().strip() if ready else ""
        if not url.startswith("http://127.0.0.1:"):
            raise SystemExit(f"the emulator server did not start: {url!r}")
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)


class Emulator:
    """One in-process emulator; `faults(...)` swaps fault injection between phases of a benchmark."""

    def __init__(self, faults: FaultConfig | None = None) -> None:
        self.app = EmulatorApp(EmulatorConfig(project_id=PROJECT_ID, faults=faults or FaultConfig()))

    def set_faults(self, faults: FaultConfig) -> None:
        self.app.faults = FaultInjector(faults)

    def workspace(self, root: Path, transport: EmulatorTransport | None = None) -> Workspace:
        return open_workspace(root, transport=transport or EmulatorTransport(self.app))

    def close(self) -> None:
        self.app.close()


@contextmanager
def timed() -> Iterator[list[float]]:
    """`with timed() as t: ...` then `t[0]` is the elapsed wall time in seconds."""
    out: list[float] = []
    start = time.perf_counter()
    try:
        yield out
    finally:
        out.append(time.perf_counter() - start)


def pages(n: int, page: int = PAGE) -> int:
    """List pages needed to read n objects; an empty list still costs one request."""
    return max(1, math.ceil(n / page))


class CountingTransport(EmulatorTransport):
    """The in-process transport, also tallying request body bytes per `METHOD /path`."""

    def __init__(self, app: EmulatorApp) -> None:
        super().__init__(app)
        self.body_bytes: dict[str, int] = {}
        self.statuses: dict[int, int] = {}
        self._lock = threading.Lock()

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        size = len(request.read())
        key = f"{request.method} {request.url.path}"
        with self._lock:
            self.body_bytes[key] = self.body_bytes.get(key, 0) + size
        response = super().handle_request(request)
        with self._lock:
            self.statuses[response.status_code] = self.statuses.get(response.status_code, 0) + 1
        return response


PG_URL = os.environ.get("RECONCILE_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")


@contextmanager
def pg_schema(prefix: str) -> Iterator[str | None]:
    """A fresh schema `<prefix>_<random>` on the test server, dropped afterwards; None (the reason
    printed) when PostgreSQL is not reachable. The caller decides whether that is a miss (CI=true)."""
    try:
        import psycopg
    except ImportError as exc:
        print(f"postgresql skipped: psycopg is not installed ({exc})")
        yield None
        return
    try:
        admin = psycopg.connect(PG_URL, autocommit=True, connect_timeout=3)
    except psycopg.Error as exc:
        print(f"postgresql skipped: not reachable at {PG_URL} ({' '.join(str(exc).split())[:120]})")
        yield None
        return
    schema = f"{prefix}_{uuid.uuid4().hex[:12]}"
    with admin:
        admin.execute(f'CREATE SCHEMA "{schema}"')
        try:
            yield f"{PG_URL}{'&' if '?' in PG_URL else '?'}options=-csearch_path%3D{schema}"
        finally:
            admin.execute(f'DROP SCHEMA "{schema}" CASCADE')
