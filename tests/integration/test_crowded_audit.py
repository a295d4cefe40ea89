"""The kill harness's audit (tests/integration/crowded.py) can fail: clean after a fault-free apply of the
crowded project, and each invariant it checks reported when the platform is tampered with to break it.
A harness whose audit cannot fail would pass whatever the apply did."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest

from reconciler.emulator import EmulatorApp
from reconciler.store import open_store
from tests.integration.crowded import FILES_DIR, Expected, Findings, audit, write_project
from tests.integration.support import apply_project, sdk, transport

pytestmark = [pytest.mark.slow, pytest.mark.filterwarnings("ignore:deprecated:DeprecationWarning")]


def _audit(root: Path, app: EmulatorApp, expected: Expected) -> Findings:
    with open_store(f"sqlite:///{root / '.reconcile' / 'state.db'}") as store:
        inventory = store.inventory("served")
    client = sdk(app)
    try:
        return audit(client, expected, inventory, lambda file_id: client.files.content(file_id).read())
    finally:
        client.close()


def test_the_audit_is_clean_after_a_fault_free_apply_and_reports_each_broken_invariant(
    tmp_path: Path, app: EmulatorApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-audit-test")
    root = tmp_path / "project"
    expected = write_project(root, "http://127.0.0.1/v1", concurrency=8)
    assert expected.managed_objects == 60
    _, report = apply_project(root, transport(app))
    assert report is not None
    assert report.ok, [step.error for step in report.steps if step.error]
    found = _audit(root, app, expected)
    assert found.clean, found.summary()

    client = sdk(app)
    a_policy, b_policy = (f"{FILES_DIR}/{d}/policy.md" for d in ("a", "b"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        stores = {s.name: s.id for s in client.vector_stores.list()}
        uploads = {f.id: f for f in client.files.list()}
        attached = {
            str((f.attributes or {}).get("reconciler_path")): f.id
            for f in client.vector_stores.files.list(stores["Policies"], limit=100)
        }
        # Wrong content: the upload attached as b/policy.md now holds a/policy.md's bytes (equal size).
        app.storage.put_blob(attached[b_policy], expected.files[a_policy])
        # Duplicate: a second upload of a/policy.md's bytes, attached nowhere (so an orphan too).
        extra = client.files.create(file=("policy.md", expected.files[a_policy]), purpose="assistants")
        # Labelled ours, outside the inventory, and a second `Faq`.
        client.vector_stores.create(
            name="Faq", metadata={"managed-by": "reconciler", "reconciler/name": "Faq"}
        )
        # Missing: d/policy.md detached from its store (and now used by nothing).
        client.vector_stores.files.delete(
            attached[f"{FILES_DIR}/d/policy.md"], vector_store_id=stores["Policies"]
        )
    client.close()
    assert extra.id not in uploads

    found = _audit(root, app, expected)
    summary = found.summary()
    assert any("b/policy.md: attached" in w and "holds the content of" in w for w in found.wrong_contents), (
        summary
    )
    assert any("inventory File manifests/files/b/policy.md" in w for w in found.wrong_contents), summary
    # Three: its own upload, the extra one, and the tampered upload of b/policy.md.
    assert any("a/policy.md uploaded 3 times" in d for d in found.duplicates), summary
    assert any("vector store Faq exists 2 times" in d for d in found.duplicates), summary
    assert any("labelled ours, not in the inventory" in o for o in found.orphans), summary
    assert any(extra.id in o and "neither attached nor referenced" in o for o in found.orphans), summary
    assert any("d/policy.md: not attached" in m for m in found.missing), summary
    assert any("b/policy.md: no upload holds its content" in m for m in found.missing), summary
    assert not any("Faq/" in m for m in found.missing), summary  # the recorded Faq is the one checked
