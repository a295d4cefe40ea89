"""Vector stores, their files and file batches through the real SDK, with time-driven ingestion."""

from __future__ import annotations

import openai
import pytest

from reconciler.emulator import EmulatorConfig
from tests.contract.emulator.conftest import ClientFactory, FakeClock, raw_json


def _upload(client: openai.OpenAI, name: str = "doc.md", content: bytes = b"some text") -> str:
    return client.files.create(file=(name, content), purpose="assistants").id


def test_crud_and_delete(client: openai.OpenAI) -> None:
    store = client.vector_stores.create(name="kb", metadata={"env": "test"})
    assert store.id.startswith("vs_")
    assert client.vector_stores.retrieve(store.id).name == "kb"
    updated = client.vector_stores.update(
        store.id, name="kb2", expires_after={"anchor": "last_active_at", "days": 7}
    )
    assert updated.name == "kb2"
    assert updated.expires_at == updated.last_active_at + 7 * 86400  # type: ignore[operator]
    assert store.id in [s.id for s in client.vector_stores.list()]
    assert client.vector_stores.delete(store.id).deleted is True
    with pytest.raises(openai.NotFoundError):
        client.vector_stores.retrieve(store.id)
    assert store.id not in [s.id for s in client.vector_stores.list()]


def test_required_keys_in_raw_json(client: openai.OpenAI) -> None:
    raw = raw_json(client.vector_stores.with_raw_response.create())
    for key in ("usage_bytes", "last_active_at", "name", "file_counts", "metadata", "status"):
        assert key in raw, key
    file_raw = raw_json(
        client.vector_stores.files.with_raw_response.create(raw["id"], file_id=_upload(client))
    )
    assert file_raw["last_error"] is None
    assert file_raw["id"].startswith("file-")
    assert file_raw["chunking_strategy"] == {
        "type": "static",
        "static": {"max_chunk_size_tokens": 800, "chunk_overlap_tokens": 400},
    }


def test_ingestion_moves_from_in_progress_to_completed_and_failed(
    make_client: ClientFactory, clock: FakeClock
) -> None:
    client = make_client(EmulatorConfig(ingestion_seconds=30))
    store = client.vector_stores.create(name="kb")
    good = client.vector_stores.files.create(store.id, file_id=_upload(client, "a.md", b"12345"))
    bad = client.vector_stores.files.create(store.id, file_id=_upload(client, "b.zip", b"PK"))
    empty = client.vector_stores.files.create(store.id, file_id=_upload(client, "c.md", b""))
    assert {good.status, bad.status, empty.status} == {"in_progress"}
    before = client.vector_stores.retrieve(store.id)
    assert (before.status, before.file_counts.in_progress, before.usage_bytes) == ("in_progress", 3, 0)
    assert len(list(client.vector_stores.files.list(store.id, filter="in_progress"))) == 3

    clock.advance(31)
    assert client.vector_stores.files.retrieve(good.id, vector_store_id=store.id).status == "completed"
    failed = client.vector_stores.files.retrieve(bad.id, vector_store_id=store.id)
    assert failed.status == "failed"
    assert failed.last_error is not None and failed.last_error.code == "unsupported_file"
    after = client.vector_stores.retrieve(store.id)
    assert (after.status, after.usage_bytes) == ("completed", 5)
    assert (after.file_counts.completed, after.file_counts.failed, after.file_counts.total) == (1, 2, 3)
    assert [f.id for f in client.vector_stores.files.list(store.id, filter="failed", order="asc")] == [
        bad.id,
        empty.id,
    ]


def test_a_fresh_attach_is_briefly_invisible(make_client: ClientFactory, clock: FakeClock) -> None:
    client = make_client(EmulatorConfig(consistency_lag_seconds=2))
    store = client.vector_stores.create()
    attached = client.vector_stores.files.create(store.id, file_id=_upload(client))
    with pytest.raises(openai.NotFoundError):
        client.vector_stores.files.retrieve(attached.id, vector_store_id=store.id)
    clock.advance(2)
    assert client.vector_stores.files.retrieve(attached.id, vector_store_id=store.id).id == attached.id


