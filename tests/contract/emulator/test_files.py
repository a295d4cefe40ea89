"""Files through the real SDK: multipart upload, list filters, content download, delete."""

from __future__ import annotations

import openai
import pytest

from tests.contract.emulator.conftest import raw_json


def test_upload_retrieve_download_delete(client: openai.OpenAI) -> None:
    uploaded = client.files.create(file=("notes.md", b"# hello\n"), purpose="assistants")
    assert uploaded.id.startswith("file-")
    assert (uploaded.bytes, uploaded.filename, uploaded.purpose) == (8, "notes.md", "assistants")
    assert client.files.retrieve(uploaded.id).id == uploaded.id
    assert client.files.content(uploaded.id).read() == b"# hello\n"
    deleted = client.files.delete(uploaded.id)
    assert deleted.deleted is True
    with pytest.raises(openai.NotFoundError):
        client.files.retrieve(uploaded.id)
    assert uploaded.id not in [f.id for f in client.files.list()]


def test_list_filters_by_purpose_and_orders(client: openai.OpenAI) -> None:
    a = client.files.create(file=("a.jsonl", b"{}\n"), purpose="batch")
    b = client.files.create(file=("b.txt", b"b"), purpose="assistants")
    c = client.files.create(file=("c.txt", b"c"), purpose="assistants")
    assert [f.id for f in client.files.list(purpose="assistants")] == [c.id, b.id]
    assert [f.id for f in client.files.list(order="asc")] == [a.id, b.id, c.id]
    assert [f.id for f in client.files.list(purpose="batch")] == [a.id]


def test_status_is_present_although_deprecated(client: openai.OpenAI) -> None:
    raw = raw_json(client.files.with_raw_response.create(file=("x.txt", b"x"), purpose="assistants"))
    assert raw["status"] == "processed"
    assert raw["object"] == "file"


def test_expires_after_sets_expires_at(client: openai.OpenAI) -> None:
    uploaded = client.files.create(
        file=("x.txt", b"x"), purpose="assistants", expires_after={"anchor": "created_at", "seconds": 3600}
    )
    assert uploaded.expires_at == uploaded.created_at + 3600


def test_unknown_purpose_is_400(client: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        client.files.create(file=("x.txt", b"x"), purpose="nonsense")  # type: ignore[arg-type]
    assert isinstance(caught.value.body, dict)
    assert caught.value.body["param"] == "purpose"


def test_missing_file_is_404(client: openai.OpenAI) -> None:
    with pytest.raises(openai.NotFoundError):
        client.files.content("file-missing")
