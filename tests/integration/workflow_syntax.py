"""The workflow language for workflow_runner.py: reading a workflow file (`on:` triggers and their branch and
path filters, jobs in `needs:` order, the permissions a called job may ask for, GITHUB_OUTPUT's format) and
its expressions: literals, dotted context paths, `== != < <= > >= && || !`, parentheses and `success()
failure() always() cancelled() contains() startsWith() endsWith()`, with GitHub's coercions (strings
compared case-insensitively, mixed types as numbers, `||`/`&&` giving an operand). `render` evaluates a
YAML value's `${{ }}`, `condition` an `if:`."""

from __future__ import annotations

import fnmatch
import json
import math
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

_TEMPLATE = re.compile(r"\$\{\{\s*(.*?)\s*\}\}", re.DOTALL)
_STATUS = re.compile(r"\b(success|failure|always|cancelled)\s*\(")

_TOKEN = re.compile(
    r"\s*(?:(?P<num>-?\d+(?:\.\d+)?)|(?P<str>'(?:[^']|'')*')|(?P<op>==|!=|&&|\|\||<=|>=|[!()<>,])"
    r"|(?P<name>[A-Za-z_][A-Za-z0-9_-]*(?:\.[A-Za-z_*][A-Za-z0-9_-]*)*))"
)


class _Parser:
    def __init__(self, text: str, context: Mapping[str, Any], status: Mapping[str, bool]) -> None:
        self.tokens: list[tuple[str, str]] = []
        position = 0
        while position < len(text.rstrip()):
            match = _TOKEN.match(text, position)
            if match is None or match.end() == position:
                raise ValueError(f"cannot read expression {text!r} at {position}")
            kind = match.lastgroup
            assert kind is not None
            self.tokens.append((kind, match.group(kind)))
            position = match.end()
        self.at = 0
        self.context = context
        self.status = status

    def parse(self) -> Any:
        value = self._or()
        if self.at != len(self.tokens):
            raise ValueError(f"unexpected {self.tokens[self.at][1]!r}")
        return value

    def _peek(self) -> str | None:
        return self.tokens[self.at][1] if self.at < len(self.tokens) else None

    def _take(self, expected: str | None = None) -> tuple[str, str]:
        token = self.tokens[self.at]
        if expected is not None and token[1] != expected:
            raise ValueError(f"expected {expected!r}, got {token[1]!r}")
        self.at += 1
        return token

    def _or(self) -> Any:
        value = self._and()
        while self._peek() == "||":
            self._take()
            right = self._and()
            value = value if truthy(value) else right
        return value

    def _and(self) -> Any:
        value = self._compare()
        while self._peek() == "&&":
            self._take()
            right = self._compare()
            value = right if truthy(value) else value
        return value

    def _compare(self) -> Any:
        value = self._unary()
        while self._peek() in ("==", "!=", "<", "<=", ">", ">="):
            op = self._take()[1]
            right = self._unary()
            value = _compare(op, value, right)
        return value

    def _unary(self) -> Any:
        if self._peek() == "!":
            self._take()
            return not truthy(self._unary())
        return self._primary()

    def _primary(self) -> Any:
        kind, text = self._take()
        if text == "(" and kind == "op":
            inside = self._or()
            self._take(")")
            return inside
        if kind == "num":
            return float(text) if "." in text else int(text)
        if kind == "str":
            return text[1:-1].replace("''", "'")
        if kind != "name":
            raise ValueError(f"unexpected {text!r}")
        if text in ("true", "false"):
            return text == "true"
        if text == "null":
            return None
        if self._peek() == "(":
            self._take()
            args = []
            while self._peek() != ")":
                args.append(self._or())
                if self._peek() == ",":
                    self._take()
            self._take(")")
            return self._call(text, args)
        value: Any = self.context
        for part in text.split("."):
            value = value.get(part) if isinstance(value, Mapping) else None
        return value

    def _call(self, name: str, args: list[Any]) -> Any:
        if name in self.status:
            return self.status[name]
        lowered = [str(a).lower() if a is not None else "" for a in args]
        if name == "contains":
            if isinstance(args[0], list):
                return any(_compare("==", item, args[1]) for item in args[0])
            return lowered[1] in lowered[0]
        if name == "startsWith":
            return lowered[0].startswith(lowered[1])
        if name == "endsWith":
            return lowered[0].endswith(lowered[1])
        raise ValueError(f"function {name}() is not supported by this runner")


def truthy(value: Any) -> bool:
    if isinstance(value, float) and math.isnan(value):
        return False
    return value not in (None, False, 0, "") and not (isinstance(value, float) and value == 0.0)


def _number(value: Any) -> float:
    if value is None:
        return 0.0
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value.strip()) if value.strip() else 0.0
        except ValueError:
            return math.nan
    return math.nan


