"""Located values from YAML parser events: JSON-shaped data that remembers where every node came from.

The result is JSON-shaped (dict, list, str, int, float, bool, None) so pydantic and jsonschema take it as
is; mappings and sequences are `YMap`/`YSeq` (dict/list subclasses) carrying the 1-based line and column of
themselves, of each key and of each value. We build from parser *events* rather than nodes because only
events tell an explicit tag (`!!python/object`, `!!str 1`) from an implicit one, and every tag is refused.
Duplicate keys, anchors/aliases (a way to blow up memory later) and non-scalar keys are refused too.

A refusal does not stop the value being built: it is an issue, and the builder goes on so that one run
reports every problem. Where a refused construct leaves no value as written (an alias, a tagged or
out-of-range value, a dropped entry), its place is recorded as `unsure`, so that later checks do not
report what is only a consequence of it. A syntax error raised by the parser becomes `Cut`, which carries
the part built so far, each open mapping and sequence attached to its parent.

Limits, so that hostile input is one problem at its line rather than a crash later: nesting deeper than
`MAX_DEPTH` mappings and sequences (64; a document's root is level 1), NaN and infinite numbers (JSON has
neither), integers outside the signed 64-bit range, and NUL characters in any key or value.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import yaml
from yaml import events

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
        return position(self.mark)


class YSeq(list[Any]):
    """A sequence with the position of itself and of each item."""

    __slots__ = ("item_marks", "mark")

    def __init__(self, mark: Any) -> None:
        super().__init__()
        self.mark = mark
        self.item_marks: list[Any] = []

    @property
    def pos(self) -> Pos:
        return position(self.mark)


@dataclass(frozen=True)
class YamlIssue:
    """A YAML-level problem: `code` is a stable rule id such as `yaml.duplicate-key`."""

    line: int
    column: int
    code: str
    message: str


class Refused(Exception):
    """Internal: a construct we refuse; its issue is recorded and a stand-in takes its place."""

    def __init__(self, issue: YamlIssue) -> None:
        super().__init__(issue.message)
        self.issue = issue


class Cut(Exception):
    """Internal: a syntax error inside a document, carrying the part built so far up to the root."""

    def __init__(self, error: yaml.YAMLError, partial: Any, mark: Any) -> None:
        super().__init__(str(error))
        self.error = error
        self.partial = partial
        self.open: list[Pos] = [position(mark)]


def position(mark: Any) -> Pos:
    """A parser mark as a 1-based (line, column)."""
    return (mark.line + 1, mark.column + 1)


def _tag_text(tag: str) -> str:
    prefix = "tag:yaml.org,2002:"
    return "!!" + tag[len(prefix) :] if tag.startswith(prefix) else tag


def _issue(event: Any, code: str, message: str) -> YamlIssue:
    line, column = position(event.start_mark)
    return YamlIssue(line, column, code, message)


def _refuse(event: Any, code: str, message: str) -> Refused:
    return Refused(_issue(event, code, message))


# First characters that may start a non-string plain scalar (null, bool, int, float, timestamp, merge):
# anything else is a string without asking the resolver, which is most of a manifest.
_IMPLICIT_FIRST = frozenset(_RESOLVER.yaml_implicit_resolvers) | {""}


def _scalar(event: Any) -> Any:
    value: str = event.value
    if "\x00" in value:
        raise _refuse(event, "yaml.nul", _NUL)
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
_NUL = "NUL characters (\\0) are not allowed in manifests"
_ANCHOR = "YAML anchors (&name) are not supported"
_CONTAINERS = (events.SequenceStartEvent, events.MappingStartEvent)
_ENDS = (events.SequenceEndEvent, events.MappingEndEvent)


class ValueBuilder:
    """Builds values from the parser's events, pulled one at a time with `get_event`.

    Refused constructs are appended to `issues` as found; `unsure` collects the positions they leave
    without a value as written (reset for each document)."""

    def __init__(self, get: Any, issues: list[YamlIssue]) -> None:
        self._get = get
        self.issues = issues
        self.depth = 0  # mappings and sequences open around the current event
        self.unsure: set[Pos] = set()

    def _stand_in(self, issue: YamlIssue, mark: Any) -> None:
        """Record a refusal whose place holds no value as written."""
        self.issues.append(issue)
        self.unsure.add(position(mark))

    def value(self, event: Any) -> Any:
        cls = type(event)
        if cls is events.ScalarEvent and event.anchor is None and (event.tag is None or event.tag == "!"):
            try:
                return _scalar(event)  # the common case first
            except Refused as refused:
                self._stand_in(refused.issue, event.start_mark)
                return None
        if cls is events.AliasEvent:
            issue = _issue(event, "yaml.alias", "YAML aliases (*name) are not supported; repeat the value")
            self._stand_in(issue, event.start_mark)
            return None
        if getattr(event, "anchor", None) is not None:
            self.issues.append(_issue(event, "yaml.anchor", _ANCHOR))  # the value itself is as written
        tag = getattr(event, "tag", None)
        if tag is not None and tag != "!":
            # What a tag would make of the value is unknown: the plain value stands in for it.
            message = f"YAML tags are not allowed (found {_tag_text(tag)})"
            self._stand_in(_issue(event, "yaml.tag", message), event.start_mark)
        if cls is events.ScalarEvent:
            try:
                return _scalar(event)
            except Refused as refused:
                self._stand_in(refused.issue, event.start_mark)
                return None
        if cls is events.SequenceStartEvent or cls is events.MappingStartEvent:
            if self.depth >= MAX_DEPTH:
                message = f"nested more than {MAX_DEPTH} levels deep; flatten it"
                self._stand_in(_issue(event, "yaml.depth", message), event.start_mark)
                self._skip_node()
                return None
            self.depth += 1
            built = self._sequence(event) if cls is events.SequenceStartEvent else self._mapping(event)
            self.depth -= 1
            return built
        raise _refuse(event, "yaml.syntax", f"unexpected YAML event {cls.__name__}")

    def _skip_node(self) -> None:
        """Consume the rest of a mapping or sequence whose start was read, without building it."""
        level = 1
        get = self._get
        while level:
            cls = type(get())
            if cls in _CONTAINERS:
                level += 1
            elif cls in _ENDS:
                level -= 1

    def _sequence(self, start: Any) -> YSeq:
        seq = YSeq(start.start_mark)
        get = self._get
        building = False
        try:
            while True:
                event = get()
                if type(event) is events.SequenceEndEvent:
                    return seq
                seq.item_marks.append(event.start_mark)
                building = True
                seq.append(self.value(event))
                building = False
        except yaml.YAMLError as error:
            raise Cut(error, seq, seq.mark) from None
        except Cut as cut:
            if building:
                seq.append(cut.partial)
            cut.partial = seq
            cut.open.append(position(seq.mark))
            raise

    def _mapping(self, start: Any) -> YMap:
        mapping = YMap(start.start_mark)
        get = self._get
        pending: str | None = None  # the key whose value is being built
        try:
            while True:
                key_event = get()
                if type(key_event) is events.MappingEndEvent:
                    return mapping
                key: str | None = key_event.value if type(key_event) is events.ScalarEvent else None
                if key is None or key_event.tag is not None or key_event.anchor is not None:
                    key = self._key(key_event, mapping)  # the rare cases, kept off the common path
                elif key == "<<" or "\x00" in key:
                    key = self._key(key_event, mapping)
                value_event = get()
                if key is None:
                    self.value(value_event)  # read for its own problems; the entry is dropped
                    continue
                if key in mapping:
                    first = position(mapping.key_marks[key])
                    message = f"duplicate key {key!r} (first defined at line {first[0]})"
                    self.issues.append(_issue(key_event, "yaml.duplicate-key", message))
                    self.value(value_event)  # read for its own problems; the first value stays
                    continue
                mapping.key_marks[key] = key_event.start_mark
                mapping.value_marks[key] = value_event.start_mark
                pending = key
                mapping[key] = self.value(value_event)
                pending = None
        except yaml.YAMLError as error:
            raise Cut(error, mapping, mapping.mark) from None
        except Cut as cut:
            if pending is not None:
                mapping[pending] = cut.partial
            cut.partial = mapping
            cut.open.append(position(mapping.mark))
            raise

    def _key(self, event: Any, mapping: YMap) -> str | None:
        """The text of a mapping key; None (the entry dropped, the mapping unsure) for a refused one."""
        if type(event) is not events.ScalarEvent:
            self._stand_in(_issue(event, "yaml.key", "mapping keys must be plain strings"), mapping.mark)
            self.value(event)  # consumed: a key may be a whole mapping or sequence
            return None
        if event.tag is not None and event.tag != "!":
            message = f"YAML tags are not allowed (found {_tag_text(event.tag)})"
            self.issues.append(_issue(event, "yaml.tag", message))  # keys stay text either way
        if event.anchor is not None:
            self.issues.append(_issue(event, "yaml.anchor", _ANCHOR))
        # Keys stay text: `on:` or `200:` mean the strings, as in JSON.
        key: str = event.value
        if "\x00" in key:
            self._stand_in(_issue(event, "yaml.nul", _NUL), mapping.mark)
            return None
        if key == "<<" and event.implicit[0]:
            self._stand_in(
                _issue(event, "yaml.merge", "YAML merge keys (<<) are not supported"), mapping.mark
            )
            return None
        return key
