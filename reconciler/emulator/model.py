"""The emulator's deterministic stand-in for a language model: same input, same answer, same token counts.

Runs and Responses both ask `answer()` for the next assistant turn. The rules, in order:

1. **Tool results.** If the conversation ends with tool outputs (a run after `submit_tool_outputs`, or a
   response whose input ends with `function_call_output` items), the answer is the text
   `tool result: <outputs joined by "; ">`, cut to 200 characters.
2. **`/fail MESSAGE`.** If the last user message starts with `/fail`, the model fails: a run becomes
   `failed` with `last_error = {"code": "server_error", "message": MESSAGE or "The model failed."}`,
   a response becomes `failed` with the same `error`. This is how tests reach the `failed` state.
3. **`/call NAME {json}`.** If the last user message is `/call NAME` optionally followed by a JSON object,
   the model calls the function tool NAME with those arguments (`{}` when omitted), serialised compactly
   with sorted keys. If NAME is not among the function tools offered (or `tool_choice` is `none`), the
   model answers `tool NAME is not available` instead: the real model can only call functions it was
   given, and an unusable prompt makes it answer in text, not fail the run. If the arguments are not a
   JSON object it answers `invalid /call arguments: expected a JSON object`.
4. **`/search QUERY`.** If the last user message is `/search` followed by a query, the model searches
   its files with QUERY (Responses with a `file_search` tool; the caller runs the search, see
   `after_search`). Without a usable `file_search` tool (none offered, or `tool_choice` rules it out) it
   answers `tool file_search is not available`; without a query, `invalid /search: expected a query`.
5. **A plain question to a file-search-only model.** When `file_search` is the only tool offered (or
   `tool_choice` forces it), a last user message that does not start with `/` is searched for as it
   stands (its first 200 characters).
6. Otherwise it answers `echo: <the last user message's first 200 characters>` (`echo: ` when there is
   no user message).

After a search the answer quotes the best passage found: `From <filename>: "<passage>"`, or
`file search found nothing for: <query>` when nothing matched.

Tokens: `count_tokens(text) = ceil(len(text.encode("utf-8")) / 4)`. Input tokens are the sum over the
instructions and every text the model reads (messages, tool-call arguments, tool outputs); output tokens
are the count of the answer text, or of `NAME + arguments` for a tool call. A search reads the text of
every result it found (input) and writes its query and then the answer (output). A failure costs its
input tokens and no output tokens.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Literal

ECHO_CHARS = 200
_CALL = re.compile(r"^/call\s+([A-Za-z0-9_-]{1,64})\s*(.*)$", re.DOTALL)
_FAIL = re.compile(r"^/fail(?:\s+(.*))?$", re.DOTALL)
_SEARCH = re.compile(r"^/search(?:\s+(.*))?$", re.DOTALL)

# How file search is open to the model: not at all, beside other tools, or as the only tool.
FileSearch = Literal["off", "offered", "only"]


@dataclass(frozen=True)
class Turn:
    """One entry of what the model reads: a message, a tool call it made, or a tool's output."""

    role: str  # "user" | "assistant" | "system" | "developer" | "tool_call" | "tool_output"
    text: str


@dataclass(frozen=True)
class ToolCall:
    name: str
    arguments: str  # a JSON object, compact, keys sorted


@dataclass(frozen=True)
class Passage:
    """The best match of a search, which the answer quotes."""

    filename: str
    text: str


@dataclass(frozen=True)
class Answer:
    """Exactly one of `text`, `tool_call`, `error`, `search` is set, except after a search
    (`after_search`), when `search` keeps the query and `text` is the answer."""

    input_tokens: int
    output_tokens: int
    text: str | None = None
    tool_call: ToolCall | None = None
    error: str | None = None
    search: str | None = None

    @property
    def total_tokens(self) -> int:
        return self.input_tokens + self.output_tokens


def count_tokens(text: str) -> int:
    """Four UTF-8 bytes per token, rounded up: crude, but stable across runs and platforms."""
    return math.ceil(len(text.encode("utf-8")) / 4)


def answer(
    turns: Sequence[Turn],
    *,
    instructions: str | None,
    tools: Collection[str],
    file_search: FileSearch = "off",
) -> Answer:
    """The next assistant turn after `turns`. `tools` holds the callable function names."""
    input_tokens = count_tokens(instructions or "") + sum(count_tokens(t.text) for t in turns)
    trailing_outputs = _trailing_tool_outputs(turns)
    if trailing_outputs:
        text = ("tool result: " + "; ".join(trailing_outputs))[:ECHO_CHARS]
        return _text(input_tokens, text)
    last_user = next((t.text for t in reversed(turns) if t.role == "user"), "")
    stripped = last_user.strip()
    fail = _FAIL.match(stripped)
    if fail:
        message = (fail.group(1) or "").strip() or "The model failed."
        return Answer(input_tokens=input_tokens, output_tokens=0, error=message)
    call = _CALL.match(stripped)
    if call:
        name, raw = call.group(1), call.group(2).strip()
        if name not in tools:
            return _text(input_tokens, f"tool {name} is not available")
        arguments = _arguments(raw)
        if arguments is None:
            return _text(input_tokens, "invalid /call arguments: expected a JSON object")
        return Answer(
            input_tokens=input_tokens,
            output_tokens=count_tokens(name + arguments),
            tool_call=ToolCall(name, arguments),
        )
    search = _SEARCH.match(stripped)
    if search:
        if file_search == "off":
            return _text(input_tokens, "tool file_search is not available")
        query = (search.group(1) or "").strip()[:ECHO_CHARS]
        if not query:
            return _text(input_tokens, "invalid /search: expected a query")
        return _search(input_tokens, query)
    if file_search == "only" and stripped and not stripped.startswith("/"):
        return _search(input_tokens, stripped[:ECHO_CHARS])
    return _text(input_tokens, "echo: " + last_user[:ECHO_CHARS])


def after_search(asked: Answer, read: Sequence[str], best: Passage | None) -> Answer:
    """The answer once the search `asked` for has run: it read every result's text in `read` and quotes
    `best` (None: nothing matched)."""
    query = asked.search or ""
    if best is None:
        text = f"file search found nothing for: {query}"
    else:
        text = f'From {best.filename}: "{best.text[:ECHO_CHARS]}"'
    return Answer(
        input_tokens=asked.input_tokens + sum(count_tokens(r) for r in read),
        output_tokens=asked.output_tokens + count_tokens(text),
        text=text,
        search=query,
    )


def _search(input_tokens: int, query: str) -> Answer:
    return Answer(input_tokens=input_tokens, output_tokens=count_tokens(query), search=query)


def _text(input_tokens: int, text: str) -> Answer:
    return Answer(input_tokens=input_tokens, output_tokens=count_tokens(text), text=text)


def _trailing_tool_outputs(turns: Sequence[Turn]) -> list[str]:
    outputs: list[str] = []
    for turn in reversed(turns):
        if turn.role != "tool_output":
            break
        outputs.append(turn.text)
    outputs.reverse()
    return outputs


def _arguments(raw: str) -> str | None:
    if not raw:
        return "{}"
    try:
        value = json.loads(raw)
    except ValueError:
        return None
    if not isinstance(value, dict):
        return None
    return json.dumps(value, sort_keys=True, separators=(",", ":"))
