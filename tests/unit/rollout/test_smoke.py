"""rollout.smoke: each expectation passing and failing on a transcript, strict and open schemas, arguments
that are not JSON, an unknown price, and `run_smoke` gathering every check into one report the canary
controller takes."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from typing import Any

import pytest

from reconciler.errors import UserError
from reconciler.model.prices import PRICES
from reconciler.model.rollouts import AnswerMatches, CallsTool, CostBelow, Expectation, NoError, SmokeCheck
from reconciler.model.stored import VersionRecord
from reconciler.rollout.smoke import argument_problem, judge, run_smoke
from reconciler.targets.smoke_transcript import SmokeFailure, SmokeTranscript, ToolCallSeen

STRICT = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "title": {"type": "string"},
        "duration_minutes": {"type": "integer", "minimum": 5, "maximum": 480},
    },
    "required": ["title", "duration_minutes"],
}
OPEN = {"type": "object", "properties": {"title": {"type": "string"}}, "required": ["title"]}
SCHEMAS = {"create_meeting": STRICT, "note": OPEN}
GOOD = '{"duration_minutes":30,"title":"Budget review"}'
GPT_4O = PRICES["gpt-4o"]


def transcript(**fields: Any) -> SmokeTranscript:
    base = SmokeTranscript(
        check="book",
        conversation="conv_1",
        turns=1,
        model="gpt-4o-2024-08-06",
        tool_calls=(ToolCallSeen(0, "create_meeting", GOOD),),
        answers=("Booked: mtg_001",),
        input_tokens=1000,
        output_tokens=100,
    )
    return replace(base, **fields)


def verdict(expectation: Expectation, seen: SmokeTranscript | None = None, price: Any = GPT_4O) -> Any:
    check = SmokeCheck(name="book", turns=("book it",), expect=(expectation,))
    (only,) = judge(check, seen or transcript(), SCHEMAS, price).verdicts
    return only


# -- calls -----------------------------------------------------------------------------------------------


def test_calls_passes_when_the_tool_was_called_with_valid_arguments() -> None:
    seen = verdict(CallsTool(tool="create_meeting"))
    assert seen.passed
    assert seen.expectation == "calls create_meeting with valid arguments"
    assert "called 1 time" in seen.detail and "Budget review" in seen.detail


def test_calls_fails_when_the_tool_was_not_called_and_says_what_happened_instead() -> None:
    seen = verdict(CallsTool(tool="list_expenses"))
    assert not seen.passed
    assert "list_expenses was not called (it called create_meeting)" in seen.detail
    assert "Booked: mtg_001" in seen.detail  # what the model said instead


def test_calls_fails_on_arguments_the_schema_rejects_and_shows_them() -> None:
    bad = '{"duration_minutes":3,"title":"Budget review"}'
    calls = (ToolCallSeen(0, "create_meeting", GOOD), ToolCallSeen(1, "create_meeting", bad))
    seen = verdict(CallsTool(tool="create_meeting"), transcript(tool_calls=calls, turns=2))
    assert not seen.passed
    assert "call 2 of 2 (turn 2)" in seen.detail
    assert f"with {bad}: at /duration_minutes" in seen.detail
    assert "at /duration_minutes: 3 is less than the minimum of 5" in seen.detail


def test_calls_without_valid_arguments_only_asks_for_the_call() -> None:
    calls = (ToolCallSeen(0, "create_meeting", '{"duration_minutes":3}'),)
    seen = verdict(CallsTool(tool="create_meeting", valid_arguments=False), transcript(tool_calls=calls))
    assert seen.passed
    assert seen.expectation == "calls create_meeting"


def test_a_strict_schema_refuses_an_extra_key_and_an_open_one_takes_it() -> None:
    extra = '{"duration_minutes":30,"room":"A","title":"x"}'
    assert argument_problem(extra, STRICT) == (
        "at /: Additional properties are not allowed ('room' was unexpected)"
    )
    assert argument_problem('{"room":"A","title":"x"}', OPEN) is None


def test_arguments_that_are_not_json_fail_without_crashing() -> None:
    calls = (ToolCallSeen(0, "create_meeting", '{"title": "x",'),)
    seen = verdict(CallsTool(tool="create_meeting"), transcript(tool_calls=calls))
    assert not seen.passed
    assert "the arguments are not JSON" in seen.detail
    assert argument_problem("[1, 2]", STRICT) == "the arguments are not a JSON object"


def test_a_tool_the_version_does_not_have_cannot_be_checked() -> None:
    calls = (ToolCallSeen(0, "send_email", "{}"),)
    seen = verdict(CallsTool(tool="send_email"), transcript(tool_calls=calls))
    assert not seen.passed
    assert "send_email is not a function tool of this version" in seen.detail


def test_a_schema_is_never_fetched_from_elsewhere() -> None:
    remote = {"type": "object", "properties": {"a": {"$ref": "https://example.com/a.json"}}}
    problem = argument_problem('{"a": 1}', remote)
    assert problem is not None and "refers to something it does not contain" in problem


def test_a_broken_schema_is_reported_not_raised() -> None:
    problem = argument_problem("{}", {"type": "objekt"})
    assert problem is not None and "not valid JSON Schema 2020-12" in problem


# -- answer_matches -------------------------------------------------------------------------------------


def test_answer_matches_searches_the_last_answer() -> None:
    seen = verdict(AnswerMatches(pattern=r"mtg_\d+"))
    assert seen.passed
    assert seen.expectation == r"answer matches /mtg_\d+/"
    assert seen.detail == 'last answer "Booked: mtg_001"'


def test_answer_matches_fails_and_shows_the_answer() -> None:
    seen = verdict(AnswerMatches(pattern="^Cancelled"))
    assert not seen.passed
    assert seen.detail == 'last answer "Booked: mtg_001" does not match'


def test_answer_matches_fails_when_the_last_turn_was_not_answered() -> None:
    failed = transcript(turns=2, failures=(SmokeFailure(1, "failed", "server_error: down"),))
    seen = verdict(AnswerMatches(pattern="mtg"), failed)
    assert not seen.passed
    assert "the last turn has no answer: turn 2: failed: server_error: down" in seen.detail


def test_an_invalid_pattern_is_judged_failed_not_raised() -> None:
    seen = verdict(AnswerMatches(pattern="(unclosed"))
    assert not seen.passed
    assert seen.detail.startswith("the pattern is not a valid regular expression: missing )")


# -- no_error -------------------------------------------------------------------------------------------


def test_no_error_passes_when_every_turn_was_answered() -> None:
    seen = verdict(NoError())
    assert (seen.passed, seen.expectation, seen.detail) == (True, "no error", "1 turn answered")


def test_no_error_fails_with_the_platforms_error() -> None:
    failed = transcript(answers=(), failures=(SmokeFailure(0, "failed", "server_error: The model failed."),))
    seen = verdict(NoError(), failed)
    assert not seen.passed
    assert seen.detail == "turn 1: failed: server_error: The model failed."


# -- cost_below -----------------------------------------------------------------------------------------


def test_cost_below_prices_the_tokens_and_passes_under_the_limit() -> None:
    # 1000 input at $2.50/M + 100 output at $10/M = $0.0035.
    seen = verdict(CostBelow(usd=0.01))
    assert seen.passed
    assert seen.expectation == "cost below $0.01"
    assert seen.detail.startswith("cost $0.0035: 1000 input (0 cached) and 100 output tokens of gpt-4o-2024")


def test_cost_below_fails_at_or_over_the_limit() -> None:
    seen = verdict(CostBelow(usd=0.0035))
    assert not seen.passed
    assert seen.detail.startswith("cost $0.0035 is not below $0.0035")


def test_cached_tokens_are_billed_at_the_cached_rate() -> None:
    # 1000 input of which 1000 cached at $1.25/M + 100 output at $10/M = $0.00225.
    seen = verdict(CostBelow(usd=0.0023), transcript(cached_input_tokens=1000))
    assert seen.passed and seen.detail.startswith("cost $0.00225")


def test_an_unknown_price_fails_never_counts_as_free() -> None:
    seen = verdict(CostBelow(usd=1000.0), transcript(model="my-fine-tune"), price=None)
    assert not seen.passed
    assert seen.detail == "price unknown for model my-fine-tune: the cost cannot be checked"


# -- run_smoke ------------------------------------------------------------------------------------------


class FakeSmoke:
    """A target's smoke runner that answers from a script, and counts schema reads."""

    def __init__(self, transcripts: dict[str, SmokeTranscript]) -> None:
        self.transcripts = transcripts
        self.schema_reads = 0

    def converse(self, version: VersionRecord, check: SmokeCheck) -> SmokeTranscript:
        return self.transcripts[check.name]

    def function_schemas(self, version: VersionRecord) -> dict[str, dict[str, Any]]:
        self.schema_reads += 1
        return {"create_meeting": STRICT}


