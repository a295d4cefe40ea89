"""Canary rollouts end to end on the emulator (issue 16), on both platform flavours: apply starts a rollout
(the canary pointer names the new version, stable stays), the controller runs the example's smoke checks on
the target, then walks weights, pauses and analysis on telemetry in the store, and promotes or aborts; the
operator's verbs through the CLI; the history of every move. A fake clock drives the controller; the
telemetry stands for what the runtime records (tests/unit/runtime covers the recording itself)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from reconciler import service
from reconciler.cli.main import run
from reconciler.model.rollouts import RolloutRecord, RolloutStatus, TelemetryCounts, TelemetryRow
from reconciler.runtime import Router
from reconciler.service.canary import Progress, SmokeOnTarget, step_rollouts
from reconciler.store import open_store
from reconciler.store.base import StateStore
from tests.integration.support import APIS, edit_file, make_project

pytestmark = pytest.mark.filterwarnings("ignore:.*deprecated:DeprecationWarning")

NAME = "CorporateAssist"
WS = "local"
HEALTHY = TelemetryCounts(responses=10, tool_calls=5)
BROKEN = TelemetryCounts(responses=10, tool_calls=5, invalid_tool_calls=4)


class Clock:
    def __init__(self) -> None:
        self.now = time.time() + 1.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(params=APIS)
def project(request: pytest.FixtureRequest, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    root = make_project(tmp_path / "project", api=request.param, canary=True)
    assert run(["apply", str(root), "--auto-approve"]) == 0
    edit_file(root, "manifests/corporate-assist.yaml", "cite the rule you used.", "cite the rule.")
    assert run(["apply", str(root), "--auto-approve"]) == 0
    capsys.readouterr()
    return root


@pytest.fixture
def store(project: Path) -> Iterator[StateStore]:
    with open_store(f"sqlite:///{project / '.reconcile' / 'state.db'}") as opened:
        yield opened


def telemetry(store: StateStore, version: int, counts: TelemetryCounts, start: float, seconds: int) -> None:
    rows = [
        TelemetryRow(assistant=NAME, version=version, bucket=int(start) + i, counts=counts)
        for i in range(seconds)
    ]
    store.add_telemetry(WS, rows)


def drive(project: Path, clock: Clock, *, until: float, every: float = 30.0) -> list[Progress]:
    """Step the controller every `every` seconds of fake time until the rollout ends or `until`."""
    seen: list[Progress] = []
    with service.open_release_state(project) as state, SmokeOnTarget(project) as smoke:
        while clock.now < until:
            progress = step_rollouts(state, smoke=smoke, clock=clock)
            seen.extend(progress)
            if not any(p.record.status.active for p in progress):
                break
            clock.now += every
    return seen


def moves(store: StateStore, record: RolloutRecord) -> list[tuple[str, int, int]]:
    return [(e.action, e.step_index, e.weight) for e in store.rollout_events(WS, record.id)]


def test_apply_starts_a_canary_and_stable_stays(project: Path, store: StateStore) -> None:
    assert store.pointers(WS, NAME) == {"stable": 1, "canary": 2}
    record = store.active_rollout(WS, NAME)
    assert record is not None
    assert (record.stable_version, record.canary_version, record.weight) == (1, 2, 0)
    assert record.on_abort == "stable" and "tool-health" in record.templates
    assert [s.describe() for s in record.steps][:2] == ["smoke (2 checks)", "weight 10 %"]


def test_a_good_canary_goes_10_50_100_by_analysis(project: Path, store: StateStore) -> None:
    clock = Clock()
    telemetry(store, 1, HEALTHY, clock.now - 10, 3600)
    telemetry(store, 2, HEALTHY, clock.now - 10, 3600)
    seen = drive(project, clock, until=clock.now + 3600)
    record = seen[-1].record
    assert record.status is RolloutStatus.SUCCEEDED, seen[-1].waiting
    assert store.pointers(WS, NAME) == {"stable": 2}
    weights = [w for action, _, w in moves(store, record) if action == "weight"]
    assert weights == [10, 50, 100]
    actions = [a for a, _, _ in moves(store, record)]
    assert actions.count("started") == 1 and actions[-1] == "succeeded"
    runs = store.analysis_runs(WS, record.id)
    assert [r.phase.value for r in runs] == ["successful", "successful"]
    assert all(len(r.measurements) == 6 for r in runs)  # two metrics, three measurements each


def test_a_bad_canary_is_aborted_by_the_builtin_analysis(project: Path, store: StateStore) -> None:
    clock = Clock()
    telemetry(store, 1, HEALTHY, clock.now - 10, 3600)
    telemetry(store, 2, BROKEN, clock.now - 10, 3600)
    store.assign_conversation(WS, NAME, "conv_on_canary", 2, now=clock.now)
    seen = drive(project, clock, until=clock.now + 3600)
    record = seen[-1].record
    assert record.status is RolloutStatus.ABORTED
    assert "invalid-tool-calls" in record.message and "analysis failed" in record.message
    assert store.pointers(WS, NAME) == {"stable": 1}
    # onAbort: stable (the example's): the canary's conversations went back to stable
    assignment = store.assignment(WS, NAME, "conv_on_canary")
    assert assignment is not None and assignment.version == 1
    weights = [w for action, _, w in moves(store, record) if action == "weight"]
    assert weights == [10]


def test_operator_verbs_and_status_through_the_cli(
    project: Path, store: StateStore, capsys: pytest.CaptureFixture[str]
) -> None:
    where = ["-C", str(project)]
    assert run(["rollout", "pause", NAME, *where, "--reason", "waiting for the launch"]) == 0
    assert "paused" in capsys.readouterr().out
    assert run(["rollout", "pause", NAME, *where]) == 1
    assert "only a progressing rollout can be paused" in capsys.readouterr().err
    assert run(["rollout", "resume", NAME, *where]) == 0
    assert run(["rollout", "promote", NAME, *where, "--reason", "smoke verified by hand"]) == 0
    record = store.active_rollout(WS, NAME)
    assert record is not None and record.step_index == 1  # the smoke step was skipped
    assert run(["rollout", "abort", NAME, *where, "--reason", "wrong tone"]) == 0
    assert store.pointers(WS, NAME) == {"stable": 1}
    assert run(["rollout", "retry", NAME, *where]) == 0
    assert store.pointers(WS, NAME) == {"stable": 1, "canary": 2}
    assert run(["rollout", "promote", NAME, *where, "--full"]) == 0
    assert store.pointers(WS, NAME) == {"stable": 2}
    capsys.readouterr()
    assert run(["rollout", "status", NAME, *where]) == 0
    text = capsys.readouterr().out
    assert "succeeded: stable is version 2" in text and "wrong tone" in text
    assert run(["rollout", "status", NAME, *where, "-json"]) == 0
    document = json.loads(capsys.readouterr().out)
    actions = [e["action"] for e in document["events"]]
    assert actions == ["started", "paused", "resumed", "promoted-step", "aborted", "retried", "promoted"]
    assert {e["user"] for e in document["events"]} and all(e["host"] for e in document["events"])
    assert run(["rollout", "abort", NAME, *where]) == 1
    assert "no rollout in progress" in capsys.readouterr().err


def test_a_typo_is_named_not_taken_for_no_rollout(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["rollout", "status", "CorporateAsist", "-C", str(project)]) == 1
    assert "'CorporateAsist' has no versions" in capsys.readouterr().err


def test_plan_during_a_rollout_has_no_changes_and_a_revert_aborts_it(
    project: Path, store: StateStore, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(["plan", str(project), "--detailed-exitcode"]) == 0  # the canary ships the manifest
    edit_file(project, "manifests/corporate-assist.yaml", "cite the rule.", "cite the rule you used.")
    capsys.readouterr()
    assert run(["plan", str(project), "--detailed-exitcode"]) == 2
    assert (
        "the manifest equals stable version 1: the rollout of version 2 is aborted" in capsys.readouterr().out
    )
    assert run(["apply", str(project), "--auto-approve"]) == 0
    (rollout,) = store.rollouts(WS, NAME)
    assert rollout.status is RolloutStatus.ABORTED and "equals stable version 1" in rollout.message
    assert store.pointers(WS, NAME) == {"stable": 1}
    assert [v.number for v in store.versions(WS, NAME)] == [1, 2]  # nothing was created
    assert run(["plan", str(project), "--detailed-exitcode"]) == 0


def test_a_third_version_supersedes_the_rollout_in_progress(project: Path, store: StateStore) -> None:
    edit_file(project, "manifests/corporate-assist.yaml", "cite the rule.", "cite the rule, briefly.")
    assert run(["apply", str(project), "--auto-approve"]) == 0
    first, second = store.rollouts(WS, NAME)
    assert first.status is RolloutStatus.SUPERSEDED and second.status is RolloutStatus.PROGRESSING
    assert (second.stable_version, second.canary_version) == (1, 3)
    assert store.pointers(WS, NAME) == {"stable": 1, "canary": 3}


@pytest.fixture
def pg_project(tmp_path: Path, pg_schema_dsn: str, capsys: pytest.CaptureFixture[str]) -> Path:
    root = make_project(tmp_path / "project", api="responses", canary=True)
    edit_file(root, "reconcile.yaml", "state: sqlite:///.reconcile/state.db", f"state: {pg_schema_dsn}")
    assert run(["apply", str(root), "--auto-approve"]) == 0
    edit_file(root, "manifests/corporate-assist.yaml", "cite the rule you used.", "cite the rule.")
    assert run(["apply", str(root), "--auto-approve"]) == 0
    capsys.readouterr()
    return root


@pytest.mark.postgres
def test_the_canary_on_a_postgresql_state(pg_project: Path, pg_schema_dsn: str) -> None:
    """The whole walk with the state on PostgreSQL, and an application's router pinning conversations
    there while the canary is at 10 %."""
    clock = Clock()
    with open_store(pg_schema_dsn) as pg:
        telemetry(pg, 1, HEALTHY, clock.now - 10, 3600)
        telemetry(pg, 2, HEALTHY, clock.now - 10, 3600)
        with service.open_release_state(pg_project) as state, SmokeOnTarget(pg_project) as smoke:
            step_rollouts(state, smoke=smoke, clock=clock)  # smoke passes, the canary takes 10 %
        with Router(pg_schema_dsn, WS) as router:
            pinned = {f"conv_{i}": router.assign(NAME, f"conv_{i}").version for i in range(200)}
        assert set(pinned.values()) == {1, 2}
        assert 5 <= sum(v == 2 for v in pinned.values()) <= 40  # about 10 % of new conversations
        seen = drive(pg_project, clock, until=clock.now + 3600)
        assert seen[-1].record.status is RolloutStatus.SUCCEEDED
        assert pg.pointers(WS, NAME) == {"stable": 2}
        for conversation, version in pinned.items():  # the promotion moved nobody
            found = pg.assignment(WS, NAME, conversation)
            assert found is not None and found.version == version


def test_step_and_watch_name_a_typo_and_say_when_nothing_is_in_progress(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for verb in ("step", "watch"):
        assert run(["rollout", verb, "CorporateAsist", "-C", str(project)]) == 1
        assert "'CorporateAsist' has no versions" in capsys.readouterr().err
    assert run(["rollout", "abort", NAME, "-C", str(project)]) == 0
    capsys.readouterr()
    for args in (["step", NAME], ["step"], ["watch"]):  # `watch NAME` fails on an aborted canary (below)
        assert run(["rollout", *args, "-C", str(project)]) == 0
        assert capsys.readouterr().out == "No rollout in progress.\n"


def test_the_stop_button_holds_the_controller(project: Path, store: StateStore) -> None:
    clock = Clock()
    assert run(["stop", NAME, str(project), "--reason", "canary leaks data"]) == 0
    seen = drive(project, clock, until=clock.now + 120)
    assert seen[-1].record.revision == 1 and seen[-1].record.weight == 0  # no move at all
    assert "stopped" in seen[-1].waiting and "reconcile start CorporateAssist" in seen[-1].waiting
    assert run(["start", NAME, str(project)]) == 0
    with service.open_release_state(project) as state, SmokeOnTarget(project) as smoke:
        moved = step_rollouts(state, smoke=smoke, clock=clock)
    assert moved[-1].record.weight == 10


def test_stable_moves_by_hand_are_refused_while_a_rollout_runs(
    project: Path, store: StateStore, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(["promote", NAME, str(project), "--to", "2"]) == 1
    assert "rollout of version 2 in progress" in capsys.readouterr().err
    assert run(["rollback", NAME, str(project), "--to", "1"]) == 1
    assert store.pointers(WS, NAME) == {"stable": 1, "canary": 2}


def test_destroying_the_assistant_ends_its_rollout(project: Path, store: StateStore) -> None:
    (project / "manifests" / "corporate-assist.yaml").rename(project / "assistant.yaml.off")
    (project / "manifests" / "tool-health.yaml").unlink()  # no rollout uses it any more
    assert run(["apply", str(project), "--auto-approve"]) == 0
    (rollout,) = store.rollouts(WS, NAME)
    assert rollout.status is RolloutStatus.ABORTED and rollout.message.startswith("destroyed")
    assert store.active_rollout(WS, NAME) is None and store.pointers(WS, NAME) == {}


def test_watch_of_an_aborted_canary_fails_a_ci_gate(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(["rollout", "abort", NAME, "-C", str(project), "--reason", "bad tone"]) == 0
    capsys.readouterr()
    assert run(["rollout", "watch", NAME, "-C", str(project)]) == 1
    assert "was aborted: bad tone" in capsys.readouterr().out
    assert run(["rollout", "watch", NAME, "-C", str(project), "--timeout", "nan"]) == 1
    assert "Invalid value for '--timeout'" in capsys.readouterr().err


def test_an_aborted_canary_is_not_started_again_by_the_next_apply(
    project: Path, store: StateStore, capsys: pytest.CaptureFixture[str]
) -> None:
    """As in Argo Rollouts, an aborted canary stays aborted until the manifest changes or `retry`: a
    scheduled apply must not canary the bad version again on every run."""
    assert run(["rollout", "abort", NAME, "-C", str(project), "--reason", "bad tone"]) == 0
    capsys.readouterr()
    assert run(["plan", str(project), "--detailed-exitcode"]) == 0
    out = capsys.readouterr().out
    assert "Warning: CorporateAssist: canary aborted: version 2 (bad tone); stable version 1 serves." in out
    assert run(["apply", str(project), "--auto-approve"]) == 0
    assert len(store.rollouts(WS, NAME)) == 1 and store.active_rollout(WS, NAME) is None
    edit_file(project, "manifests/corporate-assist.yaml", "cite the rule.", "cite the rule, briefly.")
    assert run(["apply", str(project), "--auto-approve"]) == 0  # a new version: a new canary
    assert store.pointers(WS, NAME) == {"stable": 1, "canary": 3}


def test_on_assistants_v2_the_runtime_validates_calls_against_the_recorded_tools(tmp_path: Path) -> None:
    """A platform assistant's version keeps its function tools in the store (migration 0011), so the
    canary's invalid_tool_call_rate means the same on both flavours."""
    root = make_project(tmp_path / "project", api="assistants-v2")
    assert run(["apply", str(root), "--auto-approve"]) == 0
    dsn = f"sqlite:///{root / '.reconcile' / 'state.db'}"
    with open_store(dsn) as store:
        (version,) = store.versions(WS, NAME)
        assert version.bundle == {} and set(version.tools) == {"create_meeting", "list_expenses"}
        assert version.tools["create_meeting"]["strict"] is True
    run_with_calls = {
        "object": "thread.run",
        "status": "requires_action",
        "thread_id": "thread_1",
        "required_action": {
            "type": "submit_tool_outputs",
            "submit_tool_outputs": {
                "tool_calls": [
                    {
                        "id": "c1",
                        "type": "function",
                        "function": {
                            "name": "list_expenses",
                            "arguments": '{"from": "2026-11-01", "to": "2026-11-30"}',
                        },
                    },
                    {
                        "id": "c2",
                        "type": "function",
                        "function": {"name": "list_expenses", "arguments": '{"start_date": "2026-11-01"}'},
                    },
                ]
            },
        },
    }
    with Router(dsn, WS) as router:
        release = router.assign(NAME, "thread_1")
        assert release.function_tools() is not None
        router.observe(release, run_with_calls, latency_s=0.2)
        router.flush()
    with open_store(dsn) as store:
        counts = store.telemetry(WS, NAME, 1, since=0, until=time.time() + 10)
    assert (counts.tool_calls, counts.invalid_tool_calls) == (2, 1)