def _compare(op: str, left: Any, right: Any) -> bool:
    if isinstance(left, str) and isinstance(right, str):
        a: Any = left.lower()
        b: Any = right.lower()
    elif type(left) is type(right) and not isinstance(left, dict | list):
        a, b = left, right
    else:
        a, b = _number(left), _number(right)
    if op == "==":
        return bool(a == b)
    if op == "!=":
        return bool(a != b)
    if any(isinstance(x, float) and math.isnan(x) for x in (a, b)):
        return False
    return bool({"<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}[op])


def evaluate(expression: str, context: Mapping[str, Any], status: Mapping[str, bool] | None = None) -> Any:
    """The value of one expression (without `${{ }}`)."""
    default = {"success": True, "failure": False, "always": True, "cancelled": False}
    return _Parser(expression, context, status or default).parse()


def render(value: Any, context: Mapping[str, Any]) -> Any:
    """A YAML value with its `${{ }}` evaluated: typed when the value is one expression, else a string."""
    if not isinstance(value, str):
        return value
    whole = _TEMPLATE.fullmatch(value.strip())
    if whole is not None and len(_TEMPLATE.findall(value)) == 1:
        return evaluate(whole.group(1), context)
    return _TEMPLATE.sub(lambda m: as_text(evaluate(m.group(1), context)), value)


def as_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dict | list):
        return json.dumps(value)
    return str(value)


def condition(raw: Any, context: Mapping[str, Any], status: Mapping[str, bool]) -> bool:
    """An `if:` (with or without `${{ }}`): `success()` is implied unless a status function is named."""
    if raw is None:
        return status["success"]
    text = str(raw).strip()
    whole = _TEMPLATE.fullmatch(text)
    text = whole.group(1) if whole is not None else text
    if not _STATUS.search(text):
        text = f"success() && ({text})"
    return truthy(evaluate(text, context, status))


# --- workflow files ---

_LEVEL = {"none": 0, "read": 1, "write": 2}


def load(path: Path) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict), f"{path} is not a mapping"
    if True in data:  # YAML 1.1 reads the key `on` as True
        data["on"] = data.pop(True)
    return data


def triggers(workflow: dict[str, Any]) -> dict[str, Any]:
    on = workflow.get("on")
    if isinstance(on, str):
        return {on: None}
    if isinstance(on, list):
        return dict.fromkeys(on)
    return dict(on or {})


def _glob(pattern: str) -> re.Pattern[str]:
    out = ""
    i = 0
    while i < len(pattern):
        if pattern.startswith("**", i):
            out += ".*"
            i += 2
        else:
            out += "[^/]*" if pattern[i] == "*" else re.escape(pattern[i])
            i += 1
    return re.compile(out)


def filters_pass(spec: Any, ref: str, changed: list[str] | None) -> bool:
    if not isinstance(spec, dict):
        return True
    branches = spec.get("branches")
    if branches is not None and ref.startswith("refs/heads/"):
        branch = ref.removeprefix("refs/heads/")
        if not any(fnmatch.fnmatchcase(branch, b) for b in branches):
            return False
    paths = spec.get("paths")
    if paths is not None and changed is not None:
        return any(_glob(p).fullmatch(f) for p in paths for f in changed)
    return True


def ordered(jobs: dict[str, Any]) -> list[str]:
    done: list[str] = []
    while len(done) < len(jobs):
        ready = [
            j
            for j, spec in jobs.items()
            if j not in done
            and all(
                n in done
                for n in ([spec["needs"]] if isinstance(spec.get("needs"), str) else spec.get("needs") or [])
            )
        ]
        assert ready, f"a cycle in needs: {sorted(set(jobs) - set(done))}"
        done += ready
    return done


def job_status(needed: list[str]) -> dict[str, bool]:
    return {
        "success": all(c == "success" for c in needed),
        "failure": any(c == "failure" for c in needed),
        "always": True,
        "cancelled": False,
    }


def check_permissions(job_id: str, granted: Any, wanted: Any, called: str) -> None:
    """The called job may not ask for more than the caller grants (when the caller says what it grants)."""
    if granted is None or not isinstance(wanted, dict):
        return
    have = {k: str(v) for k, v in granted.items()} if isinstance(granted, dict) else {}
    if granted == "write-all":
        return
    short = [
        f"{scope}: {level}"
        for scope, level in wanted.items()
        if _LEVEL[str(level)] > _LEVEL.get(have.get(scope, "none"), 0)
    ]
    assert not short, f"job {job_id}: {called} needs {', '.join(short)}, which the caller does not grant"


def parse_outputs(text: str) -> dict[str, str]:
    out: dict[str, str] = {}
    lines = iter(text.splitlines())
    for line in lines:
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            name, _, end = line.partition("<<")
            body: list[str] = []
            for item in lines:
                if item == end:
                    break
                body.append(item)
            out[name] = "\n".join(body)
        elif "=" in line:
            name, _, value = line.partition("=")
            out[name] = value
    return out
