"""Vector stores and the files attached to them on the Assistants v2 wire format: two handlers of
`AssistantsV2Target`. A vector-store file is named by a compound `Ref`: the file's id in its store's."""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial

import openai

from reconciler.errors import NotFound
from reconciler.model.desired import Kind
from reconciler.model.live import LiveVectorStore, LiveVectorStoreFile
from reconciler.targets import wire
from reconciler.targets.errors import call
from reconciler.targets.handlers import Ref, Write, labelled_like
from reconciler.targets.paging import cursor_pages, from_cursors, ignore_missing, pipelined

PAGE = 100  # the largest page the Assistants-era list endpoints accept


class VectorStoreHandler:
    kind = Kind.VECTOR_STORE

    def __init__(self, client: openai.OpenAI) -> None:
        self.client = client

    def read_all(self, parent: str = "") -> list[LiveVectorStore]:
        """Every store, without its files (`VectorStoreFileHandler.read_all` lists those of one store)."""
        fetch = cursor_pages(self.client.vector_stores.with_raw_response.list, PAGE)
        return pipelined(fetch, wire.live_vector_store, "list vector stores")

    def get(self, ref: Ref) -> LiveVectorStore:
        raw = call(f"get vector store {ref.id}", lambda: self.client.vector_stores.retrieve(ref.id))
        return wire.live_vector_store(raw)

    def create(self, write: Write) -> LiveVectorStore:
        params = wire.vector_store_params(write.spec, write.metadata)
        return wire.live_vector_store(
            call("create vector store", lambda: self.client.vector_stores.create(**params))
        )

    def update(self, ref: Ref, write: Write) -> LiveVectorStore:
        params = wire.vector_store_params(write.spec, write.metadata, update=True)
        raw = call(
            f"update vector store {ref.id}", lambda: self.client.vector_stores.update(ref.id, **params)
        )
        return wire.live_vector_store(raw)

    def delete(self, ref: Ref) -> None:
        ignore_missing(
            lambda: call(f"delete vector store {ref.id}", lambda: self.client.vector_stores.delete(ref.id))
        )

    def recover(self, write: Write) -> list[LiveVectorStore]:
        return labelled_like(self.read_all(), write)


class VectorStoreFileHandler:
    """Files attached to a store: `Ref(file_id, parent=store_id)`; a create's `Write` names the file in
    its spec (`file_id`, with `attributes` and `chunking`) and the store as its parent."""

    kind = Kind.VECTOR_STORE_FILE

    def __init__(self, client: openai.OpenAI) -> None:
        self.client = client

    def read_all(self, parent: str = "") -> list[LiveVectorStoreFile]:
        return self.pages(parent)

    def pages(self, vector_store_id: str, cursors: Sequence[str] = ()) -> list[LiveVectorStoreFile]:
        """The files of one store (from `cursors`: all pages at once)."""
        # Raw pages, like the other cursor lists: a 100-store project lists 100 of these at once, and
        # the SDK's model parsing (~0.6 ms each) competed for the GIL with the assistant page chain.
        fetch = cursor_pages(
            partial(self.client.vector_stores.files.with_raw_response.list, vector_store_id), PAGE
        )
        convert = partial(wire.live_vector_store_file, vector_store_id=vector_store_id)
        what = f"list files of vector store {vector_store_id}"
        if cursors:
            return from_cursors(fetch, convert, what, cursors)
        return pipelined(fetch, convert, what)

    def get(self, ref: Ref) -> LiveVectorStoreFile:
        raw = call(
            f"get file {ref.id} of vector store {ref.parent}",
            lambda: self.client.vector_stores.files.retrieve(ref.id, vector_store_id=ref.parent),
        )
        return wire.live_vector_store_file(raw, ref.parent)

    def create(self, write: Write) -> LiveVectorStoreFile:
        store_id, file_id = write.parent, str(write.spec["file_id"])
        raw = call(
            f"attach file {file_id} to vector store {store_id}",
            lambda: self.client.vector_stores.files.create(
                store_id,
                file_id=file_id,
                attributes=dict(write.spec["attributes"]),
                chunking_strategy=wire.chunking_param(write.spec["chunking"]),  # type: ignore[arg-type]
            ),
        )
        return wire.live_vector_store_file(raw, store_id)

    def update(self, ref: Ref, write: Write) -> LiveVectorStoreFile:
        raw = call(
            f"update attributes of file {ref.id}",
            lambda: self.client.vector_stores.files.update(
                ref.id, vector_store_id=ref.parent, attributes=dict(write.spec["attributes"])
            ),
        )
        return wire.live_vector_store_file(raw, ref.parent)

    def delete(self, ref: Ref) -> None:
        ignore_missing(
            lambda: call(
                f"detach file {ref.id} from vector store {ref.parent}",
                lambda: self.client.vector_stores.files.delete(ref.id, vector_store_id=ref.parent),
            )
        )

    def recover(self, write: Write) -> list[LiveVectorStoreFile]:
        try:
            return [self.get(Ref(str(write.spec["file_id"]), write.parent))]
        except NotFound:
            return []
