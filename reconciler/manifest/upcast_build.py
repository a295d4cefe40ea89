"""A FunctionTool's `spec.migrations` checked across fields and turned into `model.upcasts.ToolMigration`s.

Each problem points at its line: a step with no action or two (`...steps[0]`), a `to` that is not the
next revision, a second migration from one revision, a rename that leaves its object (a move does
that), a move into the value it moves. The migrations never reach the tool's spec: they are carried by
`DesiredState.tool_migrations`, so no fingerprint, plan or version changes with them.
"""

from __future__ import annotations

from reconciler.manifest.documents import Document
from reconciler.manifest.problems import Collector
from reconciler.manifest.specs import FunctionToolSpec
from reconciler.manifest.upcast_specs import STEP_ACTIONS, MigrationSpec, UpcastStepSpec
from reconciler.manifest.yaml_loader import dotted, walk
from reconciler.model.upcasts import (
    DefaultStep,
    DropStep,
    MapEnumStep,
    MoveStep,
    PythonStep,
    RenameStep,
    ToNumberStep,
    ToolMigration,
    ToStringStep,
    UpcastStep,
    pointer_tokens,
)

__all__ = ["tool_migrations"]

Path = list[str | int]


def tool_migrations(collector: Collector, doc: Document, tool: str) -> tuple[ToolMigration, ...]:
    """The document's migrations for the function `tool`, sorted by `from`; every problem in `collector`
    (what is built alongside is used only when the collector ends without errors)."""
    spec = doc.spec
    assert isinstance(spec, FunctionToolSpec)
    first: dict[int, Path] = {}
    out: list[ToolMigration] = []
    for index, migration in enumerate(spec.migrations):
        at: Path = ["spec", "migrations", index]
        _check_revisions(collector, doc, at, migration, first)
        steps = [_step(collector, doc, [*at, "steps", n], s) for n, s in enumerate(migration.steps)]
        out.append(
            ToolMigration(
                tool=tool,
                from_revision=migration.from_revision,
                to_revision=migration.to,
                steps=tuple(s for s in steps if s is not None),
            )
        )
    return tuple(sorted(out, key=lambda m: m.from_revision))


def _check_revisions(
    collector: Collector, doc: Document, at: Path, migration: MigrationSpec, first: dict[int, Path]
) -> None:
    start = migration.from_revision
    if migration.to != start + 1:
        message = (
            f"{dotted(at)}.to: a migration goes from one revision to the next: to must be {start + 1}, "
            f"not {migration.to} (chain {start}→{start + 1}→... for more)"
        )
        collector.at(doc.file, doc.root, [*at, "to"], "migration.to", message)
    earlier = first.get(start)
    if earlier is not None:
        _, pos = walk(doc.root, [*earlier, "from"])
        line = f" (the first is at line {pos[0]})" if pos is not None else ""
        message = (
            f"{dotted(at)}.from: a second migration from revision {start}{line}; put all its steps in one"
        )
        collector.at(doc.file, doc.root, [*at, "from"], "migration.duplicate", message)
    else:
        first[start] = at


def _step(collector: Collector, doc: Document, at: Path, step: UpcastStepSpec) -> UpcastStep | None:
    given = [
        action
        for action, field in zip(STEP_ACTIONS, UpcastStepSpec.model_fields, strict=True)
        if getattr(step, field) is not None
    ]
    if len(given) != 1:
        found = f"has {' and '.join(given)}" if given else "has none"
        message = f"{dotted(at)}: a step has exactly one of {', '.join(STEP_ACTIONS)}; this one {found}"
        collector.at(doc.file, doc.root, at, "migration.step", message)
        return None
    if step.rename is not None:
        source, target = step.rename.source, step.rename.target
        if pointer_tokens(source)[:-1] != pointer_tokens(target)[:-1]:
            message = (
                f"{dotted(at)}.rename: {source} and {target} are in different objects; a rename stays "
                "within its object (use move to go into or out of a nested one)"
            )
            collector.at(doc.file, doc.root, [*at, "rename", "to"], "migration.rename", message)
        return RenameStep(source=source, target=target)
    if step.move is not None:
        source, target = step.move.source, step.move.target
        if target == source or target.startswith(source + "/"):
            message = f"{dotted(at)}.move: {target} is {source} or inside it; a value cannot move into itself"
            collector.at(doc.file, doc.root, [*at, "move", "to"], "migration.move", message)
        return MoveStep(source=source, target=target)
    if step.default is not None:
        return DefaultStep(path=step.default.path, value=step.default.value)
    if step.drop is not None:
        return DropStep(path=step.drop)
    if step.map_enum is not None:
        return MapEnumStep(path=step.map_enum.path, values=dict(step.map_enum.values))
    if step.to_number is not None:
        return ToNumberStep(path=step.to_number)
    if step.to_string is not None:
        return ToStringStep(path=step.to_string)
    assert step.python is not None
    return PythonStep(ref=step.python)
