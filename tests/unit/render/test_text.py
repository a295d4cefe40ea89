"""Text rendering: symbols, collapsing, drift, colour decisions, escaping, and apply reports."""

from __future__ import annotations

import ast
import io
import re
from pathlib import Path

import pytest

import reconciler.render
from reconciler.apply.report import ApplyReport, Outcome, StepResult
from reconciler.plan.definition import Action, FieldChange, Plan, Stage
from reconciler.plan.payloads import AssistantPayload
from reconciler.render.report import render_apply_report
from reconciler.render.text import NO_CHANGES, render_text, should_color
from tests.unit.render import plans

ESC = "\x1b["


class FakeStream(io.StringIO):
    def __init__(self, tty: bool) -> None:
        super().__init__()
        self._tty = tty

    def isatty(self) -> bool:
        return self._tty


@pytest.mark.parametrize(
    ("tty", "environ", "expected"),
    [
        (True, {}, True),
        (False, {}, False),
        (True, {"NO_COLOR": "1"}, False),
        (True, {"NO_COLOR": "anything"}, False),
        (True, {"NO_COLOR": ""}, True),  # no-color.org: only a non-empty value disables colour
        (True, {"TERM": "dumb"}, False),
        (True, {"TERM": "xterm-256color"}, True),
    ],
)
def test_should_color(tty: bool, environ: dict[str, str], expected: bool) -> None:
    assert should_color(FakeStream(tty), environ) is expected


def test_should_color_without_isatty_is_false() -> None:
    assert should_color(object(), {}) is False  # type: ignore[arg-type]


def test_color_off_has_no_escape_codes_and_on_colours_each_action() -> None:
    plan = plans.mixed()
    assert ESC not in render_text(plan, color=False)
    coloured = render_text(plan, color=True)
    assert "\x1b[32m  +\x1b[0m Assistant/CorporateAssist" in coloured
    assert "\x1b[33m  ~\x1b[0m SpendAlert/monthly" in coloured
    assert "\x1b[31m  -\x1b[0m Assistant/Legacy" in coloured
    assert "\x1b[35m-/+\x1b[0m File/docs/rules.md" in coloured


def test_resource_headers_and_reasons() -> None:
    text = render_text(plans.mixed())
    assert "-/+ File/docs/rules.md  # (content changed (sha256 differs); files are immutable)" in text
    assert "  - VectorStoreFile/Policies/docs/old.md  # (removed from the manifests)" in text
    assert "  + Assistant/CorporateAssist  # (behaviour changed: new immutable version)" in text


def test_field_changes_use_terraform_forms() -> None:
    text = render_text(plans.update_assistant())
    assert '      ~ model: "gpt-4o" -> "gpt-4.1"' in text
    assert re.search(r'^      - metadata\.owner +  = "it"$', text, re.MULTILINE)  # padded: `=` signs align
    assert "      + tools[create_meeting].parameters.properties.location = {" in text
    # Multiline instructions become a unified diff, not a one-line before -> after.
    assert "          -Book meetings with create_meeting when asked." in text
    assert "          +Book meetings (with a location) with create_meeting when asked." in text
    assert "           Never share salary data." in text


def test_unchanged_attributes_are_collapsed_and_counted() -> None:
    text = render_text(plans.update_assistant())
    # 12 spec attributes; model, instructions, tools and metadata changed.
    assert "# (8 unchanged attributes hidden)" in text
    assert "temperature" not in text


def test_singular_collapsed_attribute() -> None:
    plan = Plan(
        workspace="w",
        changes=(
            plans.change(
                "SpendLimit/p",
                Stage.SPEND,
                Action.UPDATE,
                "limit changed",
                spec={"amount_cents": 2, "interval": "month"},
                changes=(FieldChange(path="amount_cents", before=1, after=2),),
            ),
        ),
    )
    assert "# (1 unchanged attribute hidden)" in render_text(plan)


def test_noop_resources_are_hidden_but_counted() -> None:
    text = render_text(plans.noop_only())
    assert "Assistant/CorporateAssist" not in text
    assert "(2 unchanged resources not shown)" in text
    assert text.endswith(NO_CHANGES + "\n")


def test_adopted_noop_is_shown() -> None:
    text = render_text(plans.mixed())
    assert " <= VectorStore/Policies" in text
    assert "VectorStore/Archive" not in text


def test_an_adopt_only_plan_counts_its_adoptions_and_is_not_no_changes() -> None:
    text = render_text(plans.adopt_only())
    assert NO_CHANGES not in text
    assert " <= Assistant/CorporateAssist" in text and "(1 unchanged resource not shown)" in text
    assert text.endswith("Plan: 0 to add, 0 to change, 0 to replace, 0 to destroy, 2 to adopt.\n")


def test_empty_plan_is_one_line() -> None:
    assert render_text(plans.empty()) == NO_CHANGES + "\n"


def test_summary_line() -> None:
    assert render_text(plans.mixed()).endswith(
        "Plan: 1 to add, 2 to change, 2 to replace, 2 to destroy, 1 to adopt.\n"
    )


def test_drift_section() -> None:
    text = render_text(plans.drift_only())
    assert "Objects changed outside reconciler since the last apply:" in text
    assert "  ~ Assistant/CorporateAssist (asst_1)  # (metadata edited outside reconciler)" in text
    assert '      + metadata.note = "hand edit"' in text