class FakeTarget:
    def __init__(self, smoke: FakeSmoke | None) -> None:
        self.name = "local"
        self.smoke = smoke


VERSION = VersionRecord(assistant="CorporateAssist", number=2, platform_id="bndl_2", fingerprint="f" * 64)


def test_run_smoke_gathers_every_check_and_names_the_first_failure() -> None:
    bad = '{"duration_minutes":3,"title":"x"}'
    runner = FakeSmoke(
        {
            "good": transcript(check="good"),
            "bad": transcript(check="bad", tool_calls=(ToolCallSeen(0, "create_meeting", bad),)),
        }
    )
    checks = [
        SmokeCheck(name="good", turns=("a",), expect=(CallsTool(tool="create_meeting"), NoError())),
        SmokeCheck(name="bad", turns=("b",), expect=(CallsTool(tool="create_meeting"), CostBelow(usd=1.0))),
    ]
    report = run_smoke(FakeTarget(runner), VERSION, checks)
    assert runner.schema_reads == 1
    assert [r.passed for r in report.results] == [True, False]
    assert not report.passed
    outcome = report.outcome()
    assert not outcome.passed
    assert outcome.summary.startswith('check "bad": calls create_meeting with valid arguments: call 1 of 1')
    assert f"with {bad}: at /duration_minutes" in outcome.summary
    assert report.lines()[0] == 'check "good" in conv_1: passed'
    assert any(line.startswith("  FAILED calls create_meeting") for line in report.lines())


def test_run_smoke_passes_with_a_count_and_reads_no_schema_it_does_not_need() -> None:
    runner = FakeSmoke({"hello": transcript(check="hello", tool_calls=())})
    checks = [SmokeCheck(name="hello", turns=("hi",), expect=(NoError(), AnswerMatches(pattern="mtg")))]
    report = run_smoke(FakeTarget(runner), VERSION, checks)
    assert runner.schema_reads == 0
    assert report.outcome().passed
    assert report.summary() == "1 smoke check passed on CorporateAssist version 2"


def test_a_target_without_a_smoke_runner_is_refused() -> None:
    with pytest.raises(UserError, match="target local cannot run smoke checks"):
        run_smoke(FakeTarget(None), VERSION, [SmokeCheck(name="x", turns=("hi",))])


def test_a_unit_price_that_is_exact() -> None:
    """Decimal, so a threshold at the exact cost is not below it (no float rounding either way)."""
    exact = transcript(input_tokens=400, output_tokens=0)  # 400 * 2.50 / 1M = 0.001
    assert not verdict(CostBelow(usd=0.001), exact).passed
    assert verdict(CostBelow(usd=0.0010001), exact).passed
    assert Decimal("0.001") == GPT_4O.input * 400 / Decimal(1_000_000)