def test_a_rollout_edited_while_one_runs_applies_next_time_and_the_plan_says_so(
    project: Path, store: StateStore, capsys: pytest.CaptureFixture[str]
) -> None:
    edit_file(project, "manifests/corporate-assist.yaml", "      - pause: 10m\n", "      - pause: 5m\n")
    capsys.readouterr()
    assert run(["plan", str(project), "--detailed-exitcode"]) == 0
    out = capsys.readouterr().out
    assert "the manifest's rollout changed: it applies to the next version's rollout" in out
    record = store.active_rollout(WS, NAME)
    assert record is not None and record.steps[2].pause_seconds == 600  # the rollout in flight keeps its own


def test_a_step_that_aborts_a_canary_exits_1(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The first step runs the smoke checks; with a check that cannot pass, the step aborts the canary."""
    edit_file(
        project,
        "manifests/corporate-assist.yaml",
        'answerMatches: "(?i)hotel"',
        'answerMatches: "never-said"',
    )
    edit_file(project, "manifests/corporate-assist.yaml", "cite the rule.", "cite the rule, please.")
    assert run(["apply", str(project), "--auto-approve"]) == 0
    capsys.readouterr()
    assert run(["rollout", "step", NAME, "-C", str(project)]) == 1
    assert "smoke checks failed" in capsys.readouterr().out
