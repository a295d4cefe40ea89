"""Collects problems with their locations, so validation can report every one of them in one run.

pydantic's findings are retold in the manifest author's terms: JSON's words for values, and for an
unknown field the nearest allowed one ("did you mean 'temperature'?"), looked up in the spec model.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, get_args

from pydantic import BaseModel, ValidationError

from reconciler import words
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

    def pydantic(
        self,
        file: str,
        root: Any,
        prefix: Sequence[str | int],
        error: ValidationError,
        model: type[BaseModel] | None = None,
    ) -> None:
        """One problem per failing place. Union branches failing at the same place become one line.
        `model`, the model validated, names the fields an unknown one may be a misspelling of."""
        grouped: dict[tuple[str | int, ...], list[dict[str, Any]]] = {}
        for item in error.errors(include_url=False):
            real, _ = walk(root, [*prefix, *item["loc"]])
            grouped.setdefault(tuple(real), []).append(dict(item))
        for place, items in grouped.items():
            real = list(place)
            first = items[0]
            kind = str(first["type"])
            if kind == "extra_forbidden":
                loc = first["loc"]
                hint = words.did_you_mean(str(loc[-1]), allowed_fields(model, loc)) if model else ""
                message = f"{dotted(real)}: unknown field{hint}"
                self.at(file, root, real, "field.unknown", message, key=True)
                continue
            if kind == "missing":
                name = str(first["loc"][-1])
                path = dotted([*real, name])
                self.at(file, root, real, "field.required", f"{path}: required field is missing")
                continue
            code = "field.type" if any(t in kind for t in _TYPE_CODES) else "field.invalid"
            got = f", got {_shown(first.get('input'))}" if code == "field.type" else ""
            self.at(file, root, real, code, f"{dotted(real)}: {_message(items)}{got}")

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity is Severity.ERROR]


# pydantic speaks Python; a manifest author reads YAML and JSON.
_PYTHON_WORDS = (
    (re.compile(r"a valid dictionary or instance of \w+"), "a mapping"),
    (re.compile(r"a valid dictionary"), "a mapping"),
)


def _shown(value: Any) -> str:
    """The value a type error found: a scalar as written (in JSON terms), a list or mapping by its kind."""
    return words.kind_of(value) if isinstance(value, dict | list) else words.value(value)


def _plain(message: str) -> str:
    for pattern, words_ in _PYTHON_WORDS:
        message = pattern.sub(words_, message)
    return message


def _message(items: list[dict[str, Any]]) -> str:
    prefix = "Input should be a valid "
    messages = [_plain(str(i["msg"]).removeprefix("Value error, ")) for i in items]
    if len(messages) > 1 and all(m.startswith(prefix) for m in messages):
        return prefix + " or ".join(m[len(prefix) :] for m in messages)
    return "; ".join(dict.fromkeys(messages))


def allowed_fields(model: type[BaseModel], loc: Sequence[str | int]) -> set[str]:
    """The fields (as YAML spells them) allowed where pydantic's error location `loc` ends, its last part
    being the unknown key. Parts that name no field (list indices, mapping keys, union branch tags) keep
    the models reached so far; a union contributes the fields of each of its models."""
    models = [model]
    for part in loc[:-1]:
        if isinstance(part, int):
            continue
        inner = [m for candidate in models for m in _models_in(_annotation(candidate, part))]
        models = inner or models
    return {_spelling(name, info) for m in models for name, info in m.model_fields.items()}


def _annotation(model: type[BaseModel], spelling: str) -> Any:
    for name, info in model.model_fields.items():
        if _spelling(name, info) == spelling or name == spelling:
            return info.annotation
    return None


def _spelling(name: str, info: Any) -> str:
    alias = info.validation_alias if isinstance(info.validation_alias, str) else info.alias
    return alias if isinstance(alias, str) else name


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    """The models an annotation can hold: itself, or inside Optional, unions, lists and dicts."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [m for arg in get_args(annotation) for m in _models_in(arg)]
