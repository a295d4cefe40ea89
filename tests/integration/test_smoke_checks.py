"""Issue 16 item 5 end to end: smoke checks run on the candidate version through the real openai SDK
against the local platform, on both flavours (a release bundle called with `responses.create`; a platform
assistant called through a thread and runs). A good check passes; a `/call create_meeting` whose
arguments the tool's strict schema rejects fails `calls create_meeting with valid arguments`, showing the
arguments; `/fail` fails `no error` with the platform's message. The cost the judge computes is the one
the platform charged for the same conversation."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from decimal import Decimal

import pytest

from reconciler import service
from reconciler.emulator import EmulatorApp, EmulatorConfig, usage
from reconciler.emulator import pricing as emulator_pricing
from reconciler.model.prices import cost_usd, price_of
from reconciler.model.rollouts import AnswerMatches, CallsTool, CostBelow, NoError, SmokeCheck
from reconciler.model.stored import VersionRecord
from reconciler.rollout.smoke import SmokeReport, run_smoke
from tests.integration.support import APIS, apply_project, make_project, sdk, transport

pytestmark = pytest.mark.filterwarnings("ignore:.*deprecated:DeprecationWarning")

NAME = "CorporateAssist"
MEETING = {
    "title": "Budget review",
    "start": "2026-12-08T10:00:00+01:00",
    "duration_minutes": 30,
    "attendees": ["ana@example.com"],
}
TOO_SHORT = {**MEETING, "duration_minutes": 3}  # the schema's minimum is 5

GOOD = SmokeCheck(
    name="books a meeting",
    turns=(f"/call create_meeting {json.dumps(MEETING)}", "thanks"),
    tool_outputs={"create_meeting": '{"meeting_id": "mtg_001"}'},
    expect=(
        CallsTool(tool="create_meeting"),
        AnswerMatches(pattern="^echo: thanks$"),
        NoError(),
        CostBelow(usd=0.05),
    ),
)
BAD_ARGUMENTS = SmokeCheck(
    name="too short a meeting",
    turns=(f"/call create_meeting {json.dumps(TOO_SHORT)}",),
    expect=(CallsTool(tool="create_meeting"), NoError()),
)
FAILS = SmokeCheck(name="model down", turns=("/fail the model is down",), expect=(NoError(),))


@pytest.fixture(scope="module", params=APIS)
def smoked(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, VersionRecord, SmokeReport, EmulatorApp]]:
    """The example applied on one flavour, and the three checks run against its version 1."""
    api = str(request.param)
    app = EmulatorApp(EmulatorConfig())
    root = make_project(tmp_path_factory.mktemp(f"smoke-{api}") / "project", api=api)
    try:
        apply_project(root, transport(app))
        with service.open_workspace(root, transport=transport(app)) as ws:
            (version,) = ws.store.versions(ws.name, NAME)
            report = run_smoke(ws.target, version, [GOOD, BAD_ARGUMENTS, FAILS])
        yield api, version, report, app
    finally:
        app.close()


def test_a_good_check_passes_with_every_expectation(
    smoked: tuple[str, VersionRecord, SmokeReport, EmulatorApp],
) -> None:
    api, version, report, _ = smoked
    good = report.results[0]
    assert good.passed, "\n".join(report.lines())
    seen = good.transcript
    assert [c.name for c in seen.tool_calls] == ["create_meeting"]
    assert json.loads(seen.tool_calls[0].arguments) == MEETING
    # The tool's output went back to the model: its answer to turn 1 quotes it.
    assert seen.answers == ('tool result: {"meeting_id": "mtg_001"}', "echo: thanks")
    assert seen.model.startswith("gpt-5.5") and seen.input_tokens > 0 and seen.output_tokens > 0
    assert [v.expectation for v in good.verdicts] == [
        "calls create_meeting with valid arguments",
        "answer matches /^echo: thanks$/",
        "no error",
        "cost below $0.05",
    ]
    assert (bool(version.bundle), api) in ((True, "responses"), (False, "assistants-v2"))


def test_arguments_the_schema_rejects_fail_the_calls_expectation(
    smoked: tuple[str, VersionRecord, SmokeReport, EmulatorApp],
) -> None:
    _, _, report, _ = smoked
    bad = report.results[1]
    assert not bad.passed
    (failure,) = bad.failures
    assert failure.expectation == "calls create_meeting with valid arguments"
    assert "at /duration_minutes: 3 is less than the minimum of 5" in failure.detail
    assert '"duration_minutes":3' in failure.detail  # the arguments as the model wrote them
    assert not report.passed
    assert report.summary().startswith('check "too short a meeting": calls create_meeting with valid')


def test_a_failing_model_fails_no_error_with_its_message(
    smoked: tuple[str, VersionRecord, SmokeReport, EmulatorApp],
) -> None:
    _, _, report, _ = smoked
    down = report.results[2]
    (failure,) = down.failures
    assert failure.expectation == "no error"
    assert failure.detail == "turn 1: failed: server_error: the model is down"
    assert down.transcript.answers == ()


def test_the_judged_cost_is_what_the_platform_charged(
    smoked: tuple[str, VersionRecord, SmokeReport, EmulatorApp],
) -> None:
    """Every model call the platform recorded (only the smoke conversations make any), priced by the
    platform, costs what the judge priced from the transcripts."""
    _, _, report, app = smoked
    (cost,) = [v for v in report.results[0].verdicts if v.expectation.startswith("cost")]
    assert cost.passed and "gpt-5.5" in cost.detail
    judged = Decimal(0)
    for result in report.results:
        seen = result.transcript
        price = price_of(seen.model)
        assert price is not None
        judged += cost_usd(price, seen.input_tokens, seen.cached_input_tokens, seen.output_tokens)
    recorded = usage.records(app.storage, start=0, end=math.inf)
    assert recorded
    charged = sum(
        (sum(emulator_pricing.cost(r.model, r.input_tokens, r.output_tokens)) for r in recorded), Decimal(0)
    )
    assert judged == charged > 0


def test_each_check_runs_on_a_fresh_conversation_labelled_with_the_version(
    smoked: tuple[str, VersionRecord, SmokeReport, EmulatorApp],
) -> None:
    api, _, report, app = smoked
    ids = [r.transcript.conversation for r in report.results]
    assert len(set(ids)) == 3
    client = sdk(app)
    try:
        for result in report.results:
            conversation = result.transcript.conversation
            if api == "responses":
                metadata = client.conversations.retrieve(conversation).metadata
            else:
                metadata = client.beta.threads.retrieve(conversation).metadata
            assert metadata == {
                "reconciler/name": NAME,
                "reconciler/version": "1",
                "reconciler/smoke": result.check,
            }
    finally:
        client.close()
