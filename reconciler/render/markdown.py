"""A plan as a GitHub pull-request comment: marker, summary table, verdicts, one collapsible section each.

Every string from a manifest or the platform is escaped for where it lands (HTML in `<summary>`, Markdown
in table cells, a fence longer than any backtick run in code blocks), so a manifest cannot inject markup,
mentions or a closing fence into the PR.
"""

from __future__ import annotations

import html
import re
from typing import Any

from reconciler.gitops.comment import marker as marker  # noqa: PLC0414  (re-exported)
from reconciler.plan.definition import Action, Drift, FieldChange, Plan, ResourceChange, Summary
from reconciler.render import values as v
from reconciler.render.plan_costs import cost_markdown
from reconciler.render.text import DRIFT_HEADING, summary_line

# GitHub refuses comments over 65,536 characters; stay below with room for a workflow's own footer.
MAX_COMMENT_CHARS = 60_000
TRUNCATED_NOTE = (
    "_Field-level diffs are left out: the full comment would exceed GitHub's size limit. "
    "Run `reconcile plan` or read the workflow log for them._"
)
_ICON = {"yes": "✅ yes", "no": "❌ no", "unknown": "❓ unknown"}
# Characters that start Markdown syntax inline; escaped with a backslash where Markdown (not HTML) is parsed.
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|~])")
_BACKTICKS = re.compile(r"`+")


def escape_html(text: str) -> str:
    """For HTML contexts (`<summary>`): entities for markup, `@` so nobody gets pinged, and one line,
    since a blank line would end the HTML block and let the rest be read as Markdown."""
    flat = " ".join(v.sanitize(text).split())
    return html.escape(flat, quote=True).replace("@", "&#64;")


def escape_md(text: str) -> str:
    """For Markdown contexts (tables, prose): HTML escaped, Markdown punctuation backslashed, one line."""
    flat = " ".join(v.sanitize(text).split())
    return _MD_SPECIAL.sub(r"\\\1", html.escape(flat, quote=False)).replace("@", "&#64;")


def fence(lines: list[str]) -> str:
    """A backtick fence longer than any run inside the block, so content cannot close it early."""
    longest = max((len(m) for line in lines for m in _BACKTICKS.findall(line)), default=0)
    return "`" * max(3, longest + 1)


def render_markdown(plan: Plan, *, max_chars: int = MAX_COMMENT_CHARS) -> str:
    """The PR comment, ending in a newline; past `max_chars` the diff blocks are dropped, the rest kept."""
    full = _render(plan, diffs=True)
    return full if len(full) <= max_chars else _render(plan, diffs=False)


def _summary_table(summary: Summary) -> list[str]:
    """Counts per action; the Adopt column only when something is adopted, as in the summary line."""
    heads = ["Add", "Change", "Replace", "Destroy"]
    counts = [summary.create, summary.update, summary.replace, summary.delete]
    if summary.adopt:
        heads.append("Adopt")
        counts.append(summary.adopt)
    heads.append("Drift")
    counts.append(summary.drift)
    return [
        "| " + " | ".join(heads) + " |",
        "|" + "---:|" * len(heads),
        "| " + " | ".join(str(n) for n in counts) + " |",
    ]


def _render(plan: Plan, *, diffs: bool) -> str:
    summary = plan.summary
    out = [
        marker(plan.workspace),
        f"## Reconciler plan for {escape_md(plan.workspace)}",
        "",
        f"**{summary_line(summary)}**",
        "",
        *_summary_table(summary),
        "",
    ]
    for warning in plan.warnings:
        out += [f"> **Warning:** {escape_md(warning)}", ""]
    if plan.costs is not None:
        out += cost_markdown(plan.costs, escape_md)
    out += _verdict_table(plan.changes)
    if not diffs:
        out += [TRUNCATED_NOTE, ""]
    shown = [c for c in plan.changes if c.action is not Action.NOOP or c.adopt]
    if shown:
        out += ["### Changes", ""]
        for change in shown:
            out += _section(change, diffs)
    hidden = sum(1 for c in plan.changes if c.action is Action.NOOP and not c.adopt)
    if hidden:
        out += [f"_{hidden} unchanged resource{'' if hidden == 1 else 's'} not shown._", ""]
    if plan.drift:
        out += [f"### Drift: {DRIFT_HEADING.lower()}", ""]
        for entry in plan.drift:
            out += _drift_section(entry, diffs)
    footer = f"<sub>format {plan.format_version}"
    if plan.plan_id:
        footer += f" · plan {escape_html(plan.plan_id)}"
    out.append(footer + "</sub>")
    return "\n".join(out) + "\n"


