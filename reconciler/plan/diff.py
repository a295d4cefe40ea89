"""Field-level differences between two neutral specs; the only module that imports deepdiff.

Lists whose items have identity (function tools, by name) are keyed first, so a change reads
`tools[create_meeting].parameters.required` rather than `tools[0]...` and a reorder is no change.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from reconciler.plan.definition import FieldChange


def _keyed(spec: Mapping[str, Any] | None) -> dict[str, Any]:
    if spec is None:
        return {}
    out = dict(spec)
    tools = out.get("tools")
    if isinstance(tools, list):
        out["tools"] = {str(t.get("name") or t.get("type")): t for t in tools if isinstance(t, Mapping)}
    return out


def _format(path: list[Any]) -> str:
    text = ""
    for index, part in enumerate(path):
        if isinstance(part, int) or (index > 0 and path[index - 1] == "tools" and index == 1):
            text += f"[{part}]"
        elif index > 0 and (not str(part).isidentifier()):
            text += f"[{part!r}]"
        else:
            text += ("." if text else "") + str(part)
    return text


def field_changes(
    before: Mapping[str, Any] | None, after: Mapping[str, Any] | None
) -> tuple[FieldChange, ...]:
    """Every leaf that differs, sorted by path. Values are JSON data copied out of the specs."""
    if before is not None and after is not None and before == after:
        return ()  # the common case on a no-op plan; deepdiff costs ~1 ms even for equal specs
    # Imported on the first difference: a plan with none never loads deepdiff (~25 ms of start-up).
    from deepdiff import DeepDiff

    diff = DeepDiff(_keyed(before), _keyed(after), view="tree", ignore_numeric_type_changes=True)
    out: list[FieldChange] = []
    for report_type, levels in diff.items():
        kind = "changed"
        if report_type.endswith("_added"):
            kind = "added"
        elif report_type.endswith("_removed"):
            kind = "removed"
        for level in levels:
            path = level.path(output_format="list")
            old = None if kind == "added" else level.t1
            new = None if kind == "removed" else level.t2
            out.append(FieldChange(path=_format(path), before=_plain(old), after=_plain(new), kind=kind))
    return tuple(sorted(out, key=lambda c: c.path))


def _plain(value: Any) -> Any:
    """DeepDiff marks absent values with a sentinel class; the plan stores plain JSON."""
    if type(value).__name__ == "NotPresent":
        return None
    return value
