"""A replace of a file's content killed after the new upload was attached but before the apply recorded
it, followed by another content change: the next apply leaves exactly the manifest's content attached,
and no upload behind (found by the review of issue 12; the kill harness's swaps never hit this window)."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from reconciler.cli.main import run
from reconciler.emulator import EmulatorConfig
from reconciler.emulator.server import EmulatorServer
from reconciler.model import labels
from tests.integration.support import CLEAN_COUNTS, platform_state, sdk
from tests.integration.test_lease import API_KEY, CLI, _served_project

pytestmark = [pytest.mark.server, pytest.mark.filterwarnings("ignore:deprecated:DeprecationWarning")]

RULES = "manifests/files/expense-rules.md"
INGESTION_SECONDS = 4.0  # the window between a file's attach and the apply recording it


@pytest.fixture
def server() -> Iterator[EmulatorServer]:
    emulator = EmulatorServer(EmulatorConfig(ingestion_seconds=INGESTION_SECONDS, project_id="proj_remote"))
    emulator.start()
    yield emulator
    emulator.close()


def _attached_ids(server: EmulatorServer) -> set[str]:
    return {f for ids in platform_state(server.app).attached.values() for f in ids}


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
def test_a_replace_killed_after_attaching_leaves_no_stale_content(
    tmp_path: Path, server: EmulatorServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _served_project(tmp_path, server)
    monkeypatch.setenv("OPENAI_API_KEY", API_KEY)
    assert run(["apply", str(root), "--auto-approve"]) == 0
    before = _attached_ids(server)

    (root / RULES).write_text("# Expense rules\n\nVersion two: a rule that must not survive.\n")
    log = (tmp_path / "killed.log").open("wb")
    killed = subprocess.Popen(
        [sys.executable, "-c", CLI, "apply", ".", "--auto-approve"],
        cwd=root,
        env={**os.environ, "OPENAI_API_KEY": API_KEY},
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:  # killed while the new upload is attached and ingesting, before the apply records it
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and killed.poll() is None and not _attached_ids(server) - before:
            time.sleep(0.02)
        assert killed.poll() is None, (tmp_path / "killed.log").read_text(encoding="utf-8")
        os.kill(killed.pid, signal.SIGKILL)
    finally:
        killed.wait(timeout=30)
        log.close()

    final = "# Expense rules\n\nVersion three: the rule that holds.\n"
    (root / RULES).write_text(final)
    assert run(["apply", str(root), "--auto-approve"]) == 0
    state = platform_state(server.app)
    assert state.counts() == CLEAN_COUNTS, state.counts()
    assert state.orphan_files == []
    client = sdk(server.app)
    (store,) = state.vector_stores
    attached = {
        str((f.attributes or {})[labels.FILE_PATH]): (f.attributes or {})[labels.FILE_SHA256]
        for f in client.vector_stores.files.list(store.id, limit=100)
    }
    assert attached[RULES] == hashlib.sha256(final.encode()).hexdigest()
    assert run(["plan", str(root), "--detailed-exitcode"]) == 0
