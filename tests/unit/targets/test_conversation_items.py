"""Pure parts of the conversation-migration operations: stored items as input items, rate hints, the
labels' 16-pair rule."""

from __future__ import annotations

import pytest

from reconciler.emulator.faults import duration_text
from reconciler.model import labels
from reconciler.targets.conversation_items import UnsupportedItem, as_input
from reconciler.targets.gated import RateHints, hints_from, parse_reset


def test_an_assistant_message_becomes_text_and_drops_what_is_output_only() -> None:
    stored = {
        "type": "message",
        "id": "msg_1",
        "status": "completed",
        "role": "assistant",
        "phase": "final_answer",
        "content": [
            {"type": "output_text", "text": "one", "annotations": [], "logprobs": []},
            {"type": "refusal", "refusal": "no"},
        ],
    }
    assert as_input(stored, "conv_1") == {
        "type": "message",
        "role": "assistant",
        "content": "one\nno",
        "phase": "final_answer",
    }


def test_calls_keep_their_call_id_and_file_searches_what_the_spec_requires() -> None:
    call = {"type": "function_call", "id": "fc_1", "status": "completed", "call_id": "c", "name": "f",
            "arguments": "{}", "namespace": "ns"}  # fmt: skip
    assert as_input(call, "conv") == {"type": "function_call", "call_id": "c", "name": "f",
                                      "arguments": "{}", "namespace": "ns"}  # fmt: skip
    output = {"type": "function_call_output", "id": "fco_1", "status": "completed", "call_id": "c",
              "output": [{"type": "input_text", "text": "ok"}]}  # fmt: skip
    assert as_input(output, "conv") == {"type": "function_call_output", "call_id": "c",
                                        "output": [{"type": "input_text", "text": "ok"}]}  # fmt: skip
    search = {"type": "file_search_call", "id": "fs_1", "status": "completed", "queries": ["q"],
              "results": None}  # fmt: skip
    assert as_input(search, "conv") == {"type": "file_search_call", "id": "fs_1", "status": "completed",
                                        "queries": ["q"]}  # fmt: skip


@pytest.mark.parametrize(
    ("item", "named"),
    [
        ({"type": "reasoning", "id": "rs_1", "summary": []}, "'reasoning'"),
        ({"type": "message", "role": "tool", "content": []}, "role 'tool'"),
        (
            {"type": "message", "role": "user", "content": [{"type": "output_text", "text": "x"}]},
            "'output_text'",
        ),
        ({"type": "message", "role": "assistant", "content": [{"type": "input_image"}]}, "'input_image'"),
    ],
)
def test_what_cannot_be_copied_is_refused_by_name(item: dict[str, object], named: str) -> None:
    with pytest.raises(UnsupportedItem, match=named) as caught:
        as_input(item, "conv_9")
    assert "conv_9" in str(caught.value)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("1s", 1.0), ("6m0s", 360.0), ("20ms", 0.02), ("1.5s", 1.5), ("1h2m3.5s", 3723.5), ("7", 7.0),
     ("", None), ("soon", None), ("1s2", None), (None, None)],
)  # fmt: skip
def test_reset_durations_are_read_as_openai_writes_them(text: str | None, seconds: float | None) -> None:
    assert parse_reset(text) == seconds


@pytest.mark.parametrize("seconds", [0.0004, 0.02, 0.999, 1.0, 12.345, 59.9996, 60.0, 390.5])
def test_the_emulators_reset_header_reads_back(seconds: float) -> None:
    parsed = parse_reset(duration_text(seconds))
    assert parsed is not None and abs(parsed - max(0.001, seconds)) < 0.001


def test_hints_from_headers() -> None:
    headers = {"retry-after-ms": "1500", "x-ratelimit-remaining-requests": "0",
               "x-ratelimit-reset-requests": "6m0s", "x-ratelimit-limit-requests": "x"}  # fmt: skip
    assert hints_from(headers) == RateHints(1.5, 0, 360.0, None)
    assert hints_from({}) == RateHints()


def test_labels_fit_beside_the_users_pairs_or_not_at_all() -> None:
    user = {f"k{i}": "v" for i in range(14)}
    assert labels.merged_within_limits(user, {"a": "1", "b": "2"}) == {**user, "a": "1", "b": "2"}
    assert labels.merged_within_limits(user, {"a": "1", "b": "2", "c": "3"}) is None
    assert labels.merged_within_limits(user, {"k0": "replaced"}) == {**user, "k0": "replaced"}
    assert labels.merged_within_limits(None, {"k" * 65: "v"}) is None
    assert labels.merged_within_limits(None, {"k": "v" * 513}) is None
