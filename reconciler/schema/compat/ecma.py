"""Parse a JSON-Schema `pattern` (an ECMA-262 regular expression) into a small regular syntax tree.

Only the regular part of the dialect is accepted, and only spellings that mean the same with and without the
`u` flag (JSON Schema 2020-12 §6.4 asks for the flag; some validators omit it): literals, `.`, classes,
`\\d \\w \\s` and their negations (ASCII digits and word characters, ECMA's own white space set), the control,
hex and `\\u` escapes, groups, alternation, the quantifiers and the anchors `^ $`. Everything else raises
`Unsupported` so that the caller answers UNKNOWN: backreferences and lookarounds (not regular, or not
modelled), `\\b`, `\\p{..}`, `\\u{..}`, Annex B leniencies (`\\a`, `a{`, `]`) and any class that splits the
surrogates from the supplementary planes, the one place where the two readings of a class differ.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

Ranges = tuple[tuple[int, int], ...]  # sorted, disjoint, non-adjacent closed code point ranges

MAX_CODE = 0x10FFFF
_SURROGATES = (0xD800, 0xDFFF)
_ASTRAL = (0x10000, MAX_CODE)
_SIZE_LIMIT = 2000  # positions after expanding counted repetition; larger patterns are not decided
_SYNTAX = frozenset("^$\\.*+?()[]{}|/")
_DIGIT: Ranges = ((0x30, 0x39),)
_WORD: Ranges = ((0x30, 0x39), (0x41, 0x5A), (0x5F, 0x5F), (0x61, 0x7A))
# ECMA-262 WhiteSpace (with Unicode's Zs) and LineTerminator: not Python's idea of \s.
_SPACE: Ranges = (
    (0x09, 0x0D), (0x20, 0x20), (0xA0, 0xA0), (0x1680, 0x1680), (0x2000, 0x200A), (0x2028, 0x2029),
    (0x202F, 0x202F), (0x205F, 0x205F), (0x3000, 0x3000), (0xFEFF, 0xFEFF),
)  # fmt: skip
_LINE_TERMINATORS: Ranges = ((0x0A, 0x0A), (0x0D, 0x0D), (0x2028, 0x2029))
_CONTROL = {"t": 0x09, "n": 0x0A, "v": 0x0B, "f": 0x0C, "r": 0x0D}


class Unsupported(ValueError):
    """The pattern is outside the regular subset read identically by every ECMA-262 reading."""


@dataclass(frozen=True, slots=True)
class Chars:
    ranges: Ranges


@dataclass(frozen=True, slots=True)
class Cat:
    parts: tuple[Rx, ...]


@dataclass(frozen=True, slots=True)
class Alt:
    options: tuple[Rx, ...]


@dataclass(frozen=True, slots=True)
class Rep:
    body: Rx
    lo: int
    hi: int | None


@dataclass(frozen=True, slots=True)
class Anchor:
    end: bool  # False: `^` (start of input), True: `$` (end of input); no `m` flag in JSON Schema


Rx = Chars | Cat | Alt | Rep | Anchor


def normalise(ranges: list[tuple[int, int]]) -> Ranges:
    out: list[tuple[int, int]] = []
    for lo, hi in sorted(ranges):
        if out and lo <= out[-1][1] + 1:
            out[-1] = (out[-1][0], max(out[-1][1], hi))
        else:
            out.append((lo, hi))
    return tuple(out)


def complement(ranges: Ranges) -> Ranges:
    out: list[tuple[int, int]] = []
    nxt = 0
    for lo, hi in ranges:
        if lo > nxt:
            out.append((nxt, lo - 1))
        nxt = hi + 1
    if nxt <= MAX_CODE:
        out.append((nxt, MAX_CODE))
    return tuple(out)


def _covers(ranges: Ranges, span: tuple[int, int]) -> tuple[bool, bool]:
    """(touches span, contains all of span)."""
    lo, hi = span
    touched = [(max(a, lo), min(b, hi)) for a, b in ranges if a <= hi and b >= lo]
    return bool(touched), sum(b - a + 1 for a, b in touched) == hi - lo + 1


def _uniform(ranges: Ranges) -> Ranges:
    """Without the `u` flag a supplementary character is two surrogate code units: a class means the same
    under both readings only if it takes all surrogates and all supplementary planes, or neither."""
    s_touch, s_all = _covers(ranges, _SURROGATES)
    a_touch, a_all = _covers(ranges, _ASTRAL)
    if (s_all and a_all) or not (s_touch or a_touch):
        return ranges
    raise Unsupported("a class that splits surrogates from supplementary characters")


DOT: Ranges = complement(_LINE_TERMINATORS)
ANY: Ranges = ((0, MAX_CODE),)


@lru_cache(maxsize=256)
def parse(pattern: str) -> Rx:
    parser = _Parser(pattern)
    tree = parser.disjunction()
    if parser.pos != len(pattern):
        raise Unsupported(f"unexpected {pattern[parser.pos]!r} at {parser.pos}")
    if size(tree) > _SIZE_LIMIT:
        raise Unsupported("pattern too large to decide")
    return tree


def size(tree: Rx) -> int:
    if isinstance(tree, Chars):
        return 1
    if isinstance(tree, Anchor):
        return 0
    if isinstance(tree, Cat):
        return sum(size(p) for p in tree.parts)
    if isinstance(tree, Alt):
        return sum(size(o) for o in tree.options)
    return size(tree.body) * max(tree.lo, (tree.hi if tree.hi is not None else tree.lo + 1), 1)


class _Parser:
    def __init__(self, text: str) -> None:
        self.text, self.pos = text, 0

    def peek(self, ahead: int = 0) -> str:
        i = self.pos + ahead
        return self.text[i] if i < len(self.text) else ""

    def take(self) -> str:
        ch = self.peek()
        if not ch:
            raise Unsupported("unexpected end of pattern")
        self.pos += 1
        return ch

    def disjunction(self) -> Rx:
        options = [self.alternative()]
        while self.peek() == "|":
            self.pos += 1
            options.append(self.alternative())
        return options[0] if len(options) == 1 else Alt(tuple(options))

    def alternative(self) -> Rx:
        parts: list[Rx] = []
        while self.peek() and self.peek() not in "|)":
            parts.append(self.term())
        return parts[0] if len(parts) == 1 else Cat(tuple(parts))

    def term(self) -> Rx:
        ch = self.peek()
        if ch in "^$":
            self.pos += 1
            if self.peek() in ("*", "+", "?", "{"):
                raise Unsupported("quantified assertion")
            return Anchor(end=ch == "$")
        atom = self.atom()
        return self.quantified(atom)

    def quantified(self, atom: Rx) -> Rx:
        ch = self.peek()
        if ch == "*":
            lo, hi = 0, None
        elif ch == "+":
            lo, hi = 1, None
        elif ch == "?":
            lo, hi = 0, 1
        elif ch == "{":
            bounds = self.braces()
            if bounds is None:
                raise Unsupported("a literal `{` (an Annex B leniency)")
            lo, hi = bounds
        else:
            return atom
        if ch != "{":
            self.pos += 1  # braces() has consumed its own text
        if self.peek() == "?":
            self.pos += 1  # lazy: the same set of matched inputs
        if self.peek() in ("*", "+", "?", "{"):
            raise Unsupported("nothing to repeat")
        return Rep(atom, lo, hi)

    def braces(self) -> tuple[int, int | None] | None:
        """`{n}`, `{n,}`, `{n,m}`; None when the brace does not start a quantifier."""
        end = self.text.find("}", self.pos)
        if end < 0:
            return None
        body = self.text[self.pos + 1 : end]
        lo_text, comma, hi_text = body.partition(",")
        if not lo_text.isascii() or not lo_text.isdigit() or (hi_text and not hi_text.isdigit()):
            return None
        lo = int(lo_text)
        hi = (int(hi_text) if hi_text else None) if comma else lo
        if hi is not None and hi < lo:
            raise Unsupported("quantifier range out of order")
        if lo > 1000 or (hi is not None and hi > 1000):
            raise Unsupported("repetition too large to decide")
        self.pos = end + 1
        return lo, hi

    def atom(self) -> Rx:
        ch = self.take()
        if ch == ".":
            return Chars(DOT)
        if ch == "(":
            return self.group()
        if ch == "[":
            return Chars(_uniform(self.char_class()))
        if ch == "\\":
            return Chars(_uniform(self.escape(in_class=False)))
        if ch in "*+?{}]|)":
            raise Unsupported(f"unexpected {ch!r}")
        return Chars(_uniform(((ord(ch), ord(ch)),)))

    def group(self) -> Rx:
        if self.peek() == "?":
            head = self.text[self.pos : self.pos + 3]
            if head.startswith("?:"):
                self.pos += 2
            elif head.startswith("?<") and head not in ("?<=", "?<!"):
                end = self.text.find(">", self.pos)
                name = self.text[self.pos + 2 : end] if end > 0 else ""
                if not name or not all(c.isalnum() or c in "_$" for c in name) or name[0].isdigit():
                    raise Unsupported("malformed group name")
                self.pos = end + 1
            else:
                raise Unsupported("lookaround assertions are not decided")
        inner = self.disjunction()
        if self.take() != ")":
            raise Unsupported("unbalanced parenthesis")
        return inner

    def char_class(self) -> Ranges:
        negated = self.peek() == "^"
        if negated:
            self.pos += 1
        ranges: list[tuple[int, int]] = []
        while True:
            ch = self.peek()
            if not ch:
                raise Unsupported("unterminated class")
            if ch == "]":
                self.pos += 1
                break
            first = self.class_atom()
            if self.peek() == "-" and self.peek(1) not in ("]", ""):
                self.pos += 1
                last = self.class_atom()
                if not _is_char(first) or not _is_char(last):
                    raise Unsupported("a range with a class escape at one end (an Annex B leniency)")
                if first[0][0] > last[0][0]:
                    raise Unsupported("class range out of order")
                ranges.append((first[0][0], last[0][0]))
            else:
                ranges.extend(first)
        out = normalise(ranges)
        return complement(out) if negated else out

    def class_atom(self) -> Ranges:
        ch = self.take()
        if ch != "\\":
            return ((ord(ch), ord(ch)),)
        if self.peek() == "b":
            self.pos += 1
            return ((0x08, 0x08),)
        if self.peek() == "-":
            self.pos += 1
            return ((0x2D, 0x2D),)
        return self.escape(in_class=True)

    def escape(self, in_class: bool) -> Ranges:
        ch = self.take()
        classes = {"d": _DIGIT, "w": _WORD, "s": _SPACE}
        if ch.lower() in classes:
            ranges = classes[ch.lower()]
            return complement(ranges) if ch.isupper() else ranges
        if ch in _CONTROL:
            return _single(_CONTROL[ch])
        if ch == "0" and not self.peek().isdigit():
            return _single(0)
        if ch == "c" and self.peek().isascii() and self.peek().isalpha():
            return _single(ord(self.take()) % 32)
        if ch in "xu":
            width = 2 if ch == "x" else 4
            digits = self.text[self.pos : self.pos + width]
            if len(digits) != width or not all(c in "0123456789abcdefABCDEF" for c in digits):
                raise Unsupported(f"malformed \\{ch} escape")
            self.pos += width
            code = int(digits, 16)
            if 0xD800 <= code <= 0xDFFF:
                raise Unsupported("a surrogate escape (read differently with the u flag)")
            return _single(code)
        if ch in _SYNTAX:
            return _single(ord(ch))
        if ch.isdigit() or ch == "k":
            raise Unsupported("backreferences are not regular")
        if ch in "bB":
            raise Unsupported("word boundaries are not decided")
        raise Unsupported(f"escape \\{ch} is not read alike by every ECMA-262 reading")


def _is_char(ranges: Ranges) -> bool:
    return len(ranges) == 1 and ranges[0][0] == ranges[0][1]


def _single(code: int) -> Ranges:
    return ((code, code),)
