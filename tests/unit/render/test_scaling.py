"""Issue 12 item 14 (very large inputs): a plan renders in time proportional to its size.

A change between two large, similar values (the JSON of a big tool schema) was rendered with difflib's
matcher, whose time grows quadratically or worse when many lines look alike: 4,000 properties took ~25 s
per format, 20,000 would take hours. Past `DIFF_MAX_LINES` changed lines a diff is one replacing hunk.
"""

from __future__ import annotations

import difflib
import time
from typing import Any

from reconciler.plan.definition import Action, FieldChange, Plan, Stage
from reconciler.render import values
from reconciler.render.markdown import render_markdown
from reconciler.render.text import render_text
from reconciler.render.values import diff_lines
from tests.unit.render.plans import CREATED_AT, change


def _schema(properties: int, tag: str) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": {f"p{i}": {"type": "string", "description": f"{tag} {i}"} for i in range(properties)},
    }


def test_a_plan_with_a_large_changed_value_renders_quickly() -> None:
    before, after = _schema(4_000, "old"), _schema(4_000, "new")
    plan = Plan(
        workspace="default",
        plan_id="p-large",
        created_at=CREATED_AT,
        changes=(
            change(
                "Assistant/Big",
                Stage.ASSISTANTS,
                Action.UPDATE,
                "schema rewritten",
                platform_id="asst_big",
                spec={"name": "Big"},
                changes=(FieldChange(path="tools[big].parameters", before=before, after=after),),
            ),
        ),
    )
    started = time.monotonic()
    text = render_text(plan)
    render_markdown(plan)
    elapsed = time.monotonic() - started
    assert elapsed < 5.0, f"rendering took {elapsed:.1f} s"
    assert '-      "description": "old 3999"' in text
    assert '+      "description": "new 3999"' in text


def test_a_large_diff_is_one_hunk_replacing_the_middle() -> None:
    limit = values.DIFF_MAX_LINES
    old = "\n".join(["head", *(f"old {i}" for i in range(limit)), "tail"])
    new = "\n".join(["head", *(f"new {i}" for i in range(limit)), "tail"])
    lines = diff_lines(old, new)
    assert lines[0] == f"@@ -1,{limit + 2} +1,{limit + 2} @@"
    assert lines[1] == " head" and lines[-1] == " tail"
    assert lines[2:-1] == [f"-old {i}" for i in range(limit)] + [f"+new {i}" for i in range(limit)]


def test_a_small_diff_is_still_difflib_s() -> None:
    old = "\n".join(f"line {i}" for i in range(50))
    new = old.replace("line 25", "changed 25")
    expected = list(difflib.unified_diff(old.split("\n"), new.split("\n"), n=2, lineterm=""))[2:]
    assert diff_lines(old, new) == expected
