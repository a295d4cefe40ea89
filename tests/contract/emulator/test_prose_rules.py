"""Rules OpenAI enforces that the spec's request schemas do not state (its descriptions do, or its docs):
each request below validates against the spec, and the platform still answers it with a 400."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import openai
import pytest

from tests.contract.emulator.conftest import ADMIN_KEY, FakeClock, raw_json

pytestmark = pytest.mark.filterwarnings("ignore:.*deprecated:DeprecationWarning")
CHANNEL = {"type": "email", "recipients": ["ops@example.com"]}


def _function(name: str) -> Any:
    return {"type": "function", "function": {"name": name, "parameters": {"type": "object"}}}


def _response_function(name: str) -> Any:
    return {"type": "function", "name": name, "parameters": {"type": "object"}, "strict": False}


def _refused(call: Callable[[], object], param: str | None) -> str:
    """The platform's 400 envelope with `param`; returns the message."""
    with pytest.raises(openai.BadRequestError) as caught:
        call()
    error = caught.value.response.json()["error"]
    assert error["type"] == "invalid_request_error"
    assert set(error) == {"message", "type", "param", "code"}
    assert error["param"] == param
    return str(error["message"])


@pytest.mark.parametrize("name", ["get weather", "get.weather", "x" * 65, "wetter_für_heute"])
def test_function_names_must_match_the_documented_pattern(client: openai.OpenAI, name: str) -> None:
    assistants = client.beta.assistants
    _refused(lambda: assistants.create(model="gpt-4o", tools=[_function(name)]), "tools[0].function.name")
    assistant = assistants.create(model="gpt-4o", tools=[_function("ok_name-64")])
    tools = [{"type": "code_interpreter"}, _function(name)]
    _refused(lambda: assistants.update(assistant.id, tools=tools), "tools[1].function.name")
    thread = client.beta.threads.create()
    runs = client.beta.threads.runs
    _refused(
        lambda: runs.create(thread.id, assistant_id=assistant.id, tools=[_function(name)]),
        "tools[0].function.name",
    )
    _refused(
        lambda: client.responses.create(model="gpt-4o", input="hi", tools=[_response_function(name)]),
        "tools[0].name",
    )
    assert [t.function.name for t in assistants.retrieve(assistant.id).tools] == ["ok_name-64"]  # type: ignore[union-attr]


def test_function_names_are_unique_in_one_tools_list(client: openai.OpenAI) -> None:
    tools = [_function("lookup"), {"type": "file_search"}, _function("lookup")]
    message = _refused(
        lambda: client.beta.assistants.create(model="gpt-4o", tools=tools), "tools[2].function.name"
    )
    assert "'lookup'" in message
    twice = [_response_function("lookup"), _response_function("lookup")]
    _refused(lambda: client.responses.create(model="gpt-4o", input="hi", tools=twice), "tools[1].name")
    assert client.beta.assistants.list().data == []


def test_tool_resources_name_files_and_vector_stores_that_exist(client: openai.OpenAI) -> None:
    store = client.vector_stores.create(name="kb")
    upload = client.files.create(file=("data.csv", b"a,b\n1,2\n"), purpose="assistants")
    assistants = client.beta.assistants
    _refused(
        lambda: assistants.create(
            model="gpt-4o", tool_resources={"file_search": {"vector_store_ids": ["vs_missing"]}}
        ),
        "tool_resources.file_search.vector_store_ids[0]",
    )
    _refused(
        lambda: assistants.create(
            model="gpt-4o", tool_resources={"code_interpreter": {"file_ids": [upload.id, "file-missing"]}}
        ),
        "tool_resources.code_interpreter.file_ids[1]",
    )
    _refused(
        lambda: client.beta.threads.create(tool_resources={"file_search": {"vector_store_ids": ["vs_gone"]}}),
        "tool_resources.file_search.vector_store_ids[0]",
    )
    kept = assistants.create(
        model="gpt-4o",
        tool_resources={
            "file_search": {"vector_store_ids": [store.id]},
            "code_interpreter": {"file_ids": [upload.id]},
        },
    )
    assert kept.tool_resources is not None and kept.tool_resources.file_search is not None
    assert kept.tool_resources.file_search.vector_store_ids == [store.id]


