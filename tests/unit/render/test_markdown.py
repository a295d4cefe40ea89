"""Markdown PR comments: the marker, the tables, one section per change, and safe escaping."""

from __future__ import annotations

import re

from reconciler.render.markdown import escape_html, escape_md, fence, marker, render_markdown
from tests.unit.render import plans


def outside_code(markdown: str) -> str:
    """The comment with fenced code blocks removed: what GitHub would parse as Markdown/HTML."""
    out: list[str] = []
    closing: str | None = None
    for line in markdown.splitlines():
        if closing is None:
            m = re.match(r"^(`{3,})", line)
            if m:
                closing = m.group(1)
                continue
            out.append(line)
        elif re.fullmatch(re.escape(closing) + "`*", line.strip()):
            closing = None
    assert closing is None, "unclosed fence"
    return "\n".join(out)


def test_marker_is_the_first_line() -> None:
    md = render_markdown(plans.update_assistant())
    assert md.splitlines()[0] == "<!-- reconciler:plan target=staging -->"


def test_marker_cannot_be_closed_by_the_workspace_name() -> None:
    line = marker("evil --> <b>x</b>")
    assert line.startswith("<!-- reconciler:plan target=") and line.endswith(" -->")
    assert line.count("-->") == 1 and "<b>" not in line


def test_summary_table() -> None:
    md = render_markdown(plans.mixed())
    assert "| Add | Change | Replace | Destroy | Adopt | Drift |" in md
    assert "| 1 | 2 | 2 | 2 | 1 | 2 |" in md
    assert "**Plan: 1 to add, 2 to change, 2 to replace, 2 to destroy, 1 to adopt.**" in md


def test_summary_table_without_adoptions_has_no_adopt_column() -> None:
    md = render_markdown(plans.update_assistant())
    assert "| Add | Change | Replace | Destroy | Drift |" in md and "to adopt" not in md


def test_an_adopt_only_plan_is_not_no_changes() -> None:
    md = render_markdown(plans.adopt_only())
    assert "No changes" not in md
    assert "**Plan: 0 to add, 0 to change, 0 to replace, 0 to destroy, 2 to adopt.**" in md
    assert "| 0 | 0 | 0 | 0 | 2 | 0 |" in md


def test_verdict_table_per_tool() -> None:
    md = render_markdown(plans.update_assistant())
    assert "### Tool compatibility" in md
    row = next(line for line in md.splitlines() if "create\\_meeting" in line and line.startswith("|"))
    assert "❌ no" in row and "✅ yes" in row and "OBJ\\-06 at /required" in row
    unknown = next(line for line in md.splitlines() if "lookup\\_policy" in line)
    assert "❓ unknown" in unknown and "❌ violates policy" in unknown
    assert "Tool compatibility" not in render_markdown(plans.create_all())


def test_accepted_breaking_change_shows_the_reason() -> None:
    assert "⚠️ breaking, accepted: partners migrated in ticket OPS\\-12" in render_markdown(plans.mixed())


def test_one_details_section_per_shown_change_and_drift() -> None:
    plan = plans.mixed()
    md = render_markdown(plan)
    shown = [c for c in plan.changes if c.action.value != "no-op" or c.adopt]
    assert md.count("<details>") == len(shown) + len(plan.drift)
    assert md.count("<details>") == md.count("</details>")
    assert "_1 unchanged resource not shown._" in md
    assert "### Drift: objects changed outside reconciler since the last apply" in md


def test_field_changes_in_a_diff_block() -> None:
    md = render_markdown(plans.update_assistant())
    assert '```diff\n- model: "gpt-4o"\n+ model: "gpt-4.1"\n' in md
    assert "-   Book meetings with create_meeting when asked." in md
    assert "# (8 unchanged attributes hidden)" in md


def test_empty_plan() -> None:
    md = render_markdown(plans.empty())
    assert "**No changes. Your platform matches the manifests.**" in md
    assert "<details>" not in md and "### Changes" not in md


def test_user_strings_cannot_inject_html_or_markdown() -> None:
    md = render_markdown(plans.hostile())
    parsed = outside_code(md)
    for raw in ("<script", "<img", "<b>ws", "<b>y", "<b>t", "<i>", "</summary><b>", "@everyone", "\x1b"):
        assert raw not in parsed, raw
    assert "&lt;script&gt;" in parsed
    # Table rows keep their 7 cells: a `|` in a user string is escaped, not a cell break.
    for row in [line for line in parsed.splitlines() if line.startswith("| Assistant/")]:
        assert len(re.findall(r"(?<!\\)\|", row)) == 8


def test_code_fence_outlasts_backticks_in_content() -> None:
    md = render_markdown(plans.hostile())
    assert "````diff" in md  # the instructions hold ```, so the fence is four long
    assert fence(["a ``````` b"]) == "````````"
    assert fence(["plain"]) == "```"


def test_a_blank_line_cannot_end_the_summary_html_block() -> None:
    assert "\n" not in escape_html("a\n\n# heading")
    assert "\n" not in escape_md("a\n\n# heading")


def test_escape_md() -> None:
    assert escape_md("a|b *c* <d> @e") == "a\\|b \\*c\\* &lt;d&gt; &#64;e"


def test_oversized_comment_drops_diffs_but_keeps_sections() -> None:
    plan = plans.mixed()
    full = render_markdown(plan)
    short = render_markdown(plan, max_chars=len(full) - 1)
    assert len(short) < len(full)
    assert "```diff" in full and "```diff" not in short
    assert "size limit" in short and "size limit" not in full
    assert short.count("<details>") == full.count("<details>")
    assert short.splitlines()[0] == full.splitlines()[0]
