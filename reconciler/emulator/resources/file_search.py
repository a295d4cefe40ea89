"""File search for Responses: the `file_search` tool's echo, the search over vector stores, and the items
it puts in the output (FileSearchToolCall, and a message with a `file_citation`).

What is searched: the files of the tool's `vector_store_ids` whose ingestion is `completed`, read as
UTF-8 text and cut into chunks by their vector-store file's static chunking strategy (4 characters a
token, like the deterministic model's count: the default 800/400 is 3,200-character chunks every 1,600
characters). A chunk's score is the share of the query's distinct words (lower-cased `\\w+`) it contains,
from 0 to 1 (rounded to 4 places); chunks scoring 0 are not results. Results are ordered by score, ties
kept in order of `vector_store_ids`, then of attaching, then of position in the file. `filters` select
files by their attributes, `ranking_options.score_threshold` drops lower scores, `max_num_results`
(default 20) cuts the list. The quoted passage is the line of the best chunk holding the most query
words (the first of equals).

The call item keeps its `results` in storage; a response shows them only where `include` names
`file_search_call.results` (else `results: null`), as the platform does.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from reconciler.emulator import model
from reconciler.emulator.http import new_id
from reconciler.emulator.resources.ingestion import FILE, VS_FILE, file_status
from reconciler.emulator.router import Context
from reconciler.emulator.storage import JSON

INCLUDE_RESULTS = "file_search_call.results"
DEFAULT_MAX_RESULTS = 20
CHARS_PER_TOKEN = 4
_WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class Hit:
    """One result: a chunk of a file, with its score and the line the answer would quote."""

    file_id: str
    filename: str
    score: float
    text: str
    attributes: JSON
    passage: str

    def to_json(self) -> JSON:
        return {
            "file_id": self.file_id,
            "filename": self.filename,
            "score": self.score,
            "text": self.text,
            "attributes": self.attributes,
        }


def echo(tool: JSON) -> JSON:
    """The tool as a Response lists it: the options' defaults filled in."""
    ranking = dict(tool.get("ranking_options") or {})
    ranking.setdefault("ranker", "auto")
    ranking.setdefault("score_threshold", 0.0)
    return {
        "type": "file_search",
        "vector_store_ids": list(tool["vector_store_ids"]),
        "filters": tool.get("filters"),
        "max_num_results": tool.get("max_num_results") or DEFAULT_MAX_RESULTS,
        "ranking_options": ranking,
    }


def mode(tools: list[JSON], tool_choice: Any) -> model.FileSearch:
    """How the model may use file search, given the tools offered and `tool_choice`."""
    if not any(t["type"] == "file_search" for t in tools) or tool_choice == "none":
        return "off"
    if isinstance(tool_choice, dict):
        # Forcing file search makes it the only tool; forcing anything else rules it out.
        return "only" if tool_choice.get("type") == "file_search" else "off"
    return "only" if all(t["type"] == "file_search" for t in tools) else "offered"


def search(ctx: Context, tools: list[JSON], query: str) -> list[Hit]:
    """The results of `query` over every `file_search` tool in `tools` (echoed shapes, see `echo`)."""
    words = _words(query)
    hits: list[Hit] = []
    limit = 0
    for tool in tools:
        if tool["type"] != "file_search":
            continue
        limit = max(limit, tool["max_num_results"])
        threshold = tool["ranking_options"]["score_threshold"]
        for store_id in tool["vector_store_ids"]:
            for vs_file in ctx.storage.all(VS_FILE, parent=store_id):
                if file_status(ctx, vs_file) != "completed":
                    continue
                if tool["filters"] is not None and not matches(tool["filters"], vs_file["attributes"]):
                    continue
                hits += [h for h in _file_hits(ctx, vs_file, words) if h.score >= threshold]
    hits.sort(key=lambda h: -h.score)  # stable: equal scores keep store, file and chunk order
    return hits[:limit]


def call_item(query: str, hits: list[Hit]) -> JSON:
    return {
        "type": "file_search_call",
        "id": new_id("fs_"),
        "status": "completed",
        "queries": [query],
        "results": [h.to_json() for h in hits],
    }


