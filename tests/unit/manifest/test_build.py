"""Kind-specific building: response formats, globs with attributes, code interpreter files, spend cents."""

from __future__ import annotations

from pathlib import Path

from reconciler.manifest import load_project, validate_project

from .conftest import Write, doc


def test_json_schema_response_format_is_checked_in_strict_mode(project: Path, write: Write) -> None:
    spec = """model: gpt-5.5-2026-04-23
instructions: Answer in JSON.
responseFormat:
  type: json_schema
  name: answer
  strict: true
  schema:
    type: object
    properties:
      text: {type: string}
    required: [text]"""
    write("a.yaml", doc("Assistant", "A", spec))
    assert [str(p) for p in validate_project(project).errors] == [
        'a.yaml:13:7: error: spec.responseFormat.schema: add "additionalProperties": false to this object '
        "[strict.additional-properties]"
    ]


def test_response_format_is_stored_in_platform_shape(project: Path, write: Write) -> None:
    spec = """model: gpt-5.5-2026-04-23
instructions: Answer in JSON.
responseFormat: {type: json_schema, name: answer, schema: {type: object}}"""
    write("a.yaml", doc("Assistant", "A", spec))
    assistant = load_project(project).desired.assistants["A"]
    assert assistant.response_format == {
        "type": "json_schema",
        # No description is no key: the spec refuses a null one.
        "json_schema": {"name": "answer", "schema": {"type": "object"}, "strict": False},
    }


def test_globs_attributes_and_code_interpreter_csv(project: Path, write: Write) -> None:
    write("m/docs/a.md", "a")
    write("m/docs/b.txt", "b")
    write("m/data/rates.csv", "city,rate\n")
    write("m/v.yaml", doc("VectorStore", "Docs", "files:\n  - path: docs/*\n    attributes: {team: hr}"))
    spec = """model: gpt-5.5-2026-04-23
instructions: Help.
tools: [file_search, code_interpreter]
toolResources:
  fileSearch: {vectorStores: [Docs]}
  codeInterpreter: {files: [data/rates.csv]}"""
    write("m/a.yaml", doc("Assistant", "A", spec))
    desired = load_project(project).desired
    files = desired.vector_stores["Docs"].files
    assert [(f.path, f.attributes) for f in files] == [
        ("m/docs/a.md", {"team": "hr"}),
        ("m/docs/b.txt", {"team": "hr"}),
    ]
    assert [f.path for f in desired.assistants["A"].code_interpreter_files] == ["m/data/rates.csv"]


def test_spend_amounts_become_cents(project: Path, write: Write) -> None:
    alert = "scope: proj_abc123\nthresholdUSD: 99.99\nnotify: {email: [a@example.com]}\nsubjectPrefix: '[x]'"
    write(
        "s.yaml",
        doc("SpendAlert", "alert", alert)
        + "---\n"
        + doc("SpendLimit", "cap", "scope: project\namountUSD: 250"),
    )
    desired = load_project(project).desired
    assert desired.spend_alerts["alert"].threshold_cents == 9999
    assert desired.spend_alerts["alert"].emails == ("a@example.com",)
    assert desired.spend_limits["cap"].amount_cents == 25_000
    assert desired.sources == {"SpendAlert/alert": "s.yaml:1", "SpendLimit/cap": "s.yaml:11"}


def test_secret_values_have_no_place_in_targets(project: Path, write: Write) -> None:
    write("reconcile.yaml", doc("Project", "p", "targets:\n  prod: {type: openai, apiKeyEnv: sk-live-123}"))
    assert [str(p) for p in validate_project(project).errors] == [
        "reconcile.yaml:7:37: error: spec.targets.prod.apiKeyEnv: String should match pattern "
        "'^[A-Z_][A-Z0-9_]*$' [field.invalid]"
    ]
