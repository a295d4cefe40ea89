"""Reading Assistants-era exports: the JSON the OpenAI SDK returned for `client.beta.assistants.list()` and
`client.vector_stores.list()`, as teams saved it before the Assistants API was switched off (2026-08-26).

A file holds a list page (`{"object": "list", "data": [...], "first_id": ..., "has_more": ...}`, or the
SDK page's own dump `{"data": [...], "has_more": ...}`), a bare JSON array, one object, or JSON lines (one
object or page per line). Assistants and vector stores may be mixed; each object says what it is in its
`object` field. Each object's shape is checked here, so that the conversion (`service.migrate`, through
the Assistants v2 wire format) never meets a malformed one; what is checked is only what the conversion
reads, and the object is handed on as it was written. Anything wrong is one `UserError` naming the file,
and the line for JSON lines (`file:line:column` for text that is not JSON).

The paths are the user's own files, named on the command line: unlike manifests, they may lie outside
the project root. They are still read only when they are regular files of a bounded size.
"""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from reconciler.errors import UserError

# A list page holds at most 100 objects, an assistant at most 256 KB of instructions and 128 tools: a
# team's whole export is megabytes. The bound keeps a wrong path (a disk image, a log) from being read.
MAX_EXPORT_BYTES = 256 * 1024 * 1024
ASSISTANT = "assistant"
VECTOR_STORE = "vector_store"
SHAPES = '{"object": "list", "data": [...]} page, a JSON array, or JSON lines'


class _Shape(BaseModel):
    # Fields the conversion does not read are kept and ignored: the SDK adds fields over time.
    model_config = ConfigDict(extra="allow")


class _Function(_Shape):
    name: str = Field(min_length=1)
    description: str | None = None
    parameters: dict[str, Any] | None = None
    strict: bool | None = None


class _Tool(_Shape):
    type: str = Field(min_length=1)
    function: _Function | None = None

    @model_validator(mode="after")
    def _function_has_its_definition(self) -> _Tool:
        if self.type == "function" and self.function is None:
            raise ValueError("a function tool without its `function`")
        return self


class _FileSearch(_Shape):
    vector_store_ids: list[str] | None = None


class _CodeInterpreter(_Shape):
    file_ids: list[str] | None = None


class _ToolResources(_Shape):
    file_search: _FileSearch | None = None
    code_interpreter: _CodeInterpreter | None = None


class _Assistant(_Shape):
    id: str = Field(min_length=1)
    object: Literal["assistant"]
    model: str = Field(min_length=1)
    name: str | None = None
    description: str | None = None
    instructions: str | None = None
    metadata: dict[str, str] | None = None
    tools: list[_Tool] | None = None
    tool_resources: _ToolResources | None = None
    temperature: float | None = None
    top_p: float | None = None
    response_format: str | dict[str, Any] | None = None
    reasoning_effort: str | None = None
    created_at: int | None = None


class _ExpiresAfter(_Shape):
    days: int


class _FileCounts(_Shape):
    total: int = 0


class _VectorStore(_Shape):
    id: str = Field(min_length=1)
    object: Literal["vector_store"]
    name: str | None = None
    metadata: dict[str, str] | None = None
    expires_after: _ExpiresAfter | None = None
    file_counts: _FileCounts | None = None
    created_at: int | None = None


_CHECKS: dict[str, type[_Shape]] = {ASSISTANT: _Assistant, VECTOR_STORE: _VectorStore}


@dataclass(frozen=True)
class ExportedObject:
    """One assistant or vector store of an export. `where` names it for messages (`a.json item 3`,
    `a.jsonl:7`); `data` is the object as the SDK dumped it."""

    kind: str
    data: dict[str, Any]
    where: str

    @property
    def id(self) -> str:
        return str(self.data["id"])


@dataclass
class ExportRead:
    objects: list[ExportedObject] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def read_exports(paths: Sequence[Path]) -> ExportRead:
    """Every object of every file, in file order; `UserError` at the first malformed file or object."""
    read = ExportRead()
    for path in paths:
        _read_file(path, read)
    return read