def cited_message(text: str, best: Hit | None) -> JSON:
    """The assistant message after a search; it cites the file it quotes at the end of the quote."""
    annotations: list[JSON] = []
    if best is not None:
        annotations.append(
            {"type": "file_citation", "file_id": best.file_id, "filename": best.filename, "index": len(text)}
        )
    return {
        "type": "message",
        "id": new_id("msg_"),
        "status": "completed",
        "role": "assistant",
        "content": [{"type": "output_text", "text": text, "annotations": annotations, "logprobs": []}],
    }


def shown(items: Iterable[JSON], include: Iterable[str]) -> list[JSON]:
    """Items as a reader sees them: a search call's `results` are null unless `include` asks for them."""
    if INCLUDE_RESULTS in include:
        return list(items)
    return [view(item, include=()) for item in items]


def view(item: JSON, *, include: Iterable[str]) -> JSON:
    if item.get("type") != "file_search_call" or INCLUDE_RESULTS in include:
        return item
    return {**item, "results": None}


def matches(condition: JSON, attributes: JSON) -> bool:
    """A Filters value (ComparisonFilter or CompoundFilter) against a file's attributes. A file without
    the key matches only `ne` and `nin`; order comparisons hold between two numbers or two strings."""
    kind: str = condition["type"]
    if kind in ("and", "or"):
        results = (matches(sub, attributes) for sub in condition["filters"])
        return all(results) if kind == "and" else any(results)
    key, wanted = condition["key"], condition["value"]
    if key not in attributes:
        return kind in ("ne", "nin")
    have = attributes[key]
    if kind in ("eq", "ne"):
        return _same(have, wanted) == (kind == "eq")
    if kind in ("in", "nin"):
        found = isinstance(wanted, list) and any(_same(have, w) for w in wanted)
        return found == (kind == "in")
    if not ((_number(have) and _number(wanted)) or (isinstance(have, str) and isinstance(wanted, str))):
        return False
    if kind == "gt":
        return bool(have > wanted)
    if kind == "gte":
        return bool(have >= wanted)
    if kind == "lt":
        return bool(have < wanted)
    return bool(have <= wanted)  # lte


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _same(a: Any, b: Any) -> bool:
    """Equal and of one kind: `1` equals `1.0`, but `true` is not `1` and `"1"` is not `1`."""
    if _number(a) and _number(b):
        return bool(a == b)
    return type(a) is type(b) and bool(a == b)


def _file_hits(ctx: Context, vs_file: JSON, words: frozenset[str]) -> list[Hit]:
    file = ctx.storage.get(FILE, vs_file["id"])
    if file is None or not words:
        return []
    content = (ctx.storage.get_blob(file["id"]) or b"").decode("utf-8", errors="replace")
    static = vs_file["chunking_strategy"]["static"]
    hits = []
    for chunk in _chunks(content, static["max_chunk_size_tokens"], static["chunk_overlap_tokens"]):
        found = words & _words(chunk)
        if found:
            hits.append(
                Hit(
                    file_id=file["id"],
                    filename=str(file["filename"]),
                    score=round(len(found) / len(words), 4),
                    text=chunk,
                    attributes=dict(vs_file["attributes"]),
                    passage=_passage(chunk, words),
                )
            )
    return hits


def _chunks(text: str, size_tokens: int, overlap_tokens: int) -> list[str]:
    size = size_tokens * CHARS_PER_TOKEN
    step = max(1, (size_tokens - overlap_tokens) * CHARS_PER_TOKEN)
    starts = [0]
    while starts[-1] + size < len(text):  # the last chunk reaches the end of the text
        starts.append(starts[-1] + step)
    return [text[start : start + size] for start in starts if text[start : start + size].strip()]


def _passage(chunk: str, words: frozenset[str]) -> str:
    lines = [line.strip() for line in chunk.splitlines() if line.strip()]
    return max(lines, key=lambda line: len(words & _words(line)), default="")


def _words(text: str) -> frozenset[str]:
    return frozenset(_WORD.findall(text.lower()))