def test_attributes_update_and_limits(client: openai.OpenAI) -> None:
    store = client.vector_stores.create()
    attached = client.vector_stores.files.create(store.id, file_id=_upload(client), attributes={"lang": "en"})
    assert attached.attributes == {"lang": "en"}
    updated = client.vector_stores.files.update(
        attached.id, vector_store_id=store.id, attributes={"lang": "de", "rank": 2, "public": True}
    )
    assert updated.attributes == {"lang": "de", "rank": 2, "public": True}
    with pytest.raises(openai.BadRequestError):
        client.vector_stores.files.update(
            attached.id, vector_store_id=store.id, attributes={f"k{i}": i for i in range(17)}
        )
    assert client.vector_stores.files.delete(attached.id, vector_store_id=store.id).deleted is True
    assert list(client.vector_stores.files.list(store.id)) == []


def test_deleting_the_file_detaches_it(client: openai.OpenAI) -> None:
    store = client.vector_stores.create()
    file_id = _upload(client)
    client.vector_stores.files.create(store.id, file_id=file_id)
    client.files.delete(file_id)
    assert list(client.vector_stores.files.list(store.id)) == []


def test_attaching_a_missing_file_is_404(client: openai.OpenAI) -> None:
    store = client.vector_stores.create()
    with pytest.raises(openai.NotFoundError):
        client.vector_stores.files.create(store.id, file_id="file-nope")


def test_static_chunking_is_echoed_and_checked(client: openai.OpenAI) -> None:
    store = client.vector_stores.create()
    static = {"type": "static", "static": {"max_chunk_size_tokens": 1000, "chunk_overlap_tokens": 100}}
    attached = client.vector_stores.files.create(store.id, file_id=_upload(client), chunking_strategy=static)  # type: ignore[arg-type]
    assert attached.chunking_strategy is not None
    assert attached.chunking_strategy.model_dump() == static
    too_much = {"type": "static", "static": {"max_chunk_size_tokens": 1000, "chunk_overlap_tokens": 600}}
    with pytest.raises(openai.BadRequestError):
        client.vector_stores.files.create(store.id, file_id=_upload(client), chunking_strategy=too_much)  # type: ignore[arg-type]


def test_file_batch_lifecycle_and_cancel(make_client: ClientFactory, clock: FakeClock) -> None:
    client = make_client(EmulatorConfig(ingestion_seconds=10))
    store = client.vector_stores.create()
    ids = [_upload(client, f"d{i}.md") for i in range(3)]
    batch = client.vector_stores.file_batches.create(store.id, file_ids=ids)
    assert batch.id.startswith("vsfb_")
    assert (batch.status, batch.file_counts.in_progress) == ("in_progress", 3)
    listed = client.vector_stores.file_batches.list_files(batch.id, vector_store_id=store.id)
    assert sorted(f.id for f in listed) == sorted(ids)
    cancelled = client.vector_stores.file_batches.cancel(batch.id, vector_store_id=store.id)
    assert (cancelled.status, cancelled.file_counts.cancelled) == ("cancelled", 3)
    clock.advance(60)  # cancelled files stay cancelled
    assert (
        client.vector_stores.file_batches.retrieve(batch.id, vector_store_id=store.id).file_counts.cancelled
        == 3
    )

    second = client.vector_stores.file_batches.create(
        store.id, files=[{"file_id": _upload(client, "e.md"), "attributes": {"k": "v"}}]
    )
    clock.advance(11)
    done = client.vector_stores.file_batches.retrieve(second.id, vector_store_id=store.id)
    assert (done.status, done.file_counts.completed) == ("completed", 1)
    assert [
        f.attributes
        for f in client.vector_stores.file_batches.list_files(second.id, vector_store_id=store.id)
    ] == [{"k": "v"}]


def test_vector_store_created_with_files(client: openai.OpenAI) -> None:
    ids = [_upload(client, "x.md"), _upload(client, "y.md")]
    store = client.vector_stores.create(file_ids=ids)
    assert store.file_counts.total == 2
    assert sorted(f.id for f in client.vector_stores.files.list(store.id)) == sorted(ids)