def _read_file(path: Path, read: ExportRead) -> None:
    text = _text(path)
    if not text.strip():
        raise UserError(f"{path}: empty; expected an export of assistants or vector stores: a {SHAPES}")
    try:
        value = json.loads(text)
    except json.JSONDecodeError as whole:
        if whole.msg != "Extra data" or not _first_line_is_json(text):
            raise UserError(f"{path}:{whole.lineno}:{whole.colno}: not JSON: {whole.msg}") from None
        _read_lines(path, text, read)
        return
    _read_value(value, str(path), str(path), read)


def _first_line_is_json(text: str) -> bool:
    first = next(line for line in text.splitlines() if line.strip())
    try:
        json.loads(first)
    except json.JSONDecodeError:
        return False
    return True


def _read_lines(path: Path, text: str, read: ExportRead) -> None:
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except json.JSONDecodeError as error:
            raise UserError(f"{path}:{number}:{error.colno}: not JSON: {error.msg}") from None
        _read_value(value, f"{path}:{number}", f"{path}:{number}", read)


def _read_value(value: Any, where: str, single: str, read: ExportRead) -> None:
    """`where` names the file or line holding `value`; `single` names `value` when it is one object."""
    if isinstance(value, dict) and isinstance(value.get("data"), list):
        if value.get("has_more") is True:
            after = value.get("last_id") or "its last object"
            read.warnings.append(
                f"{where}: has_more is true: this page ends at {after}; the objects after it are not in "
                "the export (list them with after=<that id> and add the file)"
            )
        items = list(enumerate(value["data"], start=1))
    elif isinstance(value, list):
        items = list(enumerate(value, start=1))
    elif isinstance(value, dict) and "object" in value:
        read.objects.append(_object(value, single))
        return
    else:
        raise UserError(
            f"{where}: not an export of assistants or vector stores: expected a {SHAPES}, "
            f"found {_describe(value)}"
        )
    for index, item in items:
        read.objects.append(_object(item, f"{where} item {index}"))


def _object(item: Any, where: str) -> ExportedObject:
    kind = item.get("object") if isinstance(item, dict) else None
    check = _CHECKS.get(kind) if isinstance(kind, str) else None
    if check is None:
        raise UserError(f"{where} is {_describe(item)}, not an assistant or a vector store")
    try:
        check.model_validate(item)
    except ValidationError as invalid:
        errors = invalid.errors()
        first = errors[0]
        path = ".".join(str(step) for step in first["loc"]) or "(the object)"
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        named = f" ({item['id']})" if isinstance(item.get("id"), str) else ""
        raise UserError(f"{where}{named}: {path}: {first['msg']}{more}") from None
    return ExportedObject(str(kind), item, where)


def _describe(value: Any) -> str:
    if isinstance(value, dict):
        kind = value.get("object")
        return f"a {kind!r} object" if isinstance(kind, str) else "an object without an `object` field"
    names = {list: "an array", str: "a string", bool: "a boolean", type(None): "null"}
    return names.get(type(value), "a number")


def _text(path: Path) -> str:
    try:
        info = os.stat(path)
    except FileNotFoundError:
        raise UserError(f"{path}: no such file") from None
    except OSError as error:
        raise UserError(f"{path}: cannot read it: {error.strerror or error}") from None
    if not stat.S_ISREG(info.st_mode):  # a FIFO or a device would block or never end
        raise UserError(f"{path}: not a regular file")
    if info.st_size > MAX_EXPORT_BYTES:
        raise UserError(f"{path}: {info.st_size} bytes; an export is read up to {MAX_EXPORT_BYTES} bytes")
    try:
        data = path.read_bytes()
    except OSError as error:
        raise UserError(f"{path}: cannot read it: {error.strerror or error}") from None
    try:
        return data.decode("utf-8-sig")  # an export saved by a Windows editor may carry a BOM
    except UnicodeDecodeError as error:
        raise UserError(f"{path}: not UTF-8 text (byte {error.start})") from None
