"""Safe YAML to plain data that remembers where every node came from.

The result is JSON-shaped (dict, list, str, int, float, bool, None) so pydantic and jsonschema take it as
is; mappings and sequences are `YMap`/`YSeq` (dict/list subclasses) carrying the 1-based line and column of
themselves, of each key and of each value. We build from parser *events* rather than nodes because only
events tell an explicit tag (`!!python/object`, `!!str 1`) from an implicit one, and every tag is refused.
Duplicate keys, anchors/aliases (a way to blow up memory later) and non-scalar keys are refused too.

Limits, so that hostile input is one problem at its line rather than a crash later: nesting deeper than
`MAX_DEPTH` mappings and sequences (64; a document's root is level 1), NaN and infinite numbers (JSON has
neither), integers outside the signed 64-bit range, and NUL characters in any key or value.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
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

MAX_DEPTH = 64
_INT_RANGE = (-(2**63), 2**63 - 1)
# Longer integer literals cannot be in range; they are refused before Python converts them (a 5,000-digit
# literal exceeds Python's int-from-string limit and would raise rather than be reported).
_MAX_INT_CHARS = 100


class YMap(dict[str, Any]):
    """A mapping with the position of itself, of each key and of each value.

    Parser marks are kept as they come and turned into positions only when asked: most are never asked.
    """

    __slots__ = ("key_marks", "mark", "value_marks")

    def __init__(self, mark: Any) -> None:
        super().__init__()
        self.mark = mark
        self.key_marks: dict[str, Any] = {}
        self.value_marks: dict[str, Any] = {}

    @property
    def pos(self) -> Pos:
        return _pos(self.mark)


class YSeq(list[Any]):
    """A sequence with the position of itself and of each item."""

    __slots__ = ("item_marks", "mark")

    def __init__(self, mark: Any) -> None:
        super().__init__()
        self.mark = mark
        self.item_marks: list[Any] = []

    @property
    def pos(self) -> Pos:
        return _pos(self.mark)


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


# First characters that may start a non-string plain scalar (null, bool, int, float, timestamp, merge):
# anything else is a string without asking the resolver, which is most of a manifest.
_IMPLICIT_FIRST = frozenset(_RESOLVER.yaml_implicit_resolvers) | {""}


def _scalar(event: Any) -> Any:
    value: str = event.value
    if "\x00" in value:
        raise _refuse(event, "yaml.nul", "NUL characters (\\0) are not allowed in manifests")
    if not event.implicit[0] or (value[:1] not in _IMPLICIT_FIRST):
        return value  # quoted, or cannot be anything but a string
    tag: str = _RESOLVER.resolve(yaml.ScalarNode, value, (True, False))  # type: ignore[no-untyped-call]
    if tag == _STR:
        return value
    if tag == _NULL:
        return None
    if tag == _INT and len(value) > _MAX_INT_CHARS:
        raise _refuse(event, "yaml.number", _OUT_OF_RANGE)
    if tag in (_BOOL, _INT, _FLOAT):
        number = _CONSTRUCTOR.construct_object(yaml.ScalarNode(tag, value))
        if tag == _INT and not _INT_RANGE[0] <= number <= _INT_RANGE[1]:
            raise _refuse(event, "yaml.number", _OUT_OF_RANGE)
        if tag == _FLOAT and not math.isfinite(number):
            message = f"{value[:40]} is not a finite number; JSON has no NaN or infinity"
            raise _refuse(event, "yaml.number", message)
        return number
    # Timestamps, merge keys, "=" values: keep the text; manifests are JSON-shaped.
    return value


_OUT_OF_RANGE = "integer out of range: integers must lie between -2**63 and 2**63-1"


class _Builder:
    """Builds values from the parser's events, pulled one at a time with `get_event`."""

    def __init__(self, get: Any) -> None:
        self._get = get
        self.depth = 0  # mappings and sequences open around the current event

    def value(self, event: Any) -> Any:
        cls = type(event)
        if cls is events.ScalarEvent and event.anchor is None and (event.tag is None or event.tag == "!"):
            return _scalar(event)  # the common case first
        if cls is events.AliasEvent:
            raise _refuse(event, "yaml.alias", "YAML aliases (*name) are not supported; repeat the value")
        if getattr(event, "anchor", None) is not None:
            raise _refuse(event, "yaml.anchor", "YAML anchors (&name) are not supported")
        tag = getattr(event, "tag", None)
        if tag is not None and tag != "!":
            raise _refuse(event, "yaml.tag", f"YAML tags are not allowed (found {_tag_text(tag)})")
        if cls is events.SequenceStartEvent or cls is events.MappingStartEvent:
            if self.depth >= MAX_DEPTH:
                raise _refuse(event, "yaml.depth", f"nested more than {MAX_DEPTH} levels deep; flatten it")
            self.depth += 1
            built = self._sequence(event) if cls is events.SequenceStartEvent else self._mapping(event)
            self.depth -= 1
            return built
        raise _refuse(event, "yaml.syntax", f"unexpected YAML event {cls.__name__}")

    def _sequence(self, start: Any) -> YSeq:
        seq = YSeq(start.start_mark)
        get = self._get
        while True:
            event = get()
            if type(event) is events.SequenceEndEvent:
                return seq
            seq.item_marks.append(event.start_mark)
            seq.append(self.value(event))

    def _mapping(self, start: Any) -> YMap:
        mapping = YMap(start.start_mark)
        get = self._get
        while True:
            key_event = get()
            if type(key_event) is events.MappingEndEvent:
                return mapping
            if type(key_event) is not events.ScalarEvent:
                raise _refuse(key_event, "yaml.key", "mapping keys must be plain strings")
            if key_event.tag is not None and key_event.tag != "!":
                raise _refuse(
                    key_event, "yaml.tag", f"YAML tags are not allowed (found {_tag_text(key_event.tag)})"
                )
            if key_event.anchor is not None:
                raise _refuse(key_event, "yaml.anchor", "YAML anchors (&name) are not supported")
            # Keys stay text: `on:` or `200:` mean the strings, as in JSON.
            key: str = key_event.value
            if "\x00" in key:
                raise _refuse(key_event, "yaml.nul", "NUL characters (\\0) are not allowed in manifests")
            if key == "<<" and key_event.implicit[0]:
                raise _refuse(key_event, "yaml.merge", "YAML merge keys (<<) are not supported")
            if key in mapping:
                first = _pos(mapping.key_marks[key])
                message = f"duplicate key {key!r} (first defined at line {first[0]})"
                raise _Refused(YamlIssue(*_pos(key_event.start_mark), "yaml.duplicate-key", message))
            value_event = get()
            mapping.key_marks[key] = key_event.start_mark
            mapping.value_marks[key] = value_event.start_mark
            mapping[key] = self.value(value_event)


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
    loader = _Loader(text)
    get = loader.get_event
    builder = _Builder(get)
    try:
        while True:
            event = get()
            if event is None or type(event) is events.StreamEndEvent:
                break
            if type(event) is not events.DocumentStartEvent:
                continue
            first = get()
            if type(first) is events.DocumentEndEvent:
                continue
            if type(first) is events.ScalarEvent and first.value == "" and first.tag is None:
                _skip_document(get)  # an empty document (e.g. after a trailing `---`) is no document
                continue
            try:
                builder.depth = 0  # a refused document may have left it raised
                root = builder.value(first)
                docs.append(YamlDocument(root, _pos(first.start_mark)))
            except _Refused as refused:
                issues.append(refused.issue)
                _skip_document(get)
    except yaml.YAMLError as error:
        issues.append(_syntax_issue(error))
    finally:
        loader.dispose()
    return docs, issues


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
            found = _pos(node.key_marks[part] if (key and last) else node.value_marks[part])
            node = node[part]
            real.append(part)
        elif isinstance(node, YSeq) and isinstance(part, int) and 0 <= part < len(node):
            found = _pos(node.item_marks[part])
            node = node[part]
            real.append(part)
    return real, found


def dotted(path: Sequence[str | int]) -> str:
    """`spec.tools[2].name` style, as users read paths."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out
