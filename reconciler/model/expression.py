"""The analysis condition language: `result.canary <= result.stable * 1.5`, parsed without `eval`.

A small, total language over one name, `result` (a number, or a mapping of numbers such as the builtin
provider's `{canary, stable, canary_samples, stable_samples}`):

* numbers (`1`, `0.05`, `1e-3`), `true`, `false`, parentheses;
* `result` and its fields (`result.canary`);
* `+ - * /` and unary `-`; comparisons `< <= > >= == !=` (chained: `0 < result < 1`);
* `and` / `&&`, `or` / `||`, `not` / `!`; calls `abs(x)`, `min(x, y, ...)`, `max(x, y, ...)`.

Nothing else parses: no other names, attribute calls, strings or subscripts, so a manifest cannot run
code through a condition. Parse errors carry the 1-based column; evaluation errors (a missing field,
division by zero, a number where a truth value belongs) are `ExpressionError`s too.
"""

from __future__ import annotations

import math
import operator
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

__all__ = ["Expression", "ExpressionError", "Value", "parse"]

Value = float | bool
Result = float | Mapping[str, float | None] | None

_TOKEN = re.compile(
    r"\s*(?:(?P<number>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)|(?P<name>[A-Za-z_][A-Za-z0-9_]*)"
    r"|(?P<op><=|>=|==|!=|&&|\|\||[-+*/<>!().,]))"
)
_COMPARE: dict[str, Callable[[float, float], bool]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
    "==": operator.eq,
    "!=": operator.ne,
}
_ARITH: dict[str, Callable[[float, float], float]] = {
    "+": operator.add,
    "-": operator.sub,
    "*": operator.mul,
    "/": operator.truediv,
}
_FUNCTIONS: dict[str, Callable[..., float]] = {"abs": abs, "min": min, "max": max}
_WORDS = {"and": "&&", "or": "||", "not": "!"}


class ExpressionError(ValueError):
    """A condition that does not parse (`column` is 1-based) or cannot be evaluated (`column` 0)."""

    def __init__(self, message: str, column: int = 0) -> None:
        super().__init__(message)
        self.column = column


@dataclass(frozen=True)
class _Token:
    kind: str  # number | name | op | end
    text: str
    column: int


# An evaluated node: a closure over `result`. Trees of closures keep evaluation a plain call chain.
_Node = Callable[[Result], Value]


@dataclass(frozen=True)
class Expression:
    """A parsed condition. `fields` are the fields of `result` it reads (to check against a provider)."""

    text: str
    fields: frozenset[str]
    _root: _Node

    def evaluate(self, result: Result) -> Value:
        return self._root(result)

    def holds(self, result: Result) -> bool:
        """The condition's truth for `result`; an expression that is a number, not a truth, is an error."""
        value = self._root(result)
        if not isinstance(value, bool):
            raise ExpressionError(f"{self.text!r} is a number ({_show(value)}), not a condition")
        return value


def parse(text: str) -> Expression:
    parser = _Parser(text, _tokens(text))
    root = parser.disjunction()
    parser.expect_end()
    return Expression(text, frozenset(parser.fields), root)


def _tokens(text: str) -> list[_Token]:
    found: list[_Token] = []
    at = 0
    while at < len(text):
        match = _TOKEN.match(text, at)
        if match is None or match.end() == at:
            if text[at:].strip() == "":
                break
            column = at + len(text[at:]) - len(text[at:].lstrip()) + 1
            raise ExpressionError(f"unexpected {text[column - 1]!r}", column)
        kind = match.lastgroup or "op"
        word = match.group(kind)
        column = match.start(kind) + 1
        if kind == "name" and word in _WORDS:
            kind, word = "op", _WORDS[word]
        found.append(_Token(kind, word, column))
        at = match.end()
    found.append(_Token("end", "", len(text) + 1))
    return found


