"""A plan as terminal text, in Terraform's style: `+ ~ - -/+` per resource, field changes, a summary line.

Colour is a parameter, never a guess made here; `should_color` is the one place that looks at the stream
and the environment (NO_COLOR per no-color.org, TERM=dumb), so the rest renders the same in tests and CI.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any, Protocol

from reconciler.plan.definition import Action, Drift, FieldChange, Plan, ResourceChange, Summary
from reconciler.render import values as v
from reconciler.render.plan_costs import cost_text

NO_CHANGES = "No changes. Your platform matches the manifests."
DRIFT_HEADING = "Objects changed outside reconciler since the last apply"
ADOPT_SYMBOL = "<="

# ANSI SGR codes: the four the brief names per action, plus bold for headings.
GREEN, YELLOW, RED, MAGENTA, BOLD = "32", "33", "31", "35", "1"
_SYMBOL_COLOR = {"+": GREEN, "~": YELLOW, "-": RED, "-/+": MAGENTA, ADOPT_SYMBOL: GREEN}

_LEGEND = (
    (Action.CREATE, "+", "create"),
    (Action.UPDATE, "~", "update in place"),
    (Action.DELETE, "-", "destroy"),
    (Action.REPLACE, "-/+", "destroy and then create replacement"),
)

FIELD_INDENT = " " * 6
BLOCK_INDENT = " " * 10


class _TTYStream(Protocol):
    def isatty(self) -> bool: ...


def should_color(stream: _TTYStream, environ: Mapping[str, str] | None = None) -> bool:
    """Colour only for a terminal that can show it and a user who has not opted out.

    Any non-empty NO_COLOR disables colour (no-color.org); an empty one does not. TERM=dumb disables it too.
    """
    env = os.environ if environ is None else environ
    if env.get("NO_COLOR", ""):
        return False
    if env.get("TERM") == "dumb":
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty is not None and isatty())


def paint(text: str, code: str, color: bool) -> str:
    return f"\x1b[{code}m{text}\x1b[0m" if color and text else text


def summary_line(summary: Summary) -> str:
    """Terraform's line; adoptions (its "to import") are named only when there are some."""
    if summary.changed == 0:
        return NO_CHANGES
    adopt = f", {summary.adopt} to adopt" if summary.adopt else ""
    return (
        f"Plan: {summary.create} to add, {summary.update} to change, "
        f"{summary.replace} to replace, {summary.delete} to destroy{adopt}."
    )


def render_text(plan: Plan, *, color: bool = False) -> str:
    """The whole plan as text, ending in a newline. No-op resources are hidden but counted."""
    out: list[str] = []
    shown = [c for c in plan.changes if c.action is not Action.NOOP or c.adopt]
    if shown:
        out += _legend(shown, color)
        out += ["Reconciler will perform the following actions:", ""]
        for change in shown:
            out += _resource(change, color)
            out.append("")
    hidden = sum(1 for c in plan.changes if c.action is Action.NOOP and not c.adopt)
    if hidden:
        noun = "resource" if hidden == 1 else "resources"
        out += [f"({hidden} unchanged {noun} not shown)", ""]
    if plan.drift:
        out += _drift(plan.drift, color)
    for warning in plan.warnings:
        out += [paint("Warning:", BOLD, color) + " " + v.sanitize(warning), ""]
    if plan.costs is not None:
        out += cost_text(plan.costs)
    line = summary_line(plan.summary)
    out.append(paint(line, BOLD, color) if plan.has_changes else line)
    return "\n".join(out) + "\n"


NO_DRIFT = "No drift: every managed object is as the last apply left it."


def render_drift(plan: Plan, *, color: bool = False) -> str:
    """The drift section of `plan` alone (`reconcile drift`), shown as the plan shows it."""
    if not plan.drift:
        return NO_DRIFT + "\n"
    return "\n".join(_drift(plan.drift, color)[:-1]) + "\n"


def _legend(shown: list[ResourceChange], color: bool) -> list[str]:
    used = {c.action for c in shown}
    lines = ["Resource actions are indicated with the following symbols:"]
    for action, symbol, words in _LEGEND:
        if action in used:
            lines.append(f"{_symbol(symbol, color)} {words}")
    if any(c.adopt for c in shown):
        lines.append(f"{_symbol(ADOPT_SYMBOL, color)} adopt an existing object into the inventory")
    return [*lines, ""]


def _symbol(symbol: str, color: bool) -> str:
    """Right-aligned in three columns, as Terraform does, so addresses line up under `-/+`."""
    return paint(f"{symbol:>3}", _SYMBOL_COLOR.get(symbol, ""), color) if symbol.strip() else "   "