def test_the_inline_vector_store_helper_is_refused_not_stored(client: openai.OpenAI) -> None:
    upload = client.files.create(file=("notes.md", b"# notes\n"), purpose="assistants")
    helper: Any = {"file_search": {"vector_stores": [{"file_ids": [upload.id]}]}}
    message = _refused(
        lambda: client.beta.assistants.create(model="gpt-4o", tool_resources=helper),
        "tool_resources.file_search.vector_stores",
    )
    assert "not supported by the emulator" in message


def test_run_instructions_obey_the_assistants_limit(client: openai.OpenAI) -> None:
    assistant = client.beta.assistants.create(model="gpt-4o")
    thread = client.beta.threads.create()
    runs = client.beta.threads.runs
    long = "x" * 256_001
    _refused(lambda: runs.create(thread.id, assistant_id=assistant.id, instructions=long), "instructions")
    _refused(
        lambda: runs.create(thread.id, assistant_id=assistant.id, additional_instructions=long),
        "additional_instructions",
    )
    assert runs.create(thread.id, assistant_id=assistant.id, instructions="x" * 256_000).status == "queued"


def test_a_function_call_output_must_answer_a_call(client: openai.OpenAI) -> None:
    orphan = [{"type": "function_call_output", "call_id": "call_nobody_made", "output": "42"}]
    message = _refused(lambda: client.responses.create(model="gpt-4o", input=orphan), "input")  # type: ignore[arg-type]
    assert "call_nobody_made" in message
    first = client.responses.create(model="gpt-4o", input="hello")
    _refused(
        lambda: client.responses.create(model="gpt-4o", previous_response_id=first.id, input=orphan),  # type: ignore[arg-type]
        "input",
    )
    # A call and its output in the same input are a valid transcript.
    paired: Any = [
        {"type": "function_call", "call_id": "call_1", "name": "lookup", "arguments": "{}"},
        {"type": "function_call_output", "call_id": "call_1", "output": "42"},
    ]
    assert client.responses.create(model="gpt-4o", input=paired).output_text == "tool result: 42"


@pytest.mark.parametrize("model", ["gpt-9-imaginary", "gpt4o"])
def test_unknown_models_do_not_exist(client: openai.OpenAI, model: str) -> None:
    message = _refused(lambda: client.beta.assistants.create(model=model), "model")
    assert message == f"The requested model '{model}' does not exist."
    assistant = client.beta.assistants.create(model="gpt-4o")
    _refused(lambda: client.beta.assistants.update(assistant.id, model=model), "model")
    thread = client.beta.threads.create()
    _refused(
        lambda: client.beta.threads.runs.create(thread.id, assistant_id=assistant.id, model=model), "model"
    )
    _refused(lambda: client.responses.create(model=model, input="hi"), "model")
    assert client.beta.assistants.retrieve(assistant.id).model == "gpt-4o"


def test_a_model_is_gone_after_its_shutdown_day(client: openai.OpenAI, clock: FakeClock) -> None:
    clock.now = 1_790_000_000.0  # 2026-09-22: gpt-4 still answers (shutdown 2026-10-23)
    assert client.beta.assistants.create(model="gpt-4").model == "gpt-4"
    clock.now = 1_795_000_000.0  # 2026-11-18
    message = _refused(lambda: client.beta.assistants.create(model="gpt-4"), "model")
    assert "shut down on 2026-10-23" in message


def test_responses_only_models_are_refused_by_assistants(client: openai.OpenAI) -> None:
    message = _refused(lambda: client.beta.assistants.create(model="o3-pro"), "model")
    assert message == "The requested model 'o3-pro' cannot be used with the Assistants API."
    assert client.responses.create(model="o3-pro", input="hi").model == "o3-pro"