class _Parser:
    def __init__(self, text: str, tokens: Sequence[_Token]) -> None:
        self.text = text
        self.tokens = tokens
        self.at = 0
        self.fields: set[str] = set()

    def peek(self) -> _Token:
        return self.tokens[self.at]

    def take(self) -> _Token:
        token = self.tokens[self.at]
        self.at += 1
        return token

    def accept(self, op: str) -> bool:
        token = self.peek()
        if token.kind == "op" and token.text == op:
            self.at += 1
            return True
        return False

    def expect(self, op: str) -> None:
        if not self.accept(op):
            token = self.peek()
            seen = repr(token.text) if token.kind != "end" else "the end"
            raise ExpressionError(f"expected {op!r}, found {seen}", token.column)

    def expect_end(self) -> None:
        token = self.peek()
        if token.kind != "end":
            raise ExpressionError(f"unexpected {token.text!r}", token.column)

    def disjunction(self) -> _Node:
        left = self.conjunction()
        while self.accept("||"):
            right = self.conjunction()
            left = _either(left, right)
        return left

    def conjunction(self) -> _Node:
        left = self.negation()
        while self.accept("&&"):
            right = self.negation()
            left = _both(left, right)
        return left

    def negation(self) -> _Node:
        if self.accept("!"):
            inner = self.negation()
            return lambda r: not _truth(inner(r))
        return self.comparison()

    def comparison(self) -> _Node:
        first = self.sum()
        links: list[tuple[Callable[[float, float], bool], _Node]] = []
        while self.peek().kind == "op" and self.peek().text in _COMPARE:
            links.append((_COMPARE[self.take().text], self.sum()))
        if not links:
            return first
        return _chain(first, tuple(links))

    def sum(self) -> _Node:
        left = self.term()
        while self.peek().kind == "op" and self.peek().text in "+-":
            left = _arith(_ARITH[self.take().text], left, self.term())
        return left

    def term(self) -> _Node:
        left = self.unary()
        while self.peek().kind == "op" and self.peek().text in "*/":
            left = _arith(_ARITH[self.take().text], left, self.unary())
        return left

    def unary(self) -> _Node:
        if self.accept("-"):
            inner = self.unary()
            return lambda r: -_number(inner(r))
        return self.postfix()

    def postfix(self) -> _Node:
        token = self.peek()
        node = self.primary()
        if not self.accept("."):
            return node
        name = self.take()
        if name.kind != "name":
            raise ExpressionError("expected a field name after '.'", name.column)
        if token.text != "result" or token.kind != "name":
            raise ExpressionError("only `result` has fields", name.column)
        if self.peek().kind == "op" and self.peek().text == ".":
            raise ExpressionError("a field of `result` is a number: it has no fields", self.peek().column)
        self.fields.add(name.text)
        return _field(name.text)

    def primary(self) -> _Node:
        token = self.take()
        if token.kind == "number":
            value = float(token.text)
            return lambda _r: value
        if token.kind == "name":
            if token.text in ("true", "false"):
                truth = token.text == "true"
                return lambda _r: truth
            if token.text == "result":
                return _result
            if token.text in _FUNCTIONS and self.accept("("):
                return self.call(token)
            known = "`result`, `true`, `false`, abs(), min(), max()"
            raise ExpressionError(f"unknown name {token.text!r} (known: {known})", token.column)
        if token.kind == "op" and token.text == "(":
            inner = self.disjunction()
            self.expect(")")
            return inner
        seen = repr(token.text) if token.kind != "end" else "the end"
        raise ExpressionError(f"expected a value, found {seen}", token.column)

    def call(self, name: _Token) -> _Node:
        arguments = [self.disjunction()]
        while self.accept(","):
            arguments.append(self.disjunction())
        self.expect(")")
        function = _FUNCTIONS[name.text]
        if name.text == "abs" and len(arguments) != 1:
            raise ExpressionError("abs() takes one value", name.column)
        nodes = tuple(arguments)
        return lambda r: float(function(*(_number(n(r)) for n in nodes)))


def _result(result: Result) -> Value:
    if result is None:
        raise ExpressionError("the measurement has no value")
    if isinstance(result, Mapping):
        raise ExpressionError(f"`result` has fields ({', '.join(sorted(result))}): name one")
    return float(result)


def _field(name: str) -> _Node:
    def read(result: Result) -> Value:
        if not isinstance(result, Mapping):
            raise ExpressionError(f"`result` is a number, it has no field {name!r}")
        if name not in result:
            raise ExpressionError(f"`result` has no field {name!r} (fields: {', '.join(sorted(result))})")
        value = result[name]
        if value is None:
            raise ExpressionError(f"`result.{name}` has no value (no samples)")
        return float(value)

    return read


def _number(value: Value) -> float:
    if isinstance(value, bool):
        raise ExpressionError("a truth value where a number belongs")
    if math.isnan(value):
        raise ExpressionError("not a number")
    return value


def _truth(value: Value) -> bool:
    if not isinstance(value, bool):
        raise ExpressionError(f"a number ({_show(value)}) where a truth value belongs")
    return value


def _arith(op: Callable[[float, float], float], left: _Node, right: _Node) -> _Node:
    def apply(result: Result) -> Value:
        a, b = _number(left(result)), _number(right(result))
        try:
            return op(a, b)
        except ZeroDivisionError:
            raise ExpressionError("division by zero") from None

    return apply


def _chain(first: _Node, links: tuple[tuple[Callable[[float, float], bool], _Node], ...]) -> _Node:
    def compare(result: Result) -> Value:
        left = _number(first(result))
        for op, node in links:
            right = _number(node(result))
            if not op(left, right):
                return False
            left = right
        return True

    return compare


def _either(left: _Node, right: _Node) -> _Node:
    return lambda r: _truth(left(r)) or _truth(right(r))


def _both(left: _Node, right: _Node) -> _Node:
    return lambda r: _truth(left(r)) and _truth(right(r))


def _show(value: float) -> str:
    return f"{value:g}"
