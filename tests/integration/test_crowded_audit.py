"""The kill harness's audit (tests/integration/crowded.py) can fail: clean after a fault-free apply of the
crowded project, and each invariant it checks reported when the platform is tampered with to break it.
A harness whose audit cannot fail would pass whatever the apply did."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest

from reconciler.emulator import EmulatorApp
from reconciler.model.desired import Kind
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
        attached = {
            str((f.attributes or {}).get("reconciler_path")): f.id
            for f in client.vector_stores.files.list(stores["Policies"], limit=100)
        }
        # Wrong content: the upload attached as b/policy.md now holds a/policy.md's bytes (equal size).
        app.storage.put_blob(attached[b_policy], expected.files[a_policy])
        # Duplicate: a second upload of a/policy.md's bytes, attached nowhere (so an orphan too).
        extra = client.files.create(file=("policy.md", expected.files[a_policy]), purpose="assistants")
        # Labelled ours, outside the inventory, and a second `Faq`.
        labels = {"managed-by": "reconciler", "reconciler/name": "Faq"}
        client.vector_stores.create(name="Faq", metadata=labels)
        # Missing: d/policy.md detached from its store (and now used by nothing).
        client.vector_stores.files.delete(
            attached[f"{FILES_DIR}/d/policy.md"], vector_store_id=stores["Policies"]
        )
    client.close()
    # Two paths claiming one upload: the state says c/rates.md is d/rates.md's upload.
    with open_store(f"sqlite:///{root / '.reconcile' / 'state.db'}") as store:
        records = {r.key.name: r for r in store.inventory("served") if r.key.kind is Kind.FILE}
        c_rates, d_rates = (records[f"{FILES_DIR}/{d}/rates.md"] for d in ("c", "d"))
        store.upsert_inventory("served", c_rates.model_copy(update={"platform_id": d_rates.platform_id}))

    found = _audit(root, app, expected)
    summary = found.summary()

    def has(findings: list[str], *parts: str) -> bool:
        return any(all(part in finding for part in parts) for finding in findings)

    assert has(found.wrong_contents, "b/policy.md: attached", "holds the content of"), summary
    assert has(found.wrong_contents, "inventory File manifests/files/b/policy.md: records"), summary
    assert has(found.wrong_contents, "inventory File manifests/files/c/rates.md: records"), summary
    # Three: its own upload, the extra one, and the tampered upload of b/policy.md.
    assert has(found.duplicates, "a/policy.md uploaded 3 times"), summary
    assert has(found.duplicates, "vector store Faq exists 2 times"), summary
    assert has(found.duplicates, "2 files record one upload", "c/rates.md", "d/rates.md"), summary
    assert has(found.orphans, "labelled ours, not in the inventory"), summary
    assert has(found.orphans, extra.id, "neither attached nor referenced"), summary
    assert has(found.missing, "d/policy.md: not attached"), summary
    assert has(found.missing, "b/policy.md: no upload holds its content"), summary
    assert not has(found.missing, "Faq/"), summary  # of the two, the Faq the inventory records is checked
