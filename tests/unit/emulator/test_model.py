"""The deterministic model: each documented rule, and token counts that do not vary."""

from __future__ import annotations

from reconciler.emulator.model import Passage, Turn, after_search, answer, count_tokens

TOOLS = {"create_meeting"}


def user(text: str) -> list[Turn]:
    return [Turn("user", text)]


def test_tokens_are_utf8_bytes_over_four_rounded_up() -> None:
    assert count_tokens("") == 0
    assert count_tokens("abcd") == 1
    assert count_tokens("abcde") == 2
    assert count_tokens("é") == 1  # two bytes
    assert count_tokens("日本語") == 3  # nine bytes


def test_plain_text_is_echoed_and_cut_to_200_characters() -> None:
    reply = answer(user("x" * 300), instructions=None, tools=TOOLS)
    assert reply.text == "echo: " + "x" * 200
    assert reply.tool_call is None and reply.error is None
    assert reply.input_tokens == 75
    assert reply.output_tokens == count_tokens(reply.text)


def test_instructions_and_every_turn_count_as_input() -> None:
    turns = [Turn("user", "aaaa"), Turn("assistant", "bbbbbbbb"), Turn("user", "cccc")]
    reply = answer(turns, instructions="dddd", tools=TOOLS)
    assert reply.input_tokens == 1 + 1 + 2 + 1
    assert reply.text == "echo: cccc"


def test_call_produces_a_tool_call_with_compact_sorted_arguments() -> None:
    reply = answer(user('/call create_meeting {"when": "noon", "at": 1}'), instructions=None, tools=TOOLS)
    assert reply.tool_call is not None
    assert reply.tool_call.name == "create_meeting"
    assert reply.tool_call.arguments == '{"at":1,"when":"noon"}'
    assert reply.output_tokens == count_tokens('create_meeting{"at":1,"when":"noon"}')


def test_call_without_arguments_passes_an_empty_object() -> None:
    reply = answer(user("/call create_meeting"), instructions=None, tools=TOOLS)
    assert reply.tool_call is not None and reply.tool_call.arguments == "{}"


def test_call_to_a_tool_not_offered_answers_in_text() -> None:
    reply = answer(user("/call delete_everything {}"), instructions=None, tools=TOOLS)
    assert reply.tool_call is None
    assert reply.text == "tool delete_everything is not available"


def test_call_with_arguments_that_are_not_an_object_answers_in_text() -> None:
    for raw in ("[1, 2]", "{not json"):
        reply = answer(user(f"/call create_meeting {raw}"), instructions=None, tools=TOOLS)
        assert reply.text == "invalid /call arguments: expected a JSON object"


def test_trailing_tool_outputs_are_summarised() -> None:
    turns = [
        *user("/call create_meeting {}"),
        Turn("tool_call", "create_meeting{}"),
        Turn("tool_output", "ok"),
    ]
    reply = answer(turns, instructions=None, tools=TOOLS)
    assert reply.text == "tool result: ok"


def test_fail_command_fails_with_its_message_and_no_output_tokens() -> None:
    reply = answer(user("/fail upstream exploded"), instructions=None, tools=TOOLS)
    assert reply.error == "upstream exploded"
    assert reply.output_tokens == 0 and reply.input_tokens > 0
    assert answer(user("/fail"), instructions=None, tools=TOOLS).error == "The model failed."


def test_no_user_message_echoes_nothing() -> None:
    assert answer([], instructions="be brief", tools=()).text == "echo: "


def test_same_input_same_answer() -> None:
    turns = user('/call create_meeting {"b": 2, "a": 1}')
    assert answer(turns, instructions="i", tools=TOOLS) == answer(turns, instructions="i", tools=TOOLS)


def test_search_command_asks_for_a_search_when_file_search_is_offered() -> None:
    for mode in ("offered", "only"):
        reply = answer(user("/search  refund policy "), instructions=None, tools=TOOLS, file_search=mode)
        assert reply.search == "refund policy" and reply.text is None and reply.tool_call is None
        assert reply.output_tokens == count_tokens("refund policy")


def test_search_command_without_file_search_or_query_answers_in_text() -> None:
    assert (
        answer(user("/search x"), instructions=None, tools=TOOLS).text == "tool file_search is not available"
    )
    reply = answer(user("/search"), instructions=None, tools=(), file_search="only")
    assert reply.text == "invalid /search: expected a query"


def test_plain_question_searches_only_when_file_search_is_the_only_tool() -> None:
    assert (
        answer(user("Where is it?"), instructions=None, tools=(), file_search="only").search == "Where is it?"
    )
    assert answer(user("Where is it?"), instructions=None, tools=(), file_search="offered").text == (
        "echo: Where is it?"
    )
    # Commands keep their meaning: `/call` is still a call, an unknown command is echoed.
    assert answer(user("/unknown"), instructions=None, tools=(), file_search="only").text == "echo: /unknown"
    called = answer(user("/call create_meeting"), instructions=None, tools=TOOLS, file_search="only")
    assert called.tool_call is not None


def test_after_search_quotes_the_best_passage_and_counts_what_it_read() -> None:
    asked = answer(user("/search days"), instructions=None, tools=(), file_search="only")
    found = after_search(asked, ["abcd" * 10, "efgh"], Passage("a.md", "25 days"))
    assert found.text == 'From a.md: "25 days"' and found.search == "days"
    assert found.input_tokens == asked.input_tokens + 10 + 1
    assert found.output_tokens == count_tokens("days") + count_tokens('From a.md: "25 days"')
    nothing = after_search(asked, [], None)
    assert nothing.text == "file search found nothing for: days"
    assert nothing.input_tokens == asked.input_tokens
