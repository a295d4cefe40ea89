"""`spec.rollout` of an Assistant: the four step actions, background analysis and onAbort, each rule failing
at its file:line:col, and what a valid rollout builds into (model.rollouts)."""

from __future__ import annotations

from pathlib import Path

from reconciler.manifest import load_project, validate_project
from reconciler.model.rollouts import (
    AnalysisRef,
    AnswerMatches,
    BackgroundAnalysis,
    CallsTool,
    CanaryStep,
    CostBelow,
    NoError,
    Rollout,
    SmokeCheck,
)

from .conftest import Write, doc

TOOL = doc("FunctionTool", "book", "description: Book a room.")
# `tool` is needed, `window` has a default; `forever` runs until the rollout ends (background only).
TEMPLATES = "\n---\n".join(
    [
        doc(
            "AnalysisTemplate",
            "health",
            """args: [{name: tool}, {name: window, value: 5m}]
metrics:
  - name: errors
    provider: {builtin: {metric: error_rate}}
    failureCondition: result.canary > result.stable""",
        ),
        doc(
            "AnalysisTemplate",
            "forever",
            """metrics:
  - name: responses
    count: 0
    provider: {builtin: {metric: responses}}
    successCondition: result.canary_samples >= 0""",
        ),
    ]
)
HEAD = "model: gpt-5.5-2026-04-23\ninstructions: Help.\ntools: [book]\nrollout:\n  strategy: canary\n"


def _errors(project: Path, write: Write, rollout: str) -> list[str]:
    """The errors of an assistant whose spec is HEAD then `rollout` (indented under `rollout:`); its
    line N (1-based) is file line 10 + N."""
    write("tools.yaml", TOOL + "---\n" + TEMPLATES)
    body = "\n".join("  " + line for line in rollout.strip("\n").splitlines())
    write("a.yaml", doc("Assistant", "A", HEAD + body))
    return [str(p) for p in validate_project(project).errors]


def test_a_full_rollout_builds_into_the_model(project: Path, write: Write) -> None:
    rollout = """onAbort: keep
steps:
  - smoke:
      - name: books
        turns: ["/call book {}", "thanks"]
        toolOutputs: {book: '{"ok": true}'}
        expect:
          - calls: book
          - {calls: book, validArguments: false}
          - answerMatches: "^tool result"
          - noError: true
          - costBelowUSD: 0.05
  - weight: 5
  - pause: 90s
  - analysis:
      templates: [{templateName: health}]
      args: [{name: tool, value: book}]
  - weight: 5
  - pause: 2h
  - weight: 60
  - pause: indefinite
analysis:
  templates: [{templateName: forever}, {templateName: health}]
  args: [{name: tool, value: book}, {name: window, value: 1m}]
  startingStep: 1"""
    assert _errors(project, write, rollout) == []
    built = load_project(project).desired.assistants["A"].rollout
    smoke = SmokeCheck(
        name="books",
        turns=("/call book {}", "thanks"),
        expect=(
            CallsTool(tool="book"),
            CallsTool(tool="book", valid_arguments=False),
            AnswerMatches(pattern="^tool result"),
            NoError(),
            CostBelow(usd=0.05),
        ),
        tool_outputs={"book": '{"ok": true}'},
    )
    # The last weight may stay below 100: the rollout promotes at its end, as Argo Rollouts does.
    assert built == Rollout(
        strategy="canary",
        steps=(
            CanaryStep(smoke=(smoke,)),
            CanaryStep(weight=5),
            CanaryStep(pause_seconds=90),
            CanaryStep(analysis=AnalysisRef(templates=("health",), args={"tool": "book"})),
            CanaryStep(weight=5),
            CanaryStep(pause_seconds=7200),
            CanaryStep(weight=60),
            CanaryStep(pause_indefinitely=True),
        ),
        analysis=BackgroundAnalysis(
            templates=("forever", "health"), args={"tool": "book", "window": "1m"}, starting_step=1
        ),
        on_abort="keep",
    )
    assert [s.kind for s in built.steps] == [
        "smoke",
        "weight",
        "pause",
        "analysis",
        "weight",
        "pause",
        "weight",
        "pause",
    ]


def test_without_a_rollout_the_assistant_rolls_out_immediately(project: Path, write: Write) -> None:
    write("a.yaml", doc("Assistant", "A", "model: gpt-5.5-2026-04-23\ninstructions: Help."))
    assert load_project(project).desired.assistants["A"].rollout == Rollout()


