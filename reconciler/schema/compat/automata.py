"""String languages as finite automata: a `pattern` (searched, as JSON Schema prescribes) intersected with a
length window, and the one question the classifier asks of them: is there a string in this language that
none of those languages accept? The answer is a witness string or a proof that there is none.

greenery supplies the character-class algebra over all of Unicode (classes are partitioned into disjoint
blocks, so the automata stay small however wide the classes) and the DFA type. Determinisation and the
product search are done here under a state budget: greenery's own constructions are unbounded, and a
pattern such as `a[ab]{20}` has a DFA of a million states. Over budget the caller answers UNKNOWN.

Anchors are read as ECMA-262 does without the `m` flag: `^` holds only at the start of the input and `$`
only at its end (Python's `$` also matches before a final newline; ECMA's does not). Lengths count code
points, as JSON Schema's `minLength`/`maxLength` do and as the `u` flag reads patterns.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from greenery import Charclass, Fsm
from greenery.charclass import repartition
from greenery.fsm import unify_alphabets

from reconciler.schema.compat.ecma import ANY, Alt, Anchor, Cat, Chars, Ranges, Rx, Unsupported, parse

_DFA_BUDGET = 3000
_PRODUCT_BUDGET = 20000
# Witness characters are picked for legibility; a lone surrogate is the last resort because it is one code
# point and one code unit, so it means the same under both readings of a pattern.
_PREFERRED = "abcxyz0123456789ABCXYZ-_. @:/\t\n\x00~é\ud800"


class TooComplex(Unsupported):
    """The automata needed exceed the state budget."""


@dataclass(frozen=True, slots=True)
class Lang:
    """Strings matching every one of `patterns` whose length lies in [lo, hi] (hi None: unbounded)."""

    patterns: tuple[str, ...] = ()
    lo: int = 0
    hi: int | None = None

    @staticmethod
    def of(pattern: str | None, lo: int = 0, hi: int | None = None, also: tuple[str, ...] = ()) -> Lang:
        return Lang((*((pattern,) if pattern is not None else ()), *also), lo, hi)


def charclass(ranges: Ranges) -> Any:
    return Charclass(tuple((chr(a), chr(b)) for a, b in ranges))


class _Nfa:
    """Thompson construction; edges are epsilon, anchors (zero-width) or a code point class."""

    def __init__(self) -> None:
        self.eps: list[list[int]] = []
        self.anchors: list[list[tuple[bool, int]]] = []
        self.chars: list[list[tuple[Ranges, int]]] = []

    def new(self) -> int:
        self.eps.append([])
        self.anchors.append([])
        self.chars.append([])
        return len(self.eps) - 1

    def build(self, tree: Rx) -> tuple[int, int]:
        start = self.new()
        if isinstance(tree, Chars | Anchor):
            end = self.new()
            if isinstance(tree, Chars):
                self.chars[start].append((tree.ranges, end))
            else:
                self.anchors[start].append((tree.end, end))
            return start, end
        if isinstance(tree, Cat):
            cur = start
            for part in tree.parts:
                s, e = self.build(part)
                self.eps[cur].append(s)
                cur = e
            return start, cur
        if isinstance(tree, Alt):
            end = self.new()
            for option in tree.options:
                s, e = self.build(option)
                self.eps[start].append(s)
                self.eps[e].append(end)
            return start, end
        cur = start
        for _ in range(tree.lo):
            s, e = self.build(tree.body)
            self.eps[cur].append(s)
            cur = e
        end = self.new()
        if tree.hi is None:
            s, e = self.build(tree.body)
            self.eps[cur] += [s, end]
            self.eps[e] += [s, end]
            return start, end
        for _ in range(tree.hi - tree.lo):
            s, e = self.build(tree.body)
            self.eps[cur] += [s, end]
            cur = e
        self.eps[cur].append(end)
        return start, end

    def closure(self, states: Iterable[int], at_start: bool, at_end: bool) -> frozenset[int]:
        seen = set(states)
        stack = list(seen)
        while stack:
            s = stack.pop()
            nxt = list(self.eps[s])
            nxt += [t for end, t in self.anchors[s] if (at_end if end else at_start)]
            for t in nxt:
                if t not in seen:
                    seen.add(t)
                    stack.append(t)
        return frozenset(seen)


@lru_cache(maxsize=256)
def search_fsm(pattern: str) -> Any:
    """The DFA of every string in which `pattern` finds a match (raises Unsupported/TooComplex)."""
    nfa = _Nfa()
    pre = nfa.new()
    nfa.chars[pre].append((ANY, pre))
    start, end = nfa.build(parse(pattern))
    nfa.eps[pre].append(start)
    accept = nfa.new()
    nfa.eps[end].append(accept)
    nfa.chars[accept].append((ANY, accept))
    classes = {ranges for edges in nfa.chars for ranges, _ in edges}
    parts = repartition([charclass(r) for r in classes])
    blocks = sorted({b for pieces in parts.values() for b in pieces} | {_rest(parts)}, key=repr)
    within = {r: {b for b in parts[charclass(r)]} for r in classes}
    init = (nfa.closure([pre], at_start=True, at_end=False), True)
    index: dict[tuple[frozenset[int], bool], int] = {init: 0}
    order = [init]
    table: dict[int, dict[Any, int]] = {}
    finals: set[int] = set()
    for i, (states, at_start) in enumerate(order):
        if accept in nfa.closure(states, at_start=at_start, at_end=True):
            finals.add(i)
        table[i] = {}
        for block in blocks:
            moved = [t for s in states for r, t in nfa.chars[s] if block in within[r]]
            key = (nfa.closure(moved, at_start=False, at_end=False), False)
            if key not in index:
                if len(order) >= _DFA_BUDGET:
                    raise TooComplex("pattern automaton over budget")
                index[key] = len(order)
                order.append(key)
            table[i][block] = index[key]
    return Fsm(alphabet=blocks, states=range(len(order)), initial=0, finals=finals, map=table)


def _rest(parts: Any) -> Any:
    """The block of characters no class mentions (empty when the classes cover all of Unicode)."""
    covered = Charclass()
    for pieces in parts.values():
        for piece in pieces:
            covered = covered | piece
    return ~covered


_ANY_FSM_CACHE: list[Any] = []


def _any_fsm() -> Any:
    if not _ANY_FSM_CACHE:
        every = ~Charclass()
        _ANY_FSM_CACHE.append(Fsm(alphabet=[every], states=[0], initial=0, finals=[0], map={0: {every: 0}}))
    return _ANY_FSM_CACHE[0]


def gap(inside: Lang, outside: list[Lang]) -> str | None:
    """A string of `inside` that no language of `outside` accepts, or None when there is provably none."""
    langs = [inside, *outside]
    spans: list[tuple[int, int]] = []  # each language's automata, as a slice of the product's components
    machines: list[Any] = []
    for lang in langs:
        first = len(machines)
        machines += [search_fsm(p) for p in lang.patterns] or [_any_fsm()]
        spans.append((first, len(machines)))
    fsms = unify_alphabets(machines)
    alphabet = sorted(fsms[0].alphabet, key=repr)
    chars = {block: ch for block in alphabet if (ch := _pick(block)) is not None}
    live = [_live(f) for f in fsms[: spans[0][1]]]
    bounds = [b for x in langs for b in (x.lo, x.hi) if b is not None]
    cap = max(bounds, default=0) + 1  # lengths past every bound behave alike

    def accepted(i: int, states: tuple[int, ...], length: int) -> bool:
        lang, (first, last) = langs[i], spans[i]
        if length < lang.lo or (lang.hi is not None and length > lang.hi):
            return False
        return all(states[k] in fsms[k].finals for k in range(first, last))

    start = (tuple(f.initial for f in fsms), 0)
    parent: dict[tuple[tuple[int, ...], int], tuple[Any, str] | None] = {start: None}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        states, length = node
        if accepted(0, states, length) and not any(accepted(i, states, length) for i in range(1, len(langs))):
            return _spell(parent, node)
        if inside.hi is not None and length >= inside.hi:
            continue
        for block, ch in chars.items():
            nxt = (tuple(f.map[s][block] for f, s in zip(fsms, states, strict=True)), min(length + 1, cap))
            if nxt in parent or not all(nxt[0][k] in live[k] for k in range(len(live))):
                continue
            if len(parent) >= _PRODUCT_BUDGET:
                raise TooComplex("product automaton over budget")
            parent[nxt] = (node, ch)
            queue.append(nxt)
    return None


def _spell(parent: dict[Any, tuple[Any, str] | None], node: Any) -> str:
    out: list[str] = []
    step = parent[node]
    while step is not None:
        node, ch = step
        out.append(ch)
        step = parent[node]
    return "".join(reversed(out))


def _live(fsm: Any) -> set[int]:
    back: dict[int, set[int]] = {}
    for s, row in fsm.map.items():
        for t in row.values():
            back.setdefault(t, set()).add(s)
    live = set(fsm.finals)
    stack = list(live)
    while stack:
        for s in back.get(stack.pop(), ()):
            if s not in live:
                live.add(s)
                stack.append(s)
    return live


def _pick(block: Any) -> str | None:
    for ch in _PREFERRED:
        if block.accepts(ch):
            return ch
    if block.negated:
        nxt = 0
        for lo, hi in block.ord_ranges:
            if lo > nxt:
                return chr(nxt)
            nxt = hi + 1
        return chr(nxt) if nxt <= 0x10FFFF else None
    return chr(block.ord_ranges[0][0]) if block.ord_ranges else None


def matches(pattern: str, text: str) -> bool:
    """Does `pattern` find a match in `text` (ECMA-262 semantics as above)?"""
    fsm = search_fsm(pattern)
    state = fsm.initial
    for ch in text:
        state = next(t for block, t in fsm.map[state].items() if block.accepts(ch))
    return state in fsm.finals
