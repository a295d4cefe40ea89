"""`reconcile conversations import FILE`: pin the conversations an application already tracks (its own
"threads table", exported as CSV or JSON lines) to the versions they run on, so gc and the plan's
compatibility verdicts know about them from the first day.

A row names a conversation (`id`), its `assistant`, the version as a number (`version`) or as the id the
platform knows it by (`platform_id`: a release bundle id, or a platform assistant id on Assistants v2,
resolved through the store's versions), and when it was last seen (`last_seen`: ISO 8601 or epoch
seconds; now when absent). The file is read twice, streaming: once to check every row (every bad row is
reported, `FILE:LINE: message`, and nothing is written if there is one), then again inside the store's one
transaction that inserts the pins. An existing pin is never overwritten.
"""

from __future__ import annotations

import csv
import json
import math
import os
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from reconciler.errors import StateError, UserError
from reconciler.model.rollouts import Assignment, PinConflict
from reconciler.model.stored import VersionRecord
from reconciler.store.base import StateStore
from reconciler.store.guard import check_text
from reconciler.words import count, did_you_mean

__all__ = [
    "MAX_BYTES",
    "MAX_ROWS",
    "BadRows",
    "ImportFormat",
    "ImportReport",
    "import_conversations",
]

MAX_ROWS = 1_000_000
MAX_BYTES = 512 * 1024 * 1024
ImportFormat = Literal["csv", "jsonl"]
_COLUMNS = ("id", "assistant", "version", "platform_id", "last_seen")
_LONGEST_ID = 512  # a conversation or thread id is tens of characters; more is a wrong column