def _verdict_table(changes: tuple[ResourceChange, ...]) -> list[str]:
    rows: list[str] = []
    for change in changes:
        verdict = v.verdict_of(change)
        if verdict is None:
            continue
        for name, tool in v.tools_of(verdict):
            findings = "<br>".join(
                f"{escape_md(f.rule)} at {escape_md(v.pointer_text(f.pointer))}: {escape_md(f.message)}"
                for f in tool.findings
            )
            if v.tool_meets(verdict.policy, tool):
                result = "✅ meets policy"
            elif verdict.accepted is not None:
                result = f"⚠️ breaking, accepted: {escape_md(verdict.accepted)}"
            else:
                result = "❌ violates policy"
            rows.append(
                f"| {escape_md(str(change.address))} | {escape_md(name)} | {_answer(tool.backward)} | "
                f"{_answer(tool.forward)} | {escape_md(verdict.policy)} | {result} | {findings} |"
            )
    if not rows:
        return []
    return [
        "### Tool compatibility",
        "",
        "| Resource | Tool | Backward (callers) | Forward (handlers) | Policy | Result | Findings |",
        "|---|---|---|---|---|---|---|",
        *rows,
        "",
    ]


def _answer(answer: str) -> str:
    return _ICON.get(answer, escape_md(answer))


def _section(change: ResourceChange, diffs: bool) -> list[str]:
    symbol = "<=" if change.action is Action.NOOP else change.symbol
    title = f"<code>{html.escape(symbol)}</code> <b>{escape_html(str(change.address))}</b>"
    if change.reason:
        title += f" — {escape_html(change.reason)}"
    notes = _notes(change)
    body = _diff_body(change) if diffs else []
    out = ["<details>", f"<summary>{title}</summary>", ""]
    out += [f"- {note}" for note in notes]
    if notes:
        out.append("")
    if body:
        out += _code_block(body)
    out += ["</details>", ""]
    return out


def _notes(change: ResourceChange) -> list[str]:
    notes: list[str] = []
    if change.platform_id:
        notes.append(f"id: {escape_md(change.platform_id)}")
    version = v.version_of(change)
    if version is not None:
        notes.append(escape_md(v.version_phrase(version)))
    rollout = v.rollout_note(change)
    if rollout is not None:
        notes.append(f"rollout: {escape_md(rollout)}")
    if change.adopt:
        notes.append("adopted: a labelled object missing from the inventory is taken over, not recreated")
    if change.protect:
        protected = change.action in (Action.DELETE, Action.REPLACE)
        notes.append("**protected**: apply will refuse to delete this object" if protected else "protected")
    verdict = v.verdict_of(change)
    if verdict is not None:
        notes.append(f"compatibility: {escape_md(v.verdict_status(verdict))}")
        against = v.against_text(verdict)
        if against is not None:
            notes.append(f"live versions: {escape_md(against)}")
    return notes


def _diff_body(change: ResourceChange) -> list[str]:
    """Field changes as lines a ```diff block colours: `-` old, `+` new, everything else plain."""
    lines = [line for fc in v.field_changes(change) for line in diff_field(fc)]
    hidden = v.hidden_count(change)
    if hidden:
        lines.append(f"# ({hidden} unchanged attribute{'' if hidden == 1 else 's'} hidden)")
    return lines


def _added(path: str, value: Any) -> list[str]:
    if not v.is_block(value):
        return [f"+ {v.sanitize(path)} = {v.inline(value)}"]
    return [f"+ {v.sanitize(path)} =", *(f"+   {line}" for line in v.block_lines(value))]


def _removed(path: str, value: Any) -> list[str]:
    if not v.is_block(value):
        return [f"- {v.sanitize(path)} = {v.inline(value)}"]
    return [f"- {v.sanitize(path)} =", *(f"-   {line}" for line in v.block_lines(value))]


def diff_field(fc: FieldChange) -> list[str]:
    kind = v.change_kind(fc)
    if kind == "added":
        return _added(fc.path, fc.after)
    if kind == "removed":
        return _removed(fc.path, fc.before)
    if not (v.is_block(fc.before) or v.is_block(fc.after)):
        return [
            f"- {v.sanitize(fc.path)}: {v.inline(fc.before)}",
            f"+ {v.sanitize(fc.path)}: {v.inline(fc.after)}",
        ]
    # The diff marker stays in column one (what GitHub colours); the text is indented under the field name.
    out = [f"  {v.sanitize(fc.path)}:"]
    for line in v.diff_lines(fc.before, fc.after):
        out.append(line if line.startswith("@@") else f"{line[:1]}   {line[1:]}")
    return out


def _code_block(lines: list[str]) -> list[str]:
    bar = fence(lines)
    return [f"{bar}diff", *lines, bar, ""]


def _drift_section(entry: Drift, diffs: bool) -> list[str]:
    title = f"<code>~</code> <b>{escape_html(str(entry.address))}</b> ({escape_html(entry.platform_id)})"
    if entry.reason:
        title += f" — {escape_html(entry.reason)}"
    out = ["<details>", f"<summary>{title}</summary>", ""]
    body = [line for fc in entry.changes for line in diff_field(fc)] if diffs else []
    if body:
        out += _code_block(body)
    out += ["</details>", ""]
    return out
