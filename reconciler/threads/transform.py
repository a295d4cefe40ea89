"""A conversation's items rewritten for the version it moves to: each function call's arguments upcast
from the tool revision it was made with to the target version's, by the migrations the manifests declare.

`build_upcast_plan` decides per tool, once per (from version, to version): the same revision (kept as
is), a chain of migrations, or removed (the target version lacks the tool); a revision change with no
declared path is `NoMigrationPath`. Python steps are loaded then, before any item is touched.
`transform_items` applies the plan: only `function_call` items' `arguments` change; every other item and
field (`call_id` included) is kept. A call of a removed or unknown tool is kept as it was: the caller
decides what such a conversation means (`UpcastPlan.removed` lists those tools).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from reconciler import words
from reconciler.errors import UserError
from reconciler.model.stored import VersionRecord
from reconciler.model.upcasts import PythonStep, ToolMigration
from reconciler.plan.bundles import version_function_tools
from reconciler.threads.revisions import ToolRevisions
from reconciler.threads.upcast import (
    Function,
    LoadPython,
    UpcastFailure,
    chain_for,
    upcast_arguments,
)

__all__ = [
    "Disposition",
    "ItemUpcastError",
    "RevisionUnknown",
    "ToolUpcast",
    "UpcastPlan",
    "build_upcast_plan",
    "transform_items",
]


class Disposition(StrEnum):
    IDENTITY = "identity"  # same revision: arguments kept byte for byte
    CHAIN = "chain"  # upcast through `ToolUpcast.chain`
    REMOVED = "removed"  # the target version lacks the tool


@dataclass(frozen=True)
class ToolUpcast:
    """What happens to one tool's calls. `schema` and `strict` are the target revision's (CHAIN only)."""

    tool: str
    disposition: Disposition
    from_revision: int | None = None
    to_revision: int | None = None
    chain: tuple[ToolMigration, ...] = ()
    schema: Mapping[str, Any] = field(default_factory=dict)
    strict: bool = False


@dataclass(frozen=True)
class UpcastPlan:
    """Per tool name of the source version, what its calls become; python steps already loaded."""

    tools: Mapping[str, ToolUpcast]
    functions: Mapping[str, Function] = field(default_factory=dict)

    @property
    def removed(self) -> tuple[str, ...]:
        return tuple(sorted(t for t, u in self.tools.items() if u.disposition is Disposition.REMOVED))

    def load(self, ref: str) -> Function:
        return self.functions[ref]

    def describe(self) -> dict[str, str]:
        """Per tool, how its calls change, for a person: `r1 -> r2 (2 steps)`, `unchanged`, `removed`."""
        said: dict[str, str] = {}
        for name, upcast in sorted(self.tools.items()):
            if upcast.disposition is Disposition.IDENTITY:
                said[name] = "unchanged"
            elif upcast.disposition is Disposition.REMOVED:
                said[name] = "removed in the target version (calls kept as they are)"
            else:
                steps = sum(len(m.steps) for m in upcast.chain)
                said[name] = (
                    f"r{upcast.from_revision} -> r{upcast.to_revision} ({words.count(steps, 'step')})"
                )
        return said


class RevisionUnknown(UserError):
    """A version's function tools were not recorded (an Assistants-v2 assistant from before versions kept
    them): which revision its calls were made with cannot be known."""


class ItemUpcastError(UserError):
    """One item of one conversation could not be upcast: where (conversation, item index from 0, the
    item's id, a JSON pointer into its arguments) and why."""

    def __init__(
        self, conversation: str, item_index: int, item_id: str | None, pointer: str, message: str
    ) -> None:
        self.conversation = conversation
        self.item_index = item_index
        self.item_id = item_id
        self.pointer = pointer
        self.message = message
        named = f" ({item_id})" if item_id else ""
        super().__init__(
            f"conversation {conversation} item {item_index}{named} {pointer or '(arguments)'}: {message}"
        )


def build_upcast_plan(
    from_record: VersionRecord,
    to_record: VersionRecord,
    revisions: ToolRevisions,
    migrations: Mapping[str, tuple[ToolMigration, ...]],
    *,
    load_python: LoadPython,
) -> UpcastPlan:
    """The plan for conversations moving from `from_record`'s version to `to_record`'s."""
    source, target = version_function_tools(from_record), version_function_tools(to_record)
    for record, tools in ((from_record, source), (to_record, target)):
        if tools is None:
            raise RevisionUnknown(
                f"{record.assistant} version {record.number} did not record its function tools, so the "
                "revision of its tools is unknown; its conversations cannot be upcast"
            )
    assert source is not None and target is not None
    plan: dict[str, ToolUpcast] = {}
    functions: dict[str, Function] = {}
    for tool in sorted(source):
        old = revisions.revision_of(tool, from_record.number)
        new = revisions.revision_of(tool, to_record.number)
        if tool not in target:
            plan[tool] = ToolUpcast(tool, Disposition.REMOVED, old, None)
            continue
        if old is None or new is None:
            # Revisions are numbered from the store's records; a version not among them is a caller error.
            missing = from_record if old is None else to_record
            raise RevisionUnknown(f"{missing.assistant} version {missing.number} is not among the revisions")
        if old == new:
            plan[tool] = ToolUpcast(tool, Disposition.IDENTITY, old, new)
            continue
        # NoMigrationPath (tool, revisions, the manifest key to add) when the manifests declare no path.
        chain = chain_for(migrations.get(tool, ()), old, new, tool=tool)
        for migration in chain:
            for step in migration.steps:
                if isinstance(step, PythonStep) and step.ref not in functions:
                    functions[step.ref] = load_python(step.ref)
        schema, strict = target[tool]
        plan[tool] = ToolUpcast(tool, Disposition.CHAIN, old, new, chain, schema, strict)
    return UpcastPlan(plan, functions)


def transform_items(
    conversation: str, items: Sequence[Mapping[str, Any]], plan: UpcastPlan
) -> list[dict[str, Any]]:
    """`items` (Responses-API input items as JSON) with every function call's arguments upcast; new
    dicts, the given items unchanged. The first failure raises `ItemUpcastError`."""
    out: list[dict[str, Any]] = []
    for index, item in enumerate(items):
        copied = dict(item)
        upcast = plan.tools.get(str(item.get("name"))) if item.get("type") == "function_call" else None
        if upcast is not None and upcast.disposition is Disposition.CHAIN:
            item_id = item.get("id")
            try:
                copied["arguments"] = _upcast(item.get("arguments"), upcast, plan.load)
            except UpcastFailure as failure:
                raise ItemUpcastError(
                    conversation,
                    index,
                    item_id if isinstance(item_id, str) else None,
                    failure.pointer,
                    failure.message,
                ) from failure
        out.append(copied)
    return out


def _upcast(arguments: Any, upcast: ToolUpcast, load: Callable[[str], Function]) -> str:
    try:
        value = json.loads(arguments) if isinstance(arguments, str) else None
    except ValueError as error:
        raise UpcastFailure("", f"the arguments are not JSON: {error}") from error
    if value is None:
        raise UpcastFailure("", "the arguments are not a JSON text")
    result = upcast_arguments(
        value, upcast.chain, schema=upcast.schema, strict=upcast.strict, load_python=load
    )
    # Compact, as the platform writes arguments; non-ASCII kept as written.
    return json.dumps(result, separators=(",", ":"), ensure_ascii=False)
