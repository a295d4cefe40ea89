"""Assistants on the Assistants v2 wire format: the assistant handler of `AssistantsV2Target`."""

from __future__ import annotations

from collections.abc import Sequence

import openai

from reconciler.model.desired import Kind
from reconciler.model.live import LiveAssistant
from reconciler.targets import wire
from reconciler.targets.errors import call
from reconciler.targets.handlers import CODE_FILES, VECTOR_STORES, Ref, Write, labelled_like
from reconciler.targets.paging import cursor_pages, from_cursors, ignore_missing, pipelined
from reconciler.targets.tuning import PageSink

PAGE = 100  # the largest page the Assistants-era list endpoints accept


class AssistantHandler:
    kind = Kind.ASSISTANT

    def __init__(self, client: openai.OpenAI) -> None:
        self.client = client

    def read_all(self, parent: str = "") -> list[LiveAssistant]:
        return self.pages()

    def pages(self, on_page: PageSink | None = None, cursors: Sequence[str] = ()) -> list[LiveAssistant]:
        """Every assistant, page k+1 requested while page k converts (from `cursors`: all pages at once),
        each page handed to `on_page` as it arrives."""
        fetch = cursor_pages(self.client.beta.assistants.with_raw_response.list, PAGE)
        if cursors:
            return from_cursors(fetch, wire.live_assistant, "list assistants", cursors, on_page)
        return pipelined(fetch, wire.live_assistant, "list assistants", on_page)

    def get(self, ref: Ref) -> LiveAssistant:
        raw = call(f"get assistant {ref.id}", lambda: self.client.beta.assistants.retrieve(ref.id))
        return wire.live_assistant(raw)

    def create(self, write: Write) -> LiveAssistant:
        params = wire.assistant_params(
            write.spec,
            write.metadata,
            write.references.get(VECTOR_STORES, ()),
            write.references.get(CODE_FILES, ()),
        )
        return wire.live_assistant(
            call("create assistant", lambda: self.client.beta.assistants.create(**params))
        )

    def update(self, ref: Ref, write: Write) -> LiveAssistant:
        params = wire.assistant_params(
            write.spec,
            write.metadata,
            write.references.get(VECTOR_STORES, ()),
            write.references.get(CODE_FILES, ()),
            update=True,
        )
        raw = call(f"update assistant {ref.id}", lambda: self.client.beta.assistants.update(ref.id, **params))
        return wire.live_assistant(raw)

    def delete(self, ref: Ref) -> None:
        ignore_missing(
            lambda: call(f"delete assistant {ref.id}", lambda: self.client.beta.assistants.delete(ref.id))
        )

    def recover(self, write: Write) -> list[LiveAssistant]:
        return labelled_like(self.read_all(), write)