def test_create_from_root_change_lists_each_attribute() -> None:
    text = render_text(plans.create_all())
    assert "      + threshold_cents = 50000" in text
    assert "subject_prefix" not in text  # null attributes of a new object say nothing


def test_version_verdict_and_protect_notes() -> None:
    text = render_text(plans.mixed())
    assert "# version 2 (parent 1, immutable)" in text
    assert "# compatibility: breaks the backward policy; accepted: partners migrated in ticket OPS-12" in text
    assert "#     OBJ-06 at /required: required property 'location' added" in text
    assert "# protected: apply will refuse to delete this object" in text


def test_terminal_escapes_in_user_strings_are_neutralised() -> None:
    text = render_text(plans.hostile(), color=False)
    assert "\x1b" not in text
    assert "\\x1b[31mred" in text


def _env_reads(tree: ast.AST) -> int:
    return sum(
        1
        for node in ast.walk(tree)
        if (isinstance(node, ast.Attribute) and node.attr in {"environ", "getenv"})
        or (isinstance(node, ast.Name) and node.id in {"environ", "getenv"})
    )


def test_only_should_color_reads_the_environment() -> None:
    """Renderers take what they need as arguments; the one exception reads NO_COLOR and TERM only."""
    root = Path(reconciler.render.__file__).parent
    for source in sorted(root.glob("*.py")):
        tree = ast.parse(source.read_text(encoding="utf-8"))
        allowed = [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef) and n.name == "should_color"]
        assert _env_reads(tree) == sum(_env_reads(f) for f in allowed), source
    text = (root / "text.py").read_text(encoding="utf-8")
    assert set(re.findall(r'env\.get\("([A-Z_]+)"', text)) == {"NO_COLOR", "TERM"}


def report() -> ApplyReport:
    return ApplyReport(
        plan_id="p1",
        apply_id="a1",
        steps=[
            StepResult("VectorStore/Policies", "create", Outcome.DONE, "vs_1"),
            StepResult("Assistant/Old", "delete", Outcome.DONE, "asst_0"),
            StepResult(
                "Assistant/CorporateAssist", "update", Outcome.FAILED, "asst_1", error="500\nboom \x1b[2J"
            ),
            StepResult("File/docs/a.md", "create", Outcome.SKIPPED, "file_1"),
        ],
        retries=1,
    )


def test_apply_report_lines_and_failure_summary() -> None:
    text = render_apply_report(report())
    assert "  + VectorStore/Policies: created (vs_1)" in text
    assert "  - Assistant/Old: destroyed (asst_0)" in text
    assert "  ~ Assistant/CorporateAssist: failed (asst_1): 500 boom \\x1b[2J" in text
    assert "  + File/docs/a.md: already done (file_1)" in text
    assert "1 temporary error retried." in text
    assert "Apply failed: 1 step failed. Resources: 1 added, 0 changed, 0 replaced, 1 destroyed." in text
    assert "\x1b" not in text


def test_apply_report_success_and_colour() -> None:
    ok = ApplyReport(plan_id="p", apply_id=None, steps=[StepResult("A/b", "replace", Outcome.DONE, "x")])
    text = render_apply_report(ok)
    assert "-/+ A/b: replaced (x)" in text
    assert text.endswith("Apply complete! Resources: 0 added, 0 changed, 1 replaced, 0 destroyed.\n")
    assert "\x1b[32mApply complete!\x1b[0m" in render_apply_report(ok, color=True)


def test_apply_report_counts_adoptions() -> None:
    steps = [StepResult("A/b", "no-op", Outcome.DONE, "x", note="adopted")]
    text = render_apply_report(ApplyReport(plan_id="p", apply_id=None, steps=steps))
    assert "  * A/b: adopted (x)" in text
    assert text.endswith("Resources: 0 added, 0 changed, 0 replaced, 0 destroyed, 1 adopted.\n")


def test_apply_report_dry_run() -> None:
    dry = ApplyReport(
        plan_id="p", apply_id=None, dry_run=True, steps=[StepResult("A/b", "create", Outcome.PLANNED)]
    )
    text = render_apply_report(dry)
    assert "  + A/b: would create" in text
    assert "Dry run: nothing applied. Resources: 1 added" in text


def test_a_finding_at_the_schema_root_names_the_root_not_a_blank() -> None:
    """A root-level finding (pointer "") read `STRICT-OFF at : ...` in text and Markdown."""
    from reconciler.render.markdown import render_markdown

    plan = plans.update_assistant()
    verdict = plans.schema_change_verdict(None)
    finding = {"pointer": "", "rule": "STRICT-OFF", "message": "strict mode turned off"}
    verdict["tools"]["create_meeting"]["findings"] = [finding]
    first = plan.changes[0].model_copy(
        update={"payload": AssistantPayload.model_validate({"verdict": verdict})}
    )
    plan = plan.model_copy(update={"changes": (first, *plan.changes[1:])})
    for rendered in (render_text(plan, color=False), render_markdown(plan)):
        assert "OFF at the schema root: strict mode turned off" in rendered  # Markdown writes STRICT\\-OFF
        assert " at : " not in rendered
