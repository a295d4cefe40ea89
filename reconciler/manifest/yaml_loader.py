"""Safe YAML to plain data that remembers where every node came from.

The result is JSON-shaped (dict, list, str, int, float, bool, None) so pydantic and jsonschema take it as
is; mappings and sequences are `YMap`/`YSeq` (dict/list subclasses) carrying the 1-based line and column of
themselves, of each key and of each value. We build from parser *events* rather than nodes because only
events tell an explicit tag (`!!python/object`, `!!str 1`) from an implicit one, and every tag is refused.
Duplicate keys, anchors/aliases (a way to blow up memory later) and non-scalar keys are refused too.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import yaml
from yaml import events

# The C parser when libyaml is present: the same events, several times faster.
_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_RESOLVER = yaml.resolver.Resolver()
_CONSTRUCTOR = yaml.constructor.SafeConstructor()

_STR = "tag:yaml.org,2002:str"
_NULL = "tag:yaml.org,2002:null"
_BOOL = "tag:yaml.org,2002:bool"
_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"

Pos = tuple[int, int]  # 1-based (line, column)


class YMap(dict[str, Any]):
    """A mapping with the position of itself, of each key and of each value."""

    __slots__ = ("key_pos", "pos", "value_pos")

    def __init__(self, pos: Pos) -> None:
        super().__init__()
        self.pos = pos
        self.key_pos: dict[str, Pos] = {}
        self.value_pos: dict[str, Pos] = {}


class YSeq(list[Any]):
    """A sequence with the position of itself and of each item."""

    __slots__ = ("item_pos", "pos")

    def __init__(self, pos: Pos) -> None:
        super().__init__()
        self.pos = pos
        self.item_pos: list[Pos] = []


@dataclass(frozen=True)
class YamlIssue:
    """A YAML-level problem: `code` is a stable rule id such as `yaml.duplicate-key`."""

    line: int
    column: int
    code: str
    message: str


@dataclass(frozen=True)
class YamlDocument:
    """One document of a stream: its root value and where it starts."""

    root: Any
    pos: Pos


class _Refused(Exception):
    """Internal: stops a document at the first construct we refuse (the rest would mislead)."""

    def __init__(self, issue: YamlIssue) -> None:
        super().__init__(issue.message)
        self.issue = issue


def _pos(mark: Any) -> Pos:
    return (mark.line + 1, mark.column + 1)


def _tag_text(tag: str) -> str:
    prefix = "tag:yaml.org,2002:"
    return "!!" + tag[len(prefix) :] if tag.startswith(prefix) else tag


def _refuse(event: Any, code: str, message: str) -> _Refused:
    line, column = _pos(event.start_mark)
    return _Refused(YamlIssue(line, column, code, message))


def _scalar(event: Any) -> Any:
    value: str = event.value
    if not event.implicit[0]:
        return value  # quoted: always a string
    tag = _RESOLVER.resolve(yaml.ScalarNode, value, (True, False))
    if tag == _STR:
        return value
    if tag == _NULL:
        return None
    if tag in (_BOOL, _INT, _FLOAT):
        return _CONSTRUCTOR.construct_object(yaml.ScalarNode(tag, value))
    # Timestamps, merge keys, "=" values: keep the text; manifests are JSON-shaped.
    return value


class _Builder:
    def __init__(self, stream: Iterator[Any]) -> None:
        self._events = stream

    def value(self, event: Any) -> Any:
        if isinstance(event, events.AliasEvent):
            raise _refuse(event, "yaml.alias", "YAML aliases (*name) are not supported; repeat the value")
        if getattr(event, "anchor", None) is not None:
            raise _refuse(event, "yaml.anchor", "YAML anchors (&name) are not supported")
        tag = getattr(event, "tag", None)
        if tag is not None and tag != "!":
            raise _refuse(event, "yaml.tag", f"YAML tags are not allowed (found {_tag_text(tag)})")
        if isinstance(event, events.ScalarEvent):
            return _scalar(event)
        if isinstance(event, events.SequenceStartEvent):
            return self._sequence(event)
        if isinstance(event, events.MappingStartEvent):
            return self._mapping(event)
        raise _refuse(event, "yaml.syntax", f"unexpected YAML event {type(event).__name__}")

    def _sequence(self, start: Any) -> YSeq:
        seq = YSeq(_pos(start.start_mark))
        for event in self._events:
            if isinstance(event, events.SequenceEndEvent):
                return seq
            seq.item_pos.append(_pos(event.start_mark))
            seq.append(self.value(event))
        raise _refuse(start, "yaml.syntax", "unterminated sequence")

    def _mapping(self, start: Any) -> YMap:
        mapping = YMap(_pos(start.start_mark))
        for key_event in self._events:
            if isinstance(key_event, events.MappingEndEvent):
                return mapping
            if not isinstance(key_event, events.ScalarEvent):
                raise _refuse(key_event, "yaml.key", "mapping keys must be plain strings")
            if key_event.tag is not None and key_event.tag != "!":
                raise _refuse(key_event, "yaml.tag", f"YAML tags are not allowed (found {_tag_text(key_event.tag)})")
            if key_event.anchor is not None:
                raise _refuse(key_event, "yaml.anchor", "YAML anchors (&name) are not supported")
            # Keys stay text: `on:` or `200:` mean the strings, as in JSON.
            key: str = key_event.value
            if key == "<<" and key_event.implicit[0]:
                raise _refuse(key_event, "yaml.merge", "YAML merge keys (<<) are not supported")
            key_pos = _pos(key_event.start_mark)
            if key in mapping:
                first = mapping.key_pos[key]
                raise _Refused(
                    YamlIssue(
                        *key_pos,
                        "yaml.duplicate-key",
                        f"duplicate key {key!r} (first defined at line {first[0]})",
                    )
                )
            value_event = next(self._events)
            mapping.key_pos[key] = key_pos
            mapping.value_pos[key] = _pos(value_event.start_mark)
            mapping[key] = self.value(value_event)
        raise _refuse(start, "yaml.syntax", "unterminated mapping")


def _syntax_issue(error: yaml.YAMLError) -> YamlIssue:
    mark = getattr(error, "problem_mark", None) or getattr(error, "context_mark", None)
    line, column = _pos(mark) if mark is not None else (1, 1)
    problem = getattr(error, "problem", None) or str(error)
    context = getattr(error, "context", None)
    message = f"{context}, {problem}" if context else str(problem)
    return YamlIssue(line, column, "yaml.syntax", f"invalid YAML: {message}")


def load_documents(text: str) -> tuple[list[YamlDocument], list[YamlIssue]]:
    """Every document of `text`, plus the issues found. A refused document is dropped, the others kept;
    a syntax error ends the stream (the parser cannot resynchronise)."""
    docs: list[YamlDocument] = []
    issues: list[YamlIssue] = []
    stream = yaml.parse(text, Loader=_Loader)
    builder = _Builder(stream)
    try:
        for event in stream:
            if not isinstance(event, events.DocumentStartEvent):
                continue
            first = next(stream)
            if isinstance(first, events.DocumentEndEvent):
                continue
            if isinstance(first, events.ScalarEvent) and first.value == "" and first.tag is None:
                _skip_document(stream)  # an empty document (e.g. after a trailing `---`) is no document
                continue
            try:
                root = builder.value(first)
                docs.append(YamlDocument(root, _pos(first.start_mark)))
            except _Refused as refused:
                issues.append(refused.issue)
                _skip_document(stream)
    except yaml.YAMLError as error:
        issues.append(_syntax_issue(error))
    except _Refused as refused:  # raised while skipping (e.g. an unterminated block)
        issues.append(refused.issue)
    return docs, issues


def _skip_document(stream: Iterator[Any]) -> None:
    for event in stream:
        if isinstance(event, events.DocumentEndEvent):
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
            found = node.key_pos[part] if (key and last) else node.value_pos[part]
            node = node[part]
            real.append(part)
        elif isinstance(node, YSeq) and isinstance(part, int) and 0 <= part < len(node):
            found = node.item_pos[part]
            node = node[part]
            real.append(part)
    return real, found


def dotted(path: Sequence[str | int]) -> str:
    """`spec.tools[2].name` style, as users read paths."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out
