"""Uploads on the Assistants v2 wire format: the file handler of `AssistantsV2Target`.

An upload's `Write` carries `filename` and `purpose` in its spec and the bytes as `content`; a lost
upload is recovered by its tagged filename and size (`model.labels.tagged_filename`): a plain name and
a size would prove nothing about content or owner."""

from __future__ import annotations

import openai

from reconciler.model.desired import Kind
from reconciler.model.live import LiveFile
from reconciler.targets import wire
from reconciler.targets.errors import call
from reconciler.targets.handlers import Ref, Write
from reconciler.targets.paging import ignore_missing, walk

PURPOSE = "assistants"


class FileHandler:
    kind = Kind.FILE

    def __init__(self, client: openai.OpenAI) -> None:
        self.client = client

    def read_all(self, parent: str = "") -> list[LiveFile]:
        """Every upload of `parent`'s purpose (by default the assistants'): one listing."""
        purpose = parent or PURPOSE
        pages = call("list files", lambda: self.client.files.list(purpose=purpose, limit=10_000, order="asc"))
        return [wire.live_file(f) for f in walk(pages, "list files")]

    def get(self, ref: Ref) -> LiveFile:
        return wire.live_file(call(f"get file {ref.id}", lambda: self.client.files.retrieve(ref.id)))

    def create(self, write: Write) -> LiveFile:
        filename = str(write.spec["filename"])
        raw = call(
            f"upload file {filename}",
            lambda: self.client.files.create(
                file=(filename, write.content),
                purpose=write.spec.get("purpose", PURPOSE),
            ),
        )
        return wire.live_file(raw)

    def update(self, ref: Ref, write: Write) -> LiveFile:
        # An upload's content is its identity: a changed file is a new upload, never an update.
        raise NotImplementedError("uploads are replaced, not updated")

    def delete(self, ref: Ref) -> None:
        ignore_missing(lambda: call(f"delete file {ref.id}", lambda: self.client.files.delete(ref.id)))

    def recover(self, write: Write) -> list[LiveFile]:
        filename, size = write.spec["filename"], write.spec["size"]
        return [
            f
            for f in self.read_all(write.spec.get("purpose", PURPOSE))
            if (f.filename, f.bytes) == (filename, size)
        ]
