"""Shared helpers of the integration tests: a copy of the example project, the emulator in-process, and a
snapshot of the platform's objects read back through the real SDK."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

import openai
import pytest

from reconciler import service
from reconciler.apply.report import ApplyReport
from reconciler.emulator import EmulatorApp
from reconciler.emulator.transport import EmulatorTransport, http_client
from reconciler.model.desired import Kind
from reconciler.model.stored import InventoryRecord
from reconciler.plan.definition import Plan
from reconciler.targets.client import Transport

EXAMPLE = Path(__file__).resolve().parents[2]


APIS = ("responses", "assistants-v2")  # the platform flavours every scenario suite runs on


def set_api(root: Path, api: str) -> None:
    """Point every target of the project at the `api` flavour (the example's targets name one each)."""
    path = root / "reconcile.yaml"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    kept = [line for line in lines if not line.lstrip().startswith("api:")]
    out: list[str] = []
    for line in kept:
        out.append(line)
        stripped = line.lstrip()
        if stripped.startswith("type: local") or stripped.startswith("type: openai"):
            out.append(" " * (len(line) - len(stripped)) + f"api: {api}\n")
    path.write_text("".join(out), encoding="utf-8")


def make_project(
    dest: Path,
    *,
    spend: bool = False,
    retry: dict[str, Any] | None = None,
    target_yaml: str | None = None,
    api: str = "assistants-v2",
    canary: bool = False,
) -> Path:
    """Copy the example (reconcile.yaml + manifests/) into `dest`. Without `spend`, spend.yaml is left out
    (spend controls need the Admin API). `retry` adds `spec.retry`; `target_yaml` replaces the targets.
    `api` is the flavour of every target: the suites written about platform assistants keep the
    Assistants v2 flavour; the scenario suites run on both (`APIS`). Without `canary` the assistant's
    rollout is `immediate` (apply moves stable, as the suites written before canaries expect) and the
    analysis template it used is left out."""
    dest.mkdir(parents=True, exist_ok=True)
    shutil.copytree(EXAMPLE / "manifests", dest / "manifests")
    shutil.copy(EXAMPLE / "reconcile.yaml", dest / "reconcile.yaml")
    if not spend:
        (dest / "manifests" / "spend.yaml").unlink()
    if not canary:
        assistant = dest / "manifests" / "corporate-assist.yaml"
        head, found, _ = assistant.read_text(encoding="utf-8").partition("  rollout:\n")
        assert found, "the example's rollout block moved: update make_project"
        assistant.write_text(head + "  rollout: {strategy: immediate}\n", encoding="utf-8")
        (dest / "manifests" / "tool-health.yaml").unlink()
    text = (dest / "reconcile.yaml").read_text(encoding="utf-8")
    if target_yaml is not None:
        head, _, _ = text.partition("  targets:\n")
        text = head + target_yaml
    if retry:
        text += "  retry:\n" + "".join(f"    {k}: {v}\n" for k, v in retry.items())
    (dest / "reconcile.yaml").write_text(text, encoding="utf-8")
    set_api(dest, api)
    return dest


def edit_file(root: Path, relative: str, old: str, new: str) -> None:
    """Replace the first `old` in a project file by `new`; the test fails if `old` is not there."""
    path = root / relative
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {relative}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def no_sleep(seconds: float) -> None:
    """Stands in for time.sleep in apply: the tests never really wait."""


class FakeClock:
    """A clock that only moves when someone sleeps on it (shared by the emulator's rate limiter and the
    executor's sleeper, so a Retry-After "wait" really frees the rate-limit window)."""

    def __init__(self, start: float = 1_000.0) -> None:
        self.now = start
        self.slept = 0.0
        self._lock = threading.Lock()

    def time(self) -> float:
        with self._lock:
            return self.now

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.now += max(0.0, seconds)
            self.slept += max(0.0, seconds)


def apply_project(
    root: Path,
    transport: Transport,
    *,
    sleep: Callable[[float], None] = no_sleep,
    allow_empty: bool = False,
) -> tuple[Plan, ApplyReport | None]:
    with service.open_workspace(root, transport=transport) as ws:
        return service.apply(ws, allow_empty=allow_empty, sleep=sleep)


def plan_project(root: Path, transport: Transport, *, allow_empty: bool = False) -> Plan:
    with service.open_workspace(root, transport=transport) as ws:
        plan, _ = service.make_plan(ws, allow_empty=allow_empty)
        return plan


def inventory(root: Path, transport: Transport) -> tuple[InventoryRecord, ...]:
    with service.open_workspace(root, transport=transport) as ws:
        return ws.store.inventory(ws.name)


@dataclass
class PlatformState:
    """What the platform holds, listed through the SDK: ids by kind, and vector store -> attached file ids."""

    assistants: list[Any] = field(default_factory=list)
    vector_stores: list[Any] = field(default_factory=list)
    files: list[Any] = field(default_factory=list)
    attached: dict[str, list[str]] = field(default_factory=dict)

    @property
    def orphan_files(self) -> list[str]:
        """Uploaded files no vector store uses (the example attaches every file it uploads)."""
        used = {f for ids in self.attached.values() for f in ids}
        return sorted(f.id for f in self.files if f.id not in used)

    def counts(self) -> dict[str, int]:
        return {
            "assistants": len(self.assistants),
            "vector_stores": len(self.vector_stores),
            "files": len(self.files),
            "attached": sum(len(ids) for ids in self.attached.values()),
        }


def sdk(app: EmulatorApp) -> openai.OpenAI:
    """A plain SDK client on the same emulator, as another user of the platform would have."""
    return openai.OpenAI(
        api_key="sk-other-user", base_url="http://127.0.0.1/v1", http_client=http_client(app), max_retries=0
    )


def platform_state(app: EmulatorApp) -> PlatformState:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # the SDK marks Assistants v2 deprecated
        client = sdk(app)
        try:
            stores = list(client.vector_stores.list(limit=100))
            return PlatformState(
                assistants=list(client.beta.assistants.list(limit=100)),
                vector_stores=stores,
                files=list(client.files.list()),
                attached={
                    s.id: [f.id for f in client.vector_stores.files.list(s.id, limit=100)] for s in stores
                },
            )
        finally:
            client.close()


def transport(app: EmulatorApp) -> EmulatorTransport:
    return EmulatorTransport(app)


CLEAN_COUNTS = {"assistants": 1, "vector_stores": 1, "files": 2, "attached": 2}


# ---- uploads by content (issue 12): files with one name and one size, and checks by content ------------

# Same name, same size (34 bytes), different content, in different directories.
TWINS = {
    "a/policy.md": b"Policy A: keep every receipt now.\n",
    "b/policy.md": b"Policy B: no receipts are needed.\n",
}
TWINS_YAML = """\
apiVersion: reconciler.dev/v1
kind: VectorStore
metadata:
  name: Twins
spec:
  files:
    - path: a/policy.md
    - path: b/policy.md
"""


def with_twins(root: Path) -> Path:
    """Add a vector store `Twins` holding TWINS to a project made by `make_project`."""
    for path, content in TWINS.items():
        (root / "manifests" / path).parent.mkdir(parents=True, exist_ok=True)
        (root / "manifests" / path).write_bytes(content)
    (root / "manifests" / "twins.yaml").write_text(TWINS_YAML, encoding="utf-8")
    return root


def wanted_uploads(root: Path) -> dict[str, bytes]:
    """Every file the project uploads (the example's, and TWINS when added), by project path."""
    twins = (root / "manifests" / "twins.yaml").exists()
    out = {f"manifests/{path}": content for path, content in TWINS.items() if twins}
    for name in ("expense-rules.md", "per-diem-2026.md"):
        out[f"manifests/files/{name}"] = (root / "manifests" / "files" / name).read_bytes()
    return out


def file_content(app: EmulatorApp, file_id: str) -> bytes:
    """A file's bytes, through the SDK (the emulator serves `assistants` files; OpenAI does not)."""
    client = sdk(app)
    try:
        return client.files.content(file_id).read()
    finally:
        client.close()


def assert_uploads_hold_their_content(root: Path, app: EmulatorApp) -> None:
    """Through the SDK: every upload the inventory records, and every attachment, holds the content of
    the path it stands for, and the platform holds no other file (no duplicate, no orphan)."""
    wanted = wanted_uploads(root)
    uploads = {r.key.name: r.platform_id for r in inventory(root, transport(app)) if r.key.kind is Kind.FILE}
    assert set(uploads) == set(wanted)
    for path, file_id in uploads.items():
        assert file_content(app, file_id) == wanted[path], (
            f"{path} records {file_id}, which holds another file"
        )
    state = platform_state(app)
    assert sorted(f.id for f in state.files) == sorted(uploads.values())
    client = sdk(app)
    try:
        for store in state.vector_stores:
            for attached in client.vector_stores.files.list(store.id, limit=100):
                path = str((attached.attributes or {})["reconciler_path"])
                content = file_content(app, attached.id)
                assert content == wanted[path], f"{store.name}: {path} holds another file"
    finally:
        client.close()


@contextlib.contextmanager
def plain_names() -> Iterator[None]:
    """Upload as reconciler did before names carried an identity tag (`policy.md`, not
    `policy.rcl-<tag>.md`): leaving the block is the upgrade."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(
            "reconciler.apply.uploads.upload_name", lambda owner, path, sha256: PurePosixPath(path).name
        )
        yield


def sigkill_apply_when(root: Path, ready: Callable[[], bool], log: Path, env: dict[str, str]) -> int:
    """Run `reconcile apply --auto-approve` in `root` as a child process, SIGKILL it as soon as `ready()`
    holds (polled for at most 60 s; the test fails if the apply ends first), and return its pid."""
    with log.open("wb") as out:
        child = subprocess.Popen(
            [
                sys.executable,
                "-c",
                "from reconciler.cli.main import main; main()",
                "apply",
                ".",
                "--auto-approve",
            ],
            cwd=root,
            env={**os.environ, **env},
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and child.poll() is None and not ready():
                time.sleep(0.02)
            assert child.poll() is None, log.read_text(encoding="utf-8")
            os.kill(child.pid, signal.SIGKILL)
        finally:
            child.wait(timeout=30)
    return child.pid