def test_a_step_is_exactly_one_action_and_says_which_were_given(project: Path, write: Write) -> None:
    rollout = """steps:
  - weight: 10
  - {pause: 1h, analysis: {templates: [{templateName: health}], args: [{name: tool, value: x}]}}
  - {}"""
    assert _errors(project, write, rollout) == [
        "a.yaml:13:9: error: spec.rollout.steps[1]: a step is exactly one of weight, pause, analysis or "
        "smoke; this gives pause and analysis [rollout.step]",
        "a.yaml:14:9: error: spec.rollout.steps[2]: a step is exactly one of weight, pause, analysis or "
        "smoke; this gives none of them [rollout.step]",
    ]


def test_weights_never_go_down_and_a_canary_needs_one(project: Path, write: Write) -> None:
    going_down = "steps:\n  - weight: 50\n  - pause: 5m\n  - weight: 20\n  - weight: 40\n  - weight: 50"
    assert _errors(project, write, going_down) == [
        "a.yaml:14:17: error: spec.rollout.steps[2].weight: 20 is below 50 (steps[0]); a canary's weight "
        "never goes down [rollout.weight-down]",
        "a.yaml:15:17: error: spec.rollout.steps[3].weight: 40 is below 50 (steps[0]); a canary's weight "
        "never goes down [rollout.weight-down]",
    ]
    assert _errors(project, write, "steps:\n  - pause: 5m") == [
        "a.yaml:12:7: error: spec.rollout.steps: a canary needs at least one weight step (weight: N) "
        "[rollout.no-weight]"
    ]


def test_background_analysis_starts_within_the_steps(project: Path, write: Write) -> None:
    rollout = """steps: [{weight: 10}, {weight: 100}]
analysis:
  templates: [{templateName: forever}]
  startingStep: 2"""
    assert _errors(project, write, rollout) == [
        "a.yaml:14:21: error: spec.rollout.analysis.startingStep: 2 is past the last step (steps[1]; "
        "steps count from 0) [rollout.starting-step]"
    ]


def test_on_abort_is_keep_or_stable(project: Path, write: Write) -> None:
    assert _errors(project, write, "onAbort: never\nsteps: [{weight: 10}]") == [
        "a.yaml:11:14: error: spec.rollout.onAbort: Input should be 'keep' or 'stable', got 'never' "
        "[field.type]"
    ]


def test_analysis_names_templates_that_exist_with_exactly_their_args(project: Path, write: Write) -> None:
    rollout = """steps:
  - weight: 10
  - analysis: {templates: [{templateName: helth}]}
  - analysis: {templates: [{templateName: health}], args: [{name: tol, value: book}]}
  - analysis: {templates: [{templateName: forever}]}"""
    assert _errors(project, write, rollout) == [
        "a.yaml:13:47: error: spec.rollout.steps[1].analysis.templates[0].templateName: no AnalysisTemplate "
        "named 'helth'; did you mean 'health'? [ref.dangling]",
        "a.yaml:14:19: error: spec.rollout.steps[2].analysis: template 'health' needs arg 'tool' (it has no "
        "default) [analysis.missing-arg]",
        "a.yaml:14:71: error: spec.rollout.steps[2].analysis.args[0].name: no template here declares arg "
        "'tol' (declared: tool, window) [analysis.unknown-arg]",
        "a.yaml:15:47: error: spec.rollout.steps[3].analysis.templates[0].templateName: 'forever' measures "
        "'responses' with count 0 (until the rollout ends), which only background analysis "
        "(spec.rollout.analysis) runs [analysis.count-zero]",
    ]


def test_a_template_that_failed_to_load_is_not_called_missing(project: Path, write: Write) -> None:
    write("t.yaml", doc("AnalysisTemplate", "broken", "metrics: []"))
    errors = _errors(
        project, write, "steps:\n  - weight: 10\n  - analysis: {templates: [{templateName: broken}]}"
    )
    assert errors == [
        "t.yaml:6:12: error: spec.metrics: List should have at least 1 item after validation, not 0 "
        "[field.invalid]"
    ]


def test_smoke_expectations_are_one_claim_each(project: Path, write: Write) -> None:
    rollout = """steps:
  - smoke:
      - name: s
        turns: [hi]
        expect:
          - {calls: book, noError: true}
          - validArguments: false
          - noError: false
          - answerMatches: "[a-"
  - weight: 100"""
    assert _errors(project, write, rollout) == [
        "a.yaml:16:17: error: spec.rollout.steps[0].smoke[0].expect[0]: an expectation is exactly one of "
        "calls, answerMatches, noError or costBelowUSD; this gives calls and noError [rollout.expectation]",
        "a.yaml:17:17: error: spec.rollout.steps[0].smoke[0].expect[1].validArguments: goes with calls "
        "(whose arguments it judges) [rollout.expectation]",
        "a.yaml:18:26: error: spec.rollout.steps[0].smoke[0].expect[2].noError: false expects nothing; write "
        "noError: true or remove it [rollout.expectation]",
        "a.yaml:19:32: error: spec.rollout.steps[0].smoke[0].expect[3].answerMatches: not a regular "
        "expression: unterminated character set at position 0 [rollout.regex]",
    ]


