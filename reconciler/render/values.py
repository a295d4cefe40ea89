"""Shared building blocks of every renderer: how a value, a field change and a verdict read to a human.

Text and Markdown format the same facts differently; keeping the facts here means a plan reads alike in a
terminal and in a PR comment.
"""

from __future__ import annotations

import difflib
import json
import re
from typing import Any

from reconciler.plan.definition import Action, ResourceChange
from reconciler.plan.payloads import AssistantPayload, FieldChange, ToolVerdict, Verdict, VersionPlan
from reconciler.render.escape import sanitize as sanitize  # noqa: PLC0414  (re-exported: renderers call v.sanitize)
from reconciler.words import whole

# A value longer than this, or spanning lines, is shown as a block (heredoc or diff) instead of inline.
INLINE_LIMIT = 72
# Context lines kept around each hunk of a long-value diff: enough to place the edit, short enough to scan.
DIFF_CONTEXT = 2
# Changed lines beyond which a diff is one replacing hunk rather than difflib's (superlinear) matching.
DIFF_MAX_LINES = 2_000

_PATH_HEAD = re.compile(r"[.\[]")
_LINE_BREAK = re.compile(r"\r\n|\r|\n")


def inline(value: Any) -> str:
    """One-line JSON spelling of a value; strings quoted, so `""` and a missing value read differently.
    A whole float reads as the integer it is (`1`, not `1.0`), as the manifest wrote it."""
    return sanitize(json.dumps(whole(value), ensure_ascii=False, sort_keys=True, separators=(", ", ": ")))


def is_block(value: Any) -> bool:
    if isinstance(value, str):
        return "\n" in value or len(value) > INLINE_LIMIT
    if isinstance(value, dict | list | tuple):
        return len(inline(value)) > INLINE_LIMIT
    return False


def block_lines(value: Any) -> list[str]:
    """A long value as lines: text as written, structures as indented JSON with sorted keys."""
    if isinstance(value, str):
        return [sanitize(line) for line in _lines(value)] or [""]
    text = json.dumps(whole(value), ensure_ascii=False, sort_keys=True, indent=2)
    return [sanitize(line) for line in _lines(text)]


def _lines(text: str) -> list[str]:
    """Lines as editors break them. Not str.splitlines: it also breaks at U+0085, U+2028 and other
    separators, which must show as escapes (sanitize) instead of silently starting a line."""
    lines = _LINE_BREAK.split(text)
    return lines[:-1] if lines and lines[-1] == "" else lines


def diff_lines(before: Any, after: Any) -> list[str]:
    """A compact unified diff (hunk headers and changed lines with a little context, no file header).

    Every line starts with ` `, `-`, `+` or `@`, which is what a Markdown ```diff block colours. Past
    DIFF_MAX_LINES lines between the common head and tail, the middle is shown as one replacing hunk:
    difflib's matcher takes time quadratic (or worse) in the lines when many look alike, as the lines of
    a large JSON schema do, and a plan must render in time proportional to its size.
    """
    old = block_lines(before) if before is not None else []
    new = block_lines(after) if after is not None else []
    head = 0
    while head < min(len(old), len(new)) and old[head] == new[head]:
        head += 1
    tail = 0
    while tail < min(len(old), len(new)) - head and old[-1 - tail] == new[-1 - tail]:
        tail += 1
    if (len(old) - head - tail) + (len(new) - head - tail) > DIFF_MAX_LINES:
        return _replacing_hunk(old, new, head, tail)
    lines = list(difflib.unified_diff(old, new, n=DIFF_CONTEXT, lineterm=""))
    return lines[2:]  # drop the ---/+++ header: the field name already says what is compared


def _replacing_hunk(old: list[str], new: list[str], head: int, tail: int) -> list[str]:
    """One unified-diff hunk: every line between the common head and tail removed, then added."""
    start = max(0, head - DIFF_CONTEXT)
    old_stop = len(old) - tail + min(tail, DIFF_CONTEXT)
    new_stop = len(new) - tail + min(tail, DIFF_CONTEXT)
    header = f"@@ -{_hunk_range(start, old_stop)} +{_hunk_range(start, new_stop)} @@"
    return [
        header,
        *(f" {line}" for line in old[start:head]),
        *(f"-{line}" for line in old[head : len(old) - tail]),
        *(f"+{line}" for line in new[head : len(new) - tail]),
        *(f" {line}" for line in old[len(old) - tail : old_stop]),
    ]


def _hunk_range(start: int, stop: int) -> str:
    """`start,length` as unified diffs count lines (1-based; an empty range names the line before)."""
    length = stop - start
    if length == 1:
        return str(start + 1)
    return f"{start + 1 if length else start},{length}"


def pointer_text(pointer: str) -> str:
    """A finding's JSON pointer as a reader sees it: the empty pointer is the whole schema, not a blank."""
    return pointer or "the schema root"


def top_field(path: str) -> str:
    """`tools[create_meeting].parameters` -> `tools`: the spec attribute a field change belongs to."""
    return _PATH_HEAD.split(path, maxsplit=1)[0]


