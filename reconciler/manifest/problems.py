"""Collects problems with their locations, so validation can report every one of them in one run."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from reconciler.errors import Location, Problem, Severity
from reconciler.manifest.yaml_loader import Pos, dotted, walk

_TYPE_CODES = ("_type", "literal_error", "union_tag_invalid", "enum")


@dataclass
class Collector:
    """Problems in the order found; `file` names are relative to the project root."""

    problems: list[Problem] = field(default_factory=list)

    def add(
        self, file: str, pos: Pos | None, code: str, message: str, severity: Severity = Severity.ERROR
    ) -> None:
        line, column = pos if pos is not None else (0, 0)
        self.problems.append(Problem(Location(file, line, column), code, message, severity))

    def at(
        self,
        file: str,
        root: Any,
        path: Sequence[str | int],
        code: str,
        message: str,
        *,
        key: bool = False,
        severity: Severity = Severity.ERROR,
    ) -> None:
        """A problem at the node `path` below `root` (at its key when `key`)."""
        _, pos = walk(root, path, key=key)
        self.add(file, pos, code, message, severity)

    def pydantic(self, file: str, root: Any, prefix: Sequence[str | int], error: ValidationError) -> None:
        """One problem per failing place. Union branches failing at the same place become one line."""
        grouped: dict[tuple[str | int, ...], list[dict[str, Any]]] = {}
        for item in error.errors(include_url=False):
            real, _ = walk(root, [*prefix, *item["loc"]])
            grouped.setdefault(tuple(real), []).append(dict(item))
        for place, items in grouped.items():
            real = list(place)
            first = items[0]
            kind = str(first["type"])
            if kind == "extra_forbidden":
                self.at(file, root, real, "field.unknown", f"{dotted(real)}: unknown field", key=True)
                continue
            if kind == "missing":
                name = str(first["loc"][-1])
                path = dotted([*real, name])
                self.at(file, root, real, "field.required", f"{path}: required field is missing")
                continue
            code = "field.type" if any(t in kind for t in _TYPE_CODES) else "field.invalid"
            self.at(file, root, real, code, f"{dotted(real)}: {_message(items)}")

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity is Severity.ERROR]


def _message(items: list[dict[str, Any]]) -> str:
    prefix = "Input should be a valid "
    messages = [str(i["msg"]).removeprefix("Value error, ") for i in items]
    if len(messages) > 1 and all(m.startswith(prefix) for m in messages):
        return prefix + " or ".join(m[len(prefix) :] for m in messages)
    return "; ".join(dict.fromkeys(messages))
