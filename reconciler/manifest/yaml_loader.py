"""Safe YAML to located, JSON-shaped documents (`yaml_values` builds each from the parser's events).

A document with a refused construct is returned `damaged`: read as far as possible so its other problems
are found, never loaded. A syntax error ends its document (the parser cannot resynchronise inside one):
what was read up to it is kept as a damaged document whose open mappings and sequences are `unsure`, and
reading resumes at the next `---` line, so one run reports the problems of every document of a file.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import yaml
from yaml import events

from reconciler.manifest.yaml_values import (
    MAX_DEPTH,
    Cut,
    Pos,
    Refused,
    ValueBuilder,
    YamlIssue,
    YMap,
    YSeq,
    position,
)

__all__ = [
    "MAX_DEPTH",
    "Pos",
    "YMap",
    "YSeq",
    "YamlDocument",
    "YamlIssue",
    "dotted",
    "load_documents",
    "walk",
]

# The C parser when libyaml is present: the same events, several times faster.
_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True)
class YamlDocument:
    """One document of a stream: its root value and where it starts.

    `damaged`: a YAML problem was found in it (the issues say which); its data is what could be read, to
    be checked for further problems, never loaded. `unsure`: positions whose value is not what the file
    says (a stand-in, or a mapping or sequence a refusal or a syntax error left incomplete). `cut_line`:
    the line of the syntax error that ended the document (0 when none); a value read on it may be a
    misreading of the broken text."""

    root: Any
    pos: Pos
    damaged: bool = False
    unsure: frozenset[Pos] = frozenset()
    cut_line: int = 0

    def is_unsure(self, line: int, column: int) -> bool:
        """Whether a problem found at this position may only be a consequence of the YAML problem."""
        return (line, column) in self.unsure or 0 < self.cut_line <= line


def _syntax_issue(error: yaml.YAMLError) -> YamlIssue:
    mark = getattr(error, "problem_mark", None) or getattr(error, "context_mark", None)
    line, column = position(mark) if mark is not None else (1, 1)
    problem = getattr(error, "problem", None) or str(error)
    context = getattr(error, "context", None)
    message = f"{context}, {problem}" if context else str(problem)
    return YamlIssue(line, column, "yaml.syntax", f"invalid YAML: {message}")


# A line that starts a document: where reading resumes after a syntax error.
_DOCUMENT_START = re.compile(r"^---(?=[ \t]|\r?$)", re.MULTILINE)


def load_documents(text: str) -> tuple[list[YamlDocument], list[YamlIssue]]:
    """Every document of `text` (damaged ones included, marked), plus the issues found in order.

    A syntax error ends its document; reading resumes at the next line starting with `---` after the
    error, so the documents after a broken one are still read and checked. Lines before the resumption
    point are blanked rather than cut, so positions stay those of `text`."""
    docs: list[YamlDocument] = []
    issues: list[YamlIssue] = []
    begin = 0  # offset of the first character read
    while True:
        error = _load_stream(text if begin == 0 else _blank_before(text, begin), docs, issues)
        if error is None:
            return docs, issues
        issues.append(_syntax_issue(error))
        resume = _resumption(text, error, begin)
        if resume is None:
            return docs, issues
        begin = resume


def _blank_before(text: str, offset: int) -> str:
    return "\n" * text.count("\n", 0, offset) + text[offset:]


def _resumption(text: str, error: yaml.YAMLError, begin: int) -> int | None:
    """Offset of the first document start at or after the error's line and after `begin`."""
    mark = getattr(error, "problem_mark", None) or getattr(error, "context_mark", None)
    line = mark.line if mark is not None else 0
    offset = 0
    for _ in range(line):  # the start of the error's line
        found = text.find("\n", offset)
        if found < 0:
            return None
        offset = found + 1
    for match in _DOCUMENT_START.finditer(text, max(offset, begin + 1)):
        return match.start()
    return None


def _load_stream(text: str, docs: list[YamlDocument], issues: list[YamlIssue]) -> yaml.YAMLError | None:
    """Append the documents of `text` to `docs` until its end or a syntax error, which is returned (the
    document it cut short is appended, damaged, when anything of it was read)."""
    loader = _Loader(text)
    get = loader.get_event
    builder = ValueBuilder(get, issues)
    try:
        while True:
            event = get()
            if event is None or type(event) is events.StreamEndEvent:
                return None
            if type(event) is not events.DocumentStartEvent:
                continue
            first = get()
            if type(first) is events.DocumentEndEvent:
                continue
            if type(first) is events.ScalarEvent and first.value == "" and first.tag is None:
                _skip_document(get)  # an empty document (e.g. after a trailing `---`) is no document
                continue
            builder.depth = 0
            builder.unsure = set()
            before = len(issues)
            pos = position(first.start_mark)
            try:
                root = builder.value(first)
            except Cut as cut:
                unsure = frozenset(builder.unsure | set(cut.open))
                line = _syntax_issue(cut.error).line
                docs.append(YamlDocument(cut.partial, pos, damaged=True, unsure=unsure, cut_line=line))
                return cut.error
            except Refused as refused:  # an event out of place: nothing of the document is usable
                issues.append(refused.issue)
                _skip_document(get)
                continue
            damaged = len(issues) > before
            docs.append(YamlDocument(root, pos, damaged, frozenset(builder.unsure)))
    except yaml.YAMLError as error:
        return error
    finally:
        loader.dispose()


def _skip_document(get: Any) -> None:
    while True:
        event = get()
        if event is None or type(event) in (events.DocumentEndEvent, events.StreamEndEvent):
            return


def walk(root: Any, path: Sequence[str | int], *, key: bool = False) -> tuple[list[str | int], Pos | None]:
    """Follow `path` below `root`: the parts that exist in the data and the position of the deepest node
    reached (of its key when `key` and the whole path matched). Parts that do not match the data are
    skipped: pydantic puts union branch names into error paths."""
    node = root
    found: Pos | None = getattr(root, "pos", None)
    real: list[str | int] = []
    for index, part in enumerate(path):
        last = index == len(path) - 1
        if isinstance(node, YMap) and isinstance(part, str) and part in node:
            found = position(node.key_marks[part] if (key and last) else node.value_marks[part])
            node = node[part]
            real.append(part)
        elif isinstance(node, YSeq) and isinstance(part, int) and 0 <= part < len(node):
            found = position(node.item_marks[part])
            node = node[part]
            real.append(part)
    return real, found


def dotted(path: Sequence[str | int]) -> str:
    """`spec.tools[2].name` style, as users read paths."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out