def _resource(change: ResourceChange, color: bool) -> list[str]:
    symbol = ADOPT_SYMBOL if change.action is Action.NOOP else change.symbol
    header = f"{_symbol(symbol, color)} {v.sanitize(str(change.address))}"
    lines = [f"{header}  # ({v.sanitize(change.reason)})" if change.reason else header]
    lines += [FIELD_INDENT + "# " + note for note in _notes(change)]
    changes = v.field_changes(change)
    width = max((len(v.sanitize(fc.path)) for fc in changes if v.change_kind(fc) != "changed"), default=0)
    for fc in changes:
        lines += field_lines(fc, color, width)
    hidden = v.hidden_count(change)
    if hidden:
        noun = "attribute" if hidden == 1 else "attributes"
        lines.append(f"{FIELD_INDENT}# ({hidden} unchanged {noun} hidden)")
    lines += [FIELD_INDENT + "# " + line for line in verdict_lines(change)]
    return lines


def _notes(change: ResourceChange) -> list[str]:
    """Facts a reviewer needs beside the diff: which platform object, which version, what is guarded."""
    notes: list[str] = []
    facts: list[str] = []
    if change.platform_id:
        facts.append(f"id: {v.sanitize(change.platform_id)}")
    version = v.version_of(change)
    if version is not None:
        facts.append(v.sanitize(v.version_phrase(version)))
    if facts:
        notes.append(" · ".join(facts))
    rollout = v.rollout_note(change)
    if rollout is not None:
        notes.append(f"rollout: {rollout}")
    if change.adopt:
        notes.append("adopted: a labelled object missing from the inventory is taken over, not recreated")
    if change.protect:
        if change.action in (Action.DELETE, Action.REPLACE):
            notes.append("protected: apply will refuse to delete this object")
        else:
            notes.append("protected")
    return notes


def verdict_lines(change: ResourceChange) -> list[str]:
    """The compatibility verdict as comment lines (without the `# `), empty when there is none."""
    verdict = v.verdict_of(change)
    if verdict is None:
        return []
    lines = [f"compatibility: {v.sanitize(v.verdict_status(verdict))}"]
    against = v.against_text(verdict)
    if against is not None:
        lines.append(f"  live versions: {against}")
    for name, tool in v.tools_of(verdict):
        lines.append(f"  {v.sanitize(name)}: backward {tool.backward}, forward {tool.forward}")
        for f in tool.findings:
            where = v.pointer_text(f.pointer)
            lines.append(f"    {v.sanitize(f.rule)} at {v.sanitize(where)}: {v.sanitize(f.message)}")
    return lines


def _block_assignment(prefix: str, value: Any) -> list[str]:
    """A long value after `name = `: text as a heredoc, structures as indented JSON."""
    body = v.block_lines(value)
    if isinstance(value, str):
        return [prefix + "<<EOT", *(BLOCK_INDENT + line for line in body), FIELD_INDENT + "  EOT"]
    return [prefix + body[0], *(FIELD_INDENT + "  " + line for line in body[1:])]


def _field_symbol(symbol: str, color: bool) -> str:
    return paint(symbol, _SYMBOL_COLOR[symbol], color)


def field_lines(fc: FieldChange, color: bool = False, width: int = 0) -> list[str]:
    """One field change: `~ path: before -> after`, `+ path = value`, `- path = value`, or a block diff.

    `width` pads the path of additions and removals so the `=` signs of one resource line up.
    """
    path = v.sanitize(fc.path)
    padded = f"{path:<{width}}"
    kind = v.change_kind(fc)
    if kind == "added":
        prefix = f"{FIELD_INDENT}{_field_symbol('+', color)} {padded} = "
        if v.is_block(fc.after):
            return _block_assignment(prefix, fc.after)
        return [prefix + v.inline(fc.after)]
    if kind == "removed":
        prefix = f"{FIELD_INDENT}{_field_symbol('-', color)} {padded} = "
        if v.is_block(fc.before):
            return _block_assignment(prefix, fc.before)
        return [prefix + v.inline(fc.before)]
    tilde = _field_symbol("~", color)
    if not (v.is_block(fc.before) or v.is_block(fc.after)):
        return [f"{FIELD_INDENT}{tilde} {path}: {v.inline(fc.before)} -> {v.inline(fc.after)}"]
    lines = [f"{FIELD_INDENT}{tilde} {path}:"]
    for line in v.diff_lines(fc.before, fc.after):
        lines.append(BLOCK_INDENT + _diff_line(line, color))
    return lines


def _diff_line(line: str, color: bool) -> str:
    if line.startswith("+"):
        return paint(line, GREEN, color)
    if line.startswith("-"):
        return paint(line, RED, color)
    return line


def _drift(drift: tuple[Drift, ...], color: bool) -> list[str]:
    lines = [paint(f"{DRIFT_HEADING}:", BOLD, color), ""]
    for entry in drift:
        header = f"{_symbol('~', color)} {v.sanitize(str(entry.address))} ({v.sanitize(entry.platform_id)})"
        lines.append(f"{header}  # ({v.sanitize(entry.reason)})" if entry.reason else header)
        for fc in entry.changes:
            lines += field_lines(fc, color)
        lines.append("")
    return lines