def hidden_count(change: ResourceChange) -> int:
    """Spec attributes a change leaves alone (collapsed in the output), 0 when there is no spec to count.

    A create counts only when it lists field changes of its own: a new version diffed against its parent.
    """
    if change.spec is None or change.action in (Action.DELETE, Action.NOOP):
        return 0
    if change.action is Action.CREATE and all(fc.path == "" for fc in change.changes):
        return 0
    touched = {top_field(fc.path) for fc in field_changes(change)}
    return len([key for key in change.spec if key not in touched])


def change_kind(fc: FieldChange) -> str:
    """`added`, `removed` or `changed`, trusting the values over the label when a side is absent."""
    if fc.kind == "added" or (fc.kind == "changed" and fc.before is None and fc.after is not None):
        return "added"
    if fc.kind == "removed" or (fc.kind == "changed" and fc.after is None and fc.before is not None):
        return "removed"
    return "changed"


def _expand_root(fc: FieldChange) -> list[FieldChange]:
    """A whole-object change (path ``""``, as a diff against nothing gives) as one change per attribute.

    Unset (null) attributes of a new object say nothing and are left out; so are attributes that match.
    """
    before = fc.before if isinstance(fc.before, dict) else {}
    after = fc.after if isinstance(fc.after, dict) else {}
    out: list[FieldChange] = []
    for key in [*before, *(k for k in after if k not in before)]:
        old, new = before.get(key), after.get(key)
        if old == new or (old is None and new is None):
            continue
        if key not in before or old is None:
            out.append(FieldChange(path=str(key), after=new, kind="added"))
        elif key not in after or new is None:
            out.append(FieldChange(path=str(key), before=old, kind="removed"))
        else:
            out.append(FieldChange(path=str(key), before=old, after=new))
    return out


def field_changes(change: ResourceChange) -> list[FieldChange]:
    """The field changes to show for a resource, whichever way the planner spelled them.

    A create without changes lists its spec; a root-level change is split per attribute, so a create or
    delete reads as `+ name = ...` lines rather than one diff of the whole object.
    """
    if not change.changes and change.action is Action.CREATE and change.spec:
        return _expand_root(FieldChange(path="", before={}, after=change.spec))
    out: list[FieldChange] = []
    for fc in change.changes:
        out += _expand_root(fc) if fc.path == "" else [fc]
    return out


# --- what a planner attaches to an assistant: its compatibility verdict (issue 5) and version --------------


def verdict_of(change: ResourceChange) -> Verdict | None:
    return change.payload.verdict if isinstance(change.payload, AssistantPayload) else None


def version_of(change: ResourceChange) -> VersionPlan | None:
    return change.payload.version if isinstance(change.payload, AssistantPayload) else None


def rollout_note(change: ResourceChange) -> str | None:
    """What the planner says of the change's rollout (the canary it starts), when it says anything."""
    note = change.payload.rollout_note if isinstance(change.payload, AssistantPayload) else None
    return sanitize(note) if note else None


def tools_of(verdict: Verdict) -> list[tuple[str, ToolVerdict]]:
    """The verdict's tools by name, in the order every renderer lists them."""
    return sorted(verdict.tools.items())


def verdict_status(verdict: Verdict) -> str:
    """One phrase for the whole verdict: satisfied, violated, or violated but accepted (and why)."""
    if verdict.satisfied:
        return f"compatible under the {verdict.policy} policy"
    if verdict.accepted is not None:
        return f"breaks the {verdict.policy} policy; accepted: {verdict.accepted}"
    if verdict.acceptance_note:
        return f"violates the {verdict.policy} policy; {verdict.acceptance_note}"
    return f"violates the {verdict.policy} policy"


def against_text(verdict: Verdict) -> str | None:
    """Transitive compatibility in one line, per version judged: `breaking against v1 (312 live
    conversations: list_expenses: ...); compatible with v2 (parent, 40 live conversations)`. None when
    the verdict was judged against the parent alone (no version had live conversations)."""
    if not verdict.against:
        return None
    parts = []
    for judged in verdict.against:
        live = f"{judged.conversations} live conversation{'s' if judged.conversations != 1 else ''}"
        who = f"parent, {live}" if judged.parent else live
        if not judged.judged:
            parts.append(f"not judged against v{judged.version} ({who}: its tools were never recorded)")
        elif judged.satisfied:
            parts.append(f"compatible with v{judged.version} ({who})")
        else:
            broken = "; ".join(f"{tool}: {', '.join(found)}" for tool, found in sorted(judged.broken.items()))
            parts.append(f"breaking against v{judged.version} ({who}: {broken})")
    return sanitize("; ".join(parts))


def tool_meets(policy: str, tool: ToolVerdict) -> bool:
    """Whether one tool's verdict satisfies the policy; `unknown` never does (it counts as breaking)."""
    needed = {"backward": ("backward",), "forward": ("forward",), "full": ("backward", "forward")}
    return all(getattr(tool, side) == "yes" for side in needed.get(policy, ()))


def version_phrase(version: VersionPlan) -> str:
    parts = [f"version {version.number}"]
    details = []
    if version.parent is not None:
        details.append(f"parent {version.parent}")
    if version.strategy:
        details.append(version.strategy)
    if version.bundle:
        details.append("release bundle")
    if details:
        parts.append(f"({', '.join(details)})")
    return " ".join(parts)
