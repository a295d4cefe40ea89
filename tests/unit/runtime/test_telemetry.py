"""Router.observe / tool_error / flush: what a flush writes (per version and second), tool-call validation
against the release's schemas, Responses and Assistants-v2 runs (dicts and SDK objects), failed writes
kept and retried, bounds, and the flushing thread's life. No test waits for a timer: flush() is explicit,
and the one thread test waits for the write it causes."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Sequence
from typing import Any

import pytest
from openai.types.beta.threads import Run
from openai.types.responses import Response, ResponseFunctionToolCall, ResponseUsage

from reconciler.model.rollouts import TelemetryCounts, TelemetryRow
from reconciler.model.stored import VersionRecord
from reconciler.runtime import Release, Router
from tests.unit.runtime.conftest import WallClock
from tests.unit.runtime.fakes import NAME, WS, FakeCanaryStore


def _call(name: str, arguments: Any) -> dict[str, Any]:
    text = arguments if isinstance(arguments, str) else json.dumps(arguments)
    return {"type": "function_call", "name": name, "arguments": text, "call_id": "c1", "id": "fc_1"}


def _response(
    *calls: dict[str, Any], status: str = "completed", tokens: tuple[int, int] = (10, 5)
) -> dict[str, Any]:
    return {
        "object": "response",
        "status": status,
        "output": [{"type": "message", "content": []}, *calls],
        "usage": {"input_tokens": tokens[0], "output_tokens": tokens[1], "total_tokens": sum(tokens)},
    }


def test_a_flush_writes_one_row_per_version_and_second(store: FakeCanaryStore, wall: WallClock) -> None:
    with Router(store, WS, wall_clock=wall) as router:
        v1 = router.assign(NAME, "conv_a")
        router.observe(
            v1, _response(_call("ping", {"n": 1})), latency_s=0.2, conversation="conv_a", cost_usd=0.01
        )
        router.observe(v1, _response(status="failed"), latency_s=0.5, conversation="conv_a")
        router.observe(v1, _response(status="incomplete", tokens=(1, 1)), latency_s=0.1)
        wall.now += 1.0
        router.observe(v1, _response(), latency_s=0.3, conversation="conv_b")
        router.tool_error(v1, "ping")
        assert store.rows == []  # nothing is written on the request path
        router.flush()
        assert store.calls["add_telemetry"] == 1
        first, second = sorted(store.rows, key=lambda r: r.bucket)
        assert (first.assistant, first.version, first.bucket) == (NAME, 1, 1_765_000_000)
        assert first.counts.latency_ms_sum == pytest.approx(800.0)
        assert first.counts.model_copy(update={"latency_ms_sum": 0.0}) == TelemetryCounts(
            responses=3,
            failed=2,
            tool_calls=1,
            latency_ms_max=500.0,
            input_tokens=21,
            output_tokens=11,
            cost_usd=0.01,
        )
        assert second.bucket == 1_765_000_001
        assert second.counts == TelemetryCounts(
            responses=1,
            tool_errors=1,
            latency_ms_sum=300.0,
            latency_ms_max=300.0,
            input_tokens=10,
            output_tokens=5,
        )
        assert store.touched == [((NAME, "conv_a"), (NAME, "conv_b"))]
        router.flush()  # nothing new: nothing written
        assert store.calls["add_telemetry"] == 1


def test_tool_calls_are_validated_against_the_releases_schemas(store: FakeCanaryStore) -> None:
    with Router(store, WS) as router:
        release = router.assign(NAME, "conv_a")
        calls = [
            _call("ping", {"n": 3}),  # valid
            _call("ping", {"n": "three"}),  # wrong type
            _call("ping", "{not json"),  # unparsable
            _call("launch", {}),  # not a tool this release offers
            _call("book", {"room": "B2"}),  # valid, strict
            _call("book", {"room": "B2", "floor": 3}),  # strict: no additional properties
            _call("ping", {"n": 4, "extra": True}),  # not strict: extra properties are allowed
        ]
        router.observe(release, _response(*calls), latency_s=0.1)
        router.flush()
        assert store.sums(1).tool_calls == 7
        assert store.sums(1).invalid_tool_calls == 4


def test_sdk_objects_are_read_like_their_dicts(store: FakeCanaryStore) -> None:
    response = Response.model_construct(
        object="response",
        status="completed",
        output=[
            ResponseFunctionToolCall.model_construct(type="function_call", name="ping", arguments='{"n": 1}')
        ],
        usage=ResponseUsage.model_construct(input_tokens=7, output_tokens=3),
    )
    with Router(store, WS) as router:
        router.observe(router.assign(NAME, "c"), response, latency_s=0.01)
        router.flush()
    assert store.sums(1) == TelemetryCounts(
        responses=1, tool_calls=1, latency_ms_sum=10.0, latency_ms_max=10.0, input_tokens=7, output_tokens=3
    )


def _run(status: str, *functions: tuple[str, str], as_object: bool = False) -> Any:
    data: dict[str, Any] = {
        "object": "thread.run",
        "id": "run_1",
        "thread_id": "thread_1",
        "status": status,
        "usage": {"prompt_tokens": 20, "completion_tokens": 4, "total_tokens": 24},
        "required_action": {
            "type": "submit_tool_outputs",
            "submit_tool_outputs": {
                "tool_calls": [
                    {"id": f"call_{i}", "type": "function", "function": {"name": n, "arguments": a}}
                    for i, (n, a) in enumerate(functions)
                ]
            },
        }
        if functions
        else None,
    }
    return Run.model_construct(**data) if as_object else data


@pytest.mark.parametrize("as_object", [False, True])
def test_assistants_v2_runs_are_counted_too(store: FakeCanaryStore, as_object: bool) -> None:
    with Router(store, WS) as router:
        release = router.assign(NAME, "c")
        router.observe(release, _run("requires_action", ("ping", '{"n": 1}'), ("ping", "{}")), latency_s=0.1)
        router.observe(release, _run("expired"), latency_s=0.1)
        router.flush()
    counts = store.sums(1)
    assert (counts.responses, counts.failed, counts.tool_calls, counts.invalid_tool_calls) == (2, 1, 2, 1)
    assert (counts.input_tokens, counts.output_tokens) == (40, 8)


def test_a_platform_assistant_release_counts_calls_without_validating(store: FakeCanaryStore) -> None:
    v2_release = Release(NAME, 7, "f7", "asst_7", None)
    with Router(store, WS) as router:
        router.observe(v2_release, _run("requires_action", ("anything", "{not json")), latency_s=0.1)
        router.flush()
    assert (store.sums(7).tool_calls, store.sums(7).invalid_tool_calls) == (1, 0)


def test_a_failed_write_is_logged_and_its_counts_kept_for_the_next_flush(
    store: FakeCanaryStore, wall: WallClock, caplog: pytest.LogCaptureFixture
) -> None:
    with Router(store, WS, wall_clock=wall) as router:
        release = router.assign(NAME, "c")
        router.observe(release, _response(), latency_s=0.1, conversation="c")
        store.fail_writes = 1
        with caplog.at_level(logging.WARNING, logger="reconciler.runtime"):
            router.flush()  # never raises
        assert "telemetry write failed (database is locked); 1 rows and 1 conversations kept" in caplog.text
        assert store.rows == [] and store.touched == []
        router.observe(release, _response(), latency_s=0.3)  # same second: added to the kept row
        router.flush()
        assert [(r.bucket, r.counts.responses, r.counts.latency_ms_max) for r in store.rows] == [
            (1_765_000_000, 2, 300.0)
        ]
        assert store.touched == [((NAME, "c"),)]
        assert router.telemetry is not None and router.telemetry.failures == 1


def test_a_failed_touch_keeps_only_the_conversations(store: FakeCanaryStore) -> None:
    class TouchFails(FakeCanaryStore):
        def touch_conversations(self, workspace: str, seen: Sequence[tuple[str, str]], *, now: float) -> None:
            raise RuntimeError("connection lost")

    failing = TouchFails(store._inner)
    with Router(failing, WS) as router:
        router.observe(router.assign(NAME, "c"), _response(), latency_s=0.1, conversation="c")
        router.flush()
        router.flush()
        assert len(failing.rows) == 1  # the rows were written once, not again with the retried touch


def test_what_exceeds_the_bound_is_dropped_and_counted(store: FakeCanaryStore) -> None:
    with Router(store, WS, max_pending=3) as router:
        release = router.assign(NAME, "c")
        for _ in range(5):
            router.observe(release, _response(), latency_s=0.1)
        assert router.telemetry is not None
        assert router.telemetry.dropped == 2
        router.flush()
        assert store.sums(1).responses == 3


def test_observe_does_not_read_the_response_and_a_bad_one_only_costs_a_warning(
    store: FakeCanaryStore, caplog: pytest.LogCaptureFixture
) -> None:
    class Exploding:
        def __getattr__(self, name: str) -> Any:
            raise RuntimeError(f"read {name}")

    with Router(store, WS) as router:
        release = router.assign(NAME, "c")
        router.observe(release, Exploding(), latency_s=0.1)  # queued only: nothing read on the request path
        router.observe(release, _response(), latency_s=0.1)
        with caplog.at_level(logging.WARNING, logger="reconciler.runtime"):
            router.flush()
        assert "skipped an observation" in caplog.text
        assert store.sums(1).responses == 1


def test_the_thread_starts_on_first_use_flushes_by_itself_and_stops_on_close(store: FakeCanaryStore) -> None:
    written = threading.Event()

    class Signalling(FakeCanaryStore):
        def add_telemetry(self, workspace: str, rows: Sequence[TelemetryRow]) -> None:
            super().add_telemetry(workspace, rows)
            written.set()

    signalling = Signalling(store._inner)
    router = Router(signalling, WS, flush_seconds=0.01)
    recorder = router.telemetry
    assert recorder is not None and recorder._thread is None  # no thread until something is observed
    release = router.assign(NAME, "c")
    router.observe(release, _response(), latency_s=0.1)
    assert written.wait(10)  # the thread flushed without being asked
    thread = recorder._thread
    assert thread is not None and thread.daemon
    router.observe(release, _response(), latency_s=0.1)
    router.close()
    assert not thread.is_alive()
    assert signalling.sums(1).responses == 2  # close flushed the rest


def test_close_flushes_what_is_queued(store: FakeCanaryStore) -> None:
    with Router(store, WS, flush_seconds=3600) as router:
        router.observe(router.assign(NAME, "c"), _response(), latency_s=0.1)
    assert store.sums(1).responses == 1


def test_identical_calls_are_validated_once_and_judged_alike(monkeypatch: pytest.MonkeyPatch) -> None:
    from reconciler.runtime import observations
    from tests.unit.runtime.fakes import bundle

    release = Release.of(
        VersionRecord(assistant=NAME, number=1, platform_id="b1", fingerprint="f1", bundle=bundle(1))
    )
    validators = observations.ToolValidators()
    checked: list[Any] = []
    real = observations._valid

    def counting(check: Any, arguments: Any) -> bool:
        checked.append(arguments)
        return real(check, arguments)

    monkeypatch.setattr(observations, "_valid", counting)
    verdicts = [validators.valid(release, "ping", text) for text in ('{"n": 1}', '{"n": "x"}') * 3]
    assert verdicts == [True, False] * 3
    assert checked == ['{"n": 1}', '{"n": "x"}']
    assert validators.valid(Release(NAME, 2, "f2", "b2", {}, {}), "ping", '{"n": 1}') is False
    monkeypatch.setattr(observations, "MEMO_SIZE", 2)
    for n in range(5):  # a full memo is emptied, not grown
        assert validators.valid(release, "ping", f'{{"n": {n}}}') is True
    assert len(validators._memo) <= 2


def test_tokens_are_priced_by_the_dated_table_unless_the_app_gives_a_cost(store: FakeCanaryStore) -> None:
    """gpt-5.5 lists $5 in, $0.50 cached in and $30 out per 1M tokens (model.prices); a model the table
    does not price adds no cost rather than a guess."""
    priced = {
        **_response(tokens=(1_000, 100)),
        "model": "gpt-5.5-2026-04-23",
        "usage": {
            "input_tokens": 1_000,
            "output_tokens": 100,
            "total_tokens": 1_100,
            "input_tokens_details": {"cached_tokens": 400},
        },
    }
    with Router(store, WS) as router:
        release = router.assign(NAME, "conv_a")
        router.observe(release, priced, latency_s=0.1)
        router.observe(release, {**priced, "model": "unknown-model"}, latency_s=0.1)
        router.observe(release, priced, latency_s=0.1, cost_usd=1.0)
        router.flush()
    (row,) = store.rows
    expected = (600 * 5 + 400 * 0.5 + 100 * 30) / 1_000_000
    assert row.counts.cost_usd == pytest.approx(expected + 1.0)


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -0.5])
def test_a_latency_or_cost_that_is_no_measure_costs_only_itself(store: FakeCanaryStore, bad: float) -> None:
    """One NaN latency poisoned every later batch: the store refuses non-finite sums, and the failed batch
    was kept and retried with the good rows added to it, so nothing was written again."""
    with Router(store, WS) as router:
        release = router.assign(NAME, "conv_a")
        router.observe(release, _response(), latency_s=bad, cost_usd=bad)
        for _ in range(3):
            router.observe(release, _response(), latency_s=0.1)
        router.flush()
    (row,) = store.rows
    assert row.counts.responses == 4
    assert row.counts.latency_ms_sum == pytest.approx(300.0) and row.counts.cost_usd == 0.0
