"""Issue 12 item 16: bidi controls and other invisible characters in names and text a plan shows are
escaped in every format, so a plan (or a PR comment) cannot be made to read as something it is not."""

from __future__ import annotations

import json
import re
from collections.abc import Callable

import pytest

from reconciler.plan.definition import FieldChange, Plan
from reconciler.render.json import plan_document, render_json
from reconciler.render.markdown import render_markdown
from reconciler.render.text import render_text
from reconciler.render.values import diff_lines, sanitize
from tests.unit.render import plans

# Written out here rather than imported, so the test does not share the renderer's own list.
RAW_INVISIBLE = re.compile(
    "[\u202a-\u202e\u2066-\u2069\u200b-\u200f\u061c\u2028\u2029\ufeff\x80-\x9f\U000e0000-\U000e007f]"
)
RENDERERS: dict[str, Callable[[Plan], str]] = {
    "text": render_text,
    "markdown": render_markdown,
    "json": render_json,
}


@pytest.mark.parametrize("fmt", sorted(RENDERERS))
def test_no_bidi_or_invisible_character_reaches_a_rendered_plan(fmt: str) -> None:
    rendered = RENDERERS[fmt](plans.spoofing())
    assert RAW_INVISIBLE.findall(rendered) == []
    assert "\\u202e" in rendered  # shown, as an escape, rather than dropped


def test_json_escapes_are_the_same_data() -> None:
    """JSON keeps the characters in the data (a consumer sees exactly the names) but writes them as
    \\u escapes, so the document itself displays safely."""
    plan = plans.spoofing()
    assert json.loads(render_json(plan)) == json.loads(json.dumps(plan_document(plan)))
    assert json.loads(render_json(plan))["workspace"] == f"prod{plans.RLO}dorp"


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("a\u202eb", "a\\u202eb"),
        ("\u2066x\u2069", "\\u2066x\\u2069"),
        ("zero\u200bwidth\u200d", "zero\\u200bwidth\\u200d"),
        ("\u200e\u200f\u061c", "\\u200e\\u200f\\u061c"),
        ("esc\x1b[31m", "esc\\x1b[31m"),
        ("c1\x85\x9b", "c1\\x85\\x9b"),
        ("tag\U000e0041", "tag\\U000e0041"),
        ("tab\tand\nnewline", "tab\tand\nnewline"),  # the two controls multi-line text keeps
        ("caf\u00e9 \u65e5\u672c", "caf\u00e9 \u65e5\u672c"),  # visible non-ASCII is left alone
    ],
)
def test_sanitize(raw: str, shown: str) -> None:
    assert sanitize(raw) == shown


def test_a_line_separator_inside_a_value_does_not_start_a_diff_line() -> None:
    """U+2028 and U+0085 are not line breaks to an editor; a diff must show them, not break on them."""
    lines = diff_lines("a\nb", "a\nb\u2028x\x85y")
    assert lines[-1] == "+b\\u2028x\\x85y"


def test_text_escapes_a_spoofed_field_path() -> None:
    plan = plans.spoofing()
    change = plan.changes[0].model_copy(
        update={"changes": (FieldChange(path=f"tools[a{plans.RLO}b]", after=1, kind="added"),)}
    )
    rendered = render_text(plan.model_copy(update={"changes": (change,)}))
    assert "tools[a\\u202eb]" in rendered