class BadRows(UserError):
    """Rows of an import file that cannot be pinned: each as `FILE:LINE: message`; nothing was written."""

    def __init__(self, path: str, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        super().__init__(f"{count(len(problems), 'bad row')} in {path}; nothing was imported")

    def details(self) -> list[str]:
        return self.problems


@dataclass(frozen=True)
class ImportReport:
    """What an import did (or, `dry_run`, would do): rows read, pins made, conversations already pinned
    (kept as they are), and those of them whose pin names another version than the file."""

    path: str
    rows: int
    new: int
    already: int
    conflicts: tuple[PinConflict, ...]
    dry_run: bool


def import_conversations(
    store: StateStore,
    workspace: str,
    path: Path,
    *,
    fmt: ImportFormat | None = None,
    dry_run: bool = False,
    now: float | None = None,
) -> ImportReport:
    """Pin every conversation of `path` (CSV with a header row, or JSON lines) in `workspace`'s store.
    `fmt` defaults from the extension (`.csv`, `.jsonl`/`.ndjson`). Raises BadRows listing every bad row,
    or UserError for a file that is missing, too large or of an unknown format."""
    fmt = fmt or _format_of(path)
    _check_size(path)
    at = time.time() if now is None else now
    rows = _Rows(path, fmt, store.read(workspace).versions, at)
    problems = [problem for problem in rows.check()]
    if problems:
        raise BadRows(str(path), problems)
    done = store.import_conversations(workspace, rows.pins(), dry_run=dry_run)
    return ImportReport(str(path), rows.count, done.new, done.already, done.conflicts, dry_run)


def _format_of(path: Path) -> ImportFormat:
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return "csv"
    if suffix in (".jsonl", ".ndjson"):
        return "jsonl"
    raise UserError(f"{path}: cannot tell the format from the extension; give --format csv or --format jsonl")


def _check_size(path: Path) -> None:
    try:
        size = os.stat(path).st_size
    except OSError as error:
        raise UserError(f"{path}: cannot read it ({error.strerror})") from None
    if not path.is_file():
        raise UserError(f"{path}: not a file")
    if size > MAX_BYTES:
        raise UserError(
            f"{path} is {size:,} bytes, over the {MAX_BYTES // 2**20} MB an import takes; split it"
        )


class _Rows:
    """The file's rows checked against the store's versions; `check` once, then `pins` to write them."""

    def __init__(self, path: Path, fmt: ImportFormat, versions: Sequence[VersionRecord], now: float) -> None:
        self.path, self.fmt, self.now = path, fmt, now
        self.count = 0
        self.numbers: dict[str, dict[int, VersionRecord]] = {}
        self.by_platform_id: dict[str, list[VersionRecord]] = {}
        for version in versions:
            self.numbers.setdefault(version.assistant, {})[version.number] = version
            if not version.deleted:
                self.by_platform_id.setdefault(version.platform_id, []).append(version)

    def check(self) -> Iterator[str]:
        """Every problem, `FILE:LINE: message`; counts the rows."""
        first_line: dict[tuple[str, str], int] = {}
        self.count = 0
        for line, record in self._records():
            self.count += 1
            if self.count > MAX_ROWS:
                yield f"{self.path}:{line}: more than {MAX_ROWS:,} rows; split the file and import each part"
                return
            pin = self._pin(record) if isinstance(record, Mapping) else record
            if isinstance(pin, str):
                yield f"{self.path}:{line}: {pin}"
                continue
            key = (pin.assistant, pin.conversation)
            if key in first_line:
                again = f"conversation {pin.conversation!r} of {pin.assistant} again (line {first_line[key]})"
                yield f"{self.path}:{line}: {again}"
            else:
                first_line[key] = line

    def pins(self) -> Iterator[Assignment]:
        """The pins, read again; a row that no longer checks means the file changed since `check`."""
        for line, record in self._records():
            pin = self._pin(record) if isinstance(record, Mapping) else record
            if isinstance(pin, str):
                # Raised inside the store's transaction: nothing is written.
                raise UserError(f"{self.path}:{line}: {pin} (the file changed while it was imported)")
            yield pin

    # -- reading ------------------------------------------------------------------------------------
    def _records(self) -> Iterator[tuple[int, Mapping[str, object] | str]]:
        """(line, the row's fields, or why it is no row), streaming."""
        try:
            with self.path.open(encoding="utf-8-sig", newline="") as handle:
                yield from (self._csv(handle) if self.fmt == "csv" else self._jsonl(handle))
        except UnicodeDecodeError as error:
            raise UserError(f"{self.path}: not UTF-8 text ({error.reason} at byte {error.start})") from None
        except OSError as error:
            raise UserError(f"{self.path}: cannot read it ({error.strerror})") from None

    def _csv(self, handle: Iterator[str]) -> Iterator[tuple[int, Mapping[str, object] | str]]:
        reader = csv.reader(handle, strict=True)
        try:
            header = next(reader, None)
            if header is None:
                return
            header = [h.strip() for h in header]
            unknown = [h for h in header if h not in _COLUMNS]
            if unknown or "id" not in header or "assistant" not in header:
                yield 1, _header_problem(header, unknown)
                return
            for row in reader:
                if not any(cell.strip() for cell in row):
                    continue
                if len(row) != len(header):
                    yield reader.line_num, f"{len(row)} columns where the header has {len(header)}"
                    continue
                yield (
                    reader.line_num,
                    {h: cell.strip() for h, cell in zip(header, row, strict=True) if cell.strip()},
                )
        except csv.Error as error:
            yield reader.line_num, f"not CSV: {error}"

    def _jsonl(self, handle: Iterator[str]) -> Iterator[tuple[int, Mapping[str, object] | str]]:
        for line, text in enumerate(handle, start=1):
            if not text.strip():
                continue
            try:
                value = json.loads(text)
            except json.JSONDecodeError as error:
                yield line, f"not JSON: {error.msg} (column {error.colno})"
                continue
            if not isinstance(value, dict):
                yield (
                    line,
                    'not a JSON object: each line holds one conversation, {"id": ..., "assistant": ...}',
                )
                continue
            unknown = [k for k in value if k not in _COLUMNS]
            if unknown:
                yield line, _unknown("key", unknown[0])
                continue
            yield line, {k: v for k, v in value.items() if v is not None and v != ""}

    # -- one row ------------------------------------------------------------------------------------
    def _pin(self, record: Mapping[str, object]) -> Assignment | str:
        """The row as a pin, or what is wrong with it."""
        conversation, assistant = record.get("id"), record.get("assistant")
        if not isinstance(conversation, str) or not conversation.strip():
            return "id: a conversation or thread id is required"
        if len(conversation) > _LONGEST_ID or not conversation.isprintable():
            return "id: not a conversation id (too long, or holds control characters)"
        try:
            check_text(conversation, what="a conversation id")
        except StateError:
            return "id: holds something shaped like an API key; this is no conversation id"
        if not isinstance(assistant, str) or not assistant:
            return "assistant: the assistant's name is required"
        known = self.numbers.get(assistant)
        if known is None:
            names = sorted(self.numbers)
            hint = did_you_mean(assistant, names) or f" (known: {', '.join(names) or 'none'})"
            return f"assistant: unknown assistant {assistant!r}{hint}"
        version = self._version(assistant, known, record.get("version"), record.get("platform_id"))
        if isinstance(version, str):
            return version
        seen = self._last_seen(record.get("last_seen"))
        if isinstance(seen, str):
            return seen
        return Assignment(
            conversation=conversation,
            assistant=assistant,
            version=version,
            assigned_at=self.now,
            last_seen=seen,
        )

    def _version(
        self, assistant: str, known: Mapping[int, VersionRecord], number: object, platform_id: object
    ) -> int | str:
        if (number is None) == (platform_id is None):
            return "give exactly one of version (a number) and platform_id"
        if number is not None:
            if isinstance(number, str) and number.isdigit():
                number = int(number)
            if isinstance(number, bool) or not isinstance(number, int):
                return f"version: {number!r} is not a version number"
            record = known.get(number)
            if record is None:
                return f"version: {assistant} has no version {number} (versions: {_numbers(known)})"
            if record.deleted:
                return f"version: {assistant} version {number} was deleted (gc or destroy); it serves nothing"
            return number
        if not isinstance(platform_id, str):
            return f"platform_id: {platform_id!r} is not an id"
        found = [v for v in self.by_platform_id.get(platform_id, []) if v.assistant == assistant]
        if not found:
            others = sorted({v.assistant for v in self.by_platform_id.get(platform_id, [])})
            where = f" (it is a version of {', '.join(others)})" if others else ""
            return f"platform_id: {platform_id!r} is no version of {assistant}{where}"
        if len(found) > 1:
            numbers = ", ".join(str(v.number) for v in found)
            return f"platform_id: {platform_id!r} is versions {numbers} of {assistant}; give version instead"
        return found[0].number

    def _last_seen(self, value: object) -> float | str:
        if value is None:
            return self.now
        seconds: float | None = None
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            seconds = float(value)
        elif isinstance(value, str):
            try:
                seconds = float(value)
            except ValueError:
                try:
                    parsed = datetime.fromisoformat(value)
                except ValueError:
                    return (
                        f"last_seen: {value!r} is neither ISO 8601 (2026-05-01T12:00:00Z) nor epoch seconds"
                    )
                # A time without an offset is read as UTC, as the store keeps every time.
                seconds = (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).timestamp()
        if seconds is None or not math.isfinite(seconds) or seconds < 0:
            return f"last_seen: {value!r} is not a time"
        return seconds


def _header_problem(header: Sequence[str], unknown: Sequence[str]) -> str:
    if unknown:
        return _unknown("column", unknown[0])
    missing = [c for c in ("id", "assistant") if c not in header]
    return f"the header row lacks {' and '.join(missing)} (columns: {', '.join(_COLUMNS)})"


def _unknown(what: str, name: str) -> str:
    return f"unknown {what} {name!r}{did_you_mean(name, _COLUMNS)} ({what}s: {', '.join(_COLUMNS)})"


def _numbers(known: Mapping[int, VersionRecord]) -> str:
    return ", ".join(str(n) for n, v in sorted(known.items()) if not v.deleted) or "none left"
