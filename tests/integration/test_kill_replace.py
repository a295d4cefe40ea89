"""A replace of a file's content killed after the new upload was attached but before the apply recorded
it, followed by another content change: the next apply leaves exactly the manifest's content attached,
and no upload behind (found by the review of issue 12; the kill harness's swaps never hit this window)."""

from __future__ import annotations

import hashlib
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest

from reconciler.cli.main import run
from reconciler.emulator import EmulatorConfig
from reconciler.emulator.server import EmulatorServer
from reconciler.model import labels
from tests.integration.support import CLEAN_COUNTS, platform_state, sdk, sigkill_apply_when
from tests.integration.test_lease import API_KEY, _served_project

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
    # Killed while the new upload is attached and ingesting, before the apply records it.
    sigkill_apply_when(
        root,
        lambda: bool(_attached_ids(server) - before),
        tmp_path / "killed.log",
        {"OPENAI_API_KEY": API_KEY},
    )

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