def test_smoke_checks_name_function_tools_the_assistant_has(project: Path, write: Write) -> None:
    rollout = """steps:
  - smoke:
      - name: s
        turns: [hi]
        expect: [{calls: file_search}, {calls: book}]
        toolOutputs: {cancel: "{}"}
      - name: s
        turns: [hi]
        expect: [{costBelowUSD: 0.5}]
  - weight: 100"""
    assert _errors(project, write, rollout) == [
        "a.yaml:15:30: error: spec.rollout.steps[0].smoke[0].expect[0].calls: the assistant has no function "
        "tool 'file_search' (its functions: book) [rollout.smoke-tool]",
        "a.yaml:16:27: error: spec.rollout.steps[0].smoke[0].toolOutputs.cancel: the assistant has no "
        "function tool 'cancel' (its functions: book) [rollout.smoke-tool]",
        "a.yaml:17:19: error: spec.rollout.steps[0].smoke[1].name: smoke check 's' is named twice (first at "
        "spec.rollout.steps[0].smoke[0]) [rollout.smoke-duplicate]",
    ]


def test_smoke_calls_use_the_function_name_not_the_document_name(project: Path, write: Write) -> None:
    write("t.yaml", doc("FunctionTool", "booking-tool", "name: book_room\ndescription: Book a room."))
    spec = """model: gpt-5.5-2026-04-23
instructions: Help.
tools: [booking-tool]
rollout:
  strategy: canary
  steps:
    - smoke: [{name: s, turns: [hi], expect: [{calls: book_room}, {calls: booking-tool}]}]
    - weight: 100"""
    write("a.yaml", doc("Assistant", "A", spec))
    assert [str(p) for p in validate_project(project).errors] == [
        "a.yaml:12:77: error: spec.rollout.steps[0].smoke[0].expect[1].calls: the assistant has no function "
        "tool 'booking-tool' (its functions: book_room) [rollout.smoke-tool]"
    ]


def test_a_tool_that_failed_to_load_leaves_smoke_calls_unjudged(project: Path, write: Write) -> None:
    write("t.yaml", doc("FunctionTool", "book", 'strict: "true"'))
    spec = HEAD + "  steps:\n    - smoke: [{name: s, turns: [hi], expect: [{calls: book}]}]\n    - weight: 9"
    write("a.yaml", doc("Assistant", "A", spec))
    assert [p.code for p in validate_project(project).errors] == ["field.type"]


def test_only_a_canary_has_steps_analysis_and_on_abort(project: Path, write: Write) -> None:
    spec = """model: gpt-5.5-2026-04-23
instructions: Help.
rollout:
  onAbort: stable
  steps: [{weight: 10}]
  analysis: {templates: [{templateName: forever}]}"""
    write("t.yaml", TEMPLATES)
    write("a.yaml", doc("Assistant", "A", spec))
    assert [str(p) for p in validate_project(project).errors] == [
        "a.yaml:9:5: error: spec.rollout.onAbort: only a canary has onAbort [rollout.canary-only]",
        "a.yaml:10:12: error: spec.rollout.steps: only a canary has steps [rollout.steps]",
        "a.yaml:11:5: error: spec.rollout.analysis: only a canary has analysis [rollout.canary-only]",
    ]


def test_an_assistant_that_failed_to_load_has_its_templates_checked(project: Path, write: Write) -> None:
    spec = """model: gpt-5.5-2026-04-23
instructions: Help.
temperature: hot
rollout:
  strategy: canary
  steps: [{weight: 10}, {analysis: {templates: [{templateName: forever}, {templateName: nope}]}}]
  analysis: {templates: [{templateName: helth}]}"""
    write("t.yaml", TEMPLATES)
    write("a.yaml", doc("Assistant", "A", spec))
    assert [str(p) for p in validate_project(project).errors] == [
        "a.yaml:8:16: error: spec.temperature: Input should be a valid number, got 'hot' [field.type]",
        "a.yaml:11:91: error: spec.rollout.steps[1].analysis.templates[1].templateName: no AnalysisTemplate "
        "named 'nope' [ref.dangling]",
        "a.yaml:12:43: error: spec.rollout.analysis.templates[0].templateName: no AnalysisTemplate named "
        "'helth'; did you mean 'health'? [ref.dangling]",
    ]
