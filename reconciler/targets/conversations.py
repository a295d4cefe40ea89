"""The platform operations a conversation migration calls (issue 17): `ConversationOps` copies a
Responses-era conversation into a new one, `ThreadOps` (`targets.threads_ops`) moves an Assistants v2
thread to a new version in place. `conversation_ops` picks one by the target's flavour.

Every request goes through `GatedCalls` (`targets.gated`): the caller's gate before it, the caller's
`on_limits` after it, SDK errors translated, temporary ones retried (a create or append only after a
429: they are not safe to send twice, and the caller resumes with `count_items`).

Bounds: a conversation of more than MAX_ITEMS items is refused (`ConversationTooLong`) before anything is
copied; its items are read in pages of PAGE (`order=asc`, `after` cursor), at most MAX_PAGES of them;
a create or an append carries at most MAX_ITEMS_PER_REQUEST items (the spec's `maxItems: 20`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, Literal

import openai

from reconciler.calls.retry import Retrier
from reconciler.errors import NotFound, PermanentPlatformError
from reconciler.model import labels as label_rules
from reconciler.targets.assistants_v2 import AssistantsV2Target
from reconciler.targets.conversation_items import UnsupportedItem, as_input
from reconciler.targets.gated import Gate, GatedCalls, LimitsSink, RateHints, ignore_limits, no_gate
from reconciler.targets.threads_ops import ThreadOps

__all__ = [
    "ConversationOps",
    "ConversationTooLong",
    "RateHints",
    "ThreadOps",
    "UnsupportedItem",
    "conversation_ops",
]

PAGE = 100
MAX_ITEMS = 10_000
MAX_PAGES = MAX_ITEMS // PAGE + 1  # one more page shows whether there are more than MAX_ITEMS
MAX_ITEMS_PER_REQUEST = 20  # CreateConversationBody.items and createConversationItems: maxItems 20
_INCLUDE = ["file_search_call.results"]  # a file search call is copied with its results


class ConversationTooLong(PermanentPlatformError):
    """A conversation holds more items than a migration copies."""


class ConversationOps:
    """Responses era: read, create, append to, label and delete conversations (`client.conversations`)."""

    def __init__(
        self,
        client: openai.OpenAI,
        *,
        gate: Gate = no_gate,
        on_limits: LimitsSink = ignore_limits,
        retrier: Retrier | None = None,
    ) -> None:
        self.client = client
        self.calls = GatedCalls(gate=gate, on_limits=on_limits, retrier=retrier)

    def read_items(self, conversation: str) -> list[dict[str, Any]]:
        """Every item, oldest first, as input items (`targets.conversation_items`). Raises
        `ConversationTooLong` past MAX_ITEMS and `UnsupportedItem` for an item that cannot be copied."""
        found: list[dict[str, Any]] = []
        for page in self._pages(conversation, include=_INCLUDE):
            found.extend(as_input(item, conversation) for item in page)
        return found

    def count_items(self, conversation: str) -> int:
        """How many items the conversation holds (a copy's, when resuming: how many were appended)."""
        return sum(len(page) for page in self._pages(conversation, include=None))

    def metadata(self, conversation: str) -> dict[str, str] | None:
        """The conversation's metadata; None when it is gone."""
        items = self.client.conversations.with_raw_response
        try:
            raw = self.calls.send(f"get conversation {conversation}", lambda: items.retrieve(conversation))
        except NotFound:
            return None
        return dict(raw.http_response.json().get("metadata") or {})

    def create(self, *, metadata: Mapping[str, str], items: Sequence[Mapping[str, Any]]) -> str:
        """A new conversation holding `items` (at most MAX_ITEMS_PER_REQUEST); its id."""
        _check_batch(items)
        conversations = self.client.conversations.with_raw_response
        raw = self.calls.send(
            "create conversation",
            lambda: conversations.create(metadata=dict(metadata), items=_wire(items)),
            once=True,
        )
        return str(raw.http_response.json()["id"])

    def append(self, conversation: str, items: Sequence[Mapping[str, Any]]) -> None:
        """Add `items` (at most MAX_ITEMS_PER_REQUEST) at the end of the conversation."""
        _check_batch(items)
        if not items:
            return
        created = self.client.conversations.items.with_raw_response
        self.calls.send(
            f"add items to conversation {conversation}",
            lambda: created.create(conversation, items=_wire(items)),
            once=True,
        )

    def append_all(self, conversation: str, items: Sequence[Mapping[str, Any]], *, already: int = 0) -> int:
        """Append `items` in requests of at most MAX_ITEMS_PER_REQUEST, skipping the first `already` (the
        ones an interrupted copy holds: `count_items` of the copy). Returns how many were sent."""
        if not 0 <= already <= len(items):
            raise ValueError(f"already={already} is outside 0..{len(items)}")
        rest = items[already:]
        for start in range(0, len(rest), MAX_ITEMS_PER_REQUEST):
            self.append(conversation, rest[start : start + MAX_ITEMS_PER_REQUEST])
        return len(rest)

    def label(self, conversation: str, labels: Mapping[str, str]) -> bool:
        """Merge `labels` into the conversation's metadata. False, and nothing sent, when the result would
        break the platform's rules (16 pairs, keys <= 64, values <= 512) beside the user's own pairs.
        Raises `NotFound` when the conversation is gone."""
        existing = self.metadata(conversation)
        if existing is None:
            raise NotFound(f"label conversation {conversation}: it no longer exists", status=404)
        merged = label_rules.merged_within_limits(existing, labels)
        if merged is None:
            return False
        if merged != existing:
            conversations = self.client.conversations.with_raw_response
            self.calls.send(
                f"label conversation {conversation}",
                lambda: conversations.update(conversation, metadata=merged),
            )
        return True

    def delete(self, conversation: str) -> bool:
        """Delete the conversation; False when it was already gone."""
        conversations = self.client.conversations.with_raw_response
        try:
            self.calls.send(f"delete conversation {conversation}", lambda: conversations.delete(conversation))
        except NotFound:
            return False
        return True

    def _pages(self, conversation: str, *, include: list[str] | None) -> Iterator[list[dict[str, Any]]]:
        listing = self.client.conversations.items.with_raw_response
        after: str | None = None
        seen = 0
        for _ in range(MAX_PAGES):
            cursor = after

            def one_page(cursor: str | None = cursor) -> Any:
                extra: dict[str, Any] = {} if cursor is None else {"after": cursor}
                if include:
                    extra["include"] = include
                return listing.list(conversation, limit=PAGE, order="asc", **extra)

            raw = self.calls.send(f"list items of conversation {conversation}", one_page)
            page = raw.http_response.json()
            data: list[dict[str, Any]] = list(page.get("data") or [])
            seen += len(data)
            if seen > MAX_ITEMS:
                raise ConversationTooLong(
                    f"conversation {conversation} holds more than {MAX_ITEMS:,} items; a migration copies "
                    f"at most {MAX_ITEMS:,}"
                )
            yield data
            last = page.get("last_id") or (data[-1]["id"] if data else None)
            if not page.get("has_more") or not data or last == after:
                return
            after = last
        raise ConversationTooLong(f"conversation {conversation}: more than {MAX_PAGES} pages of items")


def _check_batch(items: Sequence[Mapping[str, Any]]) -> None:
    if len(items) > MAX_ITEMS_PER_REQUEST:
        raise ValueError(
            f"{len(items)} items in one request; the platform takes at most {MAX_ITEMS_PER_REQUEST}"
        )


def _wire(items: Sequence[Mapping[str, Any]]) -> Any:
    """Input items as the SDK sends them (its TypedDicts describe the same JSON)."""
    return [dict(item) for item in items]


Flavour = Literal["responses", "assistants-v2"]


def conversation_ops(
    source: AssistantsV2Target | openai.OpenAI,
    *,
    gate: Gate = no_gate,
    on_limits: LimitsSink = ignore_limits,
    retrier: Retrier | None = None,
    flavour: Flavour | None = None,
) -> ConversationOps | ThreadOps:
    """The migration operations of a workspace's target: `ConversationOps` on the Responses era (a target
    whose versions are bundles), `ThreadOps` on Assistants v2. Given a bare SDK client, `flavour` says
    which (required then)."""
    if isinstance(source, AssistantsV2Target):
        client, chosen = source.client, "assistants-v2" if source.versions_on_platform else "responses"
    elif flavour is None:
        raise ValueError("conversation_ops on a bare client needs flavour='responses' or 'assistants-v2'")
    else:
        client, chosen = source, flavour
    build: Callable[..., ConversationOps | ThreadOps] = (
        ConversationOps if chosen == "responses" else ThreadOps
    )
    return build(client, gate=gate, on_limits=on_limits, retrier=retrier)