def test_uploads_follow_the_purpose_allow_list(client: openai.OpenAI) -> None:
    message = _refused(lambda: client.files.create(file=("requests.csv", b"a,b\n"), purpose="batch"), "file")
    assert "JSONL" in message
    assert client.files.create(file=("requests.jsonl", b"{}\n"), purpose="batch").purpose == "batch"
    _refused(lambda: client.files.create(file=("setup.exe", b"MZ"), purpose="assistants"), "file")
    _refused(lambda: client.files.create(file=("config.yaml", b"a: 1\n"), purpose="assistants"), "file")
    assert [f.filename for f in client.files.list()] == ["requests.jsonl"]


def test_file_search_fails_types_outside_its_allow_list(client: openai.OpenAI) -> None:
    # .csv is a valid assistants upload (code interpreter reads it) but file search cannot index it.
    store = client.vector_stores.create(name="kb")
    csv = client.files.create(file=("table.csv", b"a,b\n1,2\n"), purpose="assistants")
    md = client.files.create(file=("table.md", b"| a | b |\n"), purpose="assistants")
    failed = client.vector_stores.files.create(store.id, file_id=csv.id)
    client.vector_stores.files.create(store.id, file_id=md.id)
    failed = client.vector_stores.files.retrieve(failed.id, vector_store_id=store.id)
    assert failed.status == "failed"
    assert failed.last_error is not None and failed.last_error.code == "unsupported_file"
    assert client.vector_stores.files.retrieve(md.id, vector_store_id=store.id).status == "completed"


def test_an_archived_projects_spend_settings_cannot_change(client: openai.OpenAI) -> None:
    project = client.admin.organization.projects.create(name="retired")
    alerts = client.admin.organization.projects.spend_alerts
    alert = alerts.create(
        project.id, threshold_amount=100, currency="USD", interval="month", notification_channel=CHANNEL
    )
    client.post(
        f"/organization/projects/{project.id}/archive",
        cast_to=object,
        options={"headers": {"Authorization": f"Bearer {ADMIN_KEY}"}},
    )
    create = lambda: alerts.create(  # noqa: E731
        project.id, threshold_amount=50, currency="USD", interval="month", notification_channel=CHANNEL
    )
    message = _refused(create, "project_id")
    assert "archived" in message
    _refused(
        lambda: alerts.update(
            alert.id,
            project_id=project.id,
            threshold_amount=10,
            currency="USD",
            interval="month",
            notification_channel=CHANNEL,
        ),
        "project_id",
    )
    _refused(lambda: client.admin.organization.projects.update(project.id, name="revived"), "project_id")
    # Reading still works, and nothing changed.
    listed = raw_json(alerts.with_raw_response.list(project.id))["data"]
    assert [(a["id"], a["threshold_amount"]) for a in listed] == [(alert.id, 100)]


def _json_schema_format(name: str) -> Any:
    return {"type": "json_schema", "json_schema": {"name": name, "schema": {"type": "object"}}}


@pytest.mark.parametrize("name", ["my format", "out.v2", "x" * 65, ""])
def test_response_format_names_follow_the_function_name_rule(client: openai.OpenAI, name: str) -> None:
    """ResponseFormatJsonSchema's `name`: "Must be a-z, A-Z, 0-9, or contain underscores and dashes, with
    a maximum length of 64" (prose only). It was stored and echoed."""
    assistants = client.beta.assistants
    param = "response_format.json_schema.name"
    _refused(lambda: assistants.create(model="gpt-4o", response_format=_json_schema_format(name)), param)
    assistant = assistants.create(model="gpt-4o", response_format=_json_schema_format("out_v2-ok"))
    _refused(lambda: assistants.update(assistant.id, response_format=_json_schema_format(name)), param)
    thread = client.beta.threads.create()
    runs = client.beta.threads.runs
    fmt = _json_schema_format(name)
    _refused(lambda: runs.create(thread.id, assistant_id=assistant.id, response_format=fmt), param)
    text_format = {"type": "json_schema", "name": name, "schema": {"type": "object"}}
    _refused(
        lambda: client.responses.create(model="gpt-4o", input="hi", text={"format": text_format}),  # type: ignore[typeddict-item]
        "text.format.name",
    )
    assert assistants.retrieve(assistant.id).response_format.json_schema.name == "out_v2-ok"  # type: ignore[union-attr]
