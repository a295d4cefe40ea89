"""load_project on the example: desired state, sources, cents, files; root discovery and ManifestError."""

from __future__ import annotations

import hashlib
import os
from datetime import date
from pathlib import Path

import pytest

from reconciler.config import ProjectConfig
from reconciler.errors import ManifestError, ProjectNotFound, UserError
from reconciler.manifest import load_project, validate_project
from reconciler.manifest.project import covers
from reconciler.model.desired import BuiltinTool

from .conftest import REPO, Write, doc

TODAY = date(2026, 11, 25)


def test_the_example_project_loads() -> None:
    project = load_project(REPO / "manifests", as_of=TODAY)
    assert project.config.root == REPO
    assert project.config.manifests == "manifests"
    assert set(project.config.targets) == {"local", "served", "openai"}
    assert project.config.targets["served"].base_url == "http://127.0.0.1:8000/v1"
    assert project.config.targets["openai"].api_key_env == "OPENAI_API_KEY"
    assert project.warnings == []
    desired = project.desired
    assistant = desired.assistants["CorporateAssist"]
    assert [f.name for f in assistant.functions] == ["create_meeting", "list_expenses"]
    assert assistant.builtins == (BuiltinTool.FILE_SEARCH, BuiltinTool.CODE_INTERPRETER)
    assert assistant.file_search_vector_stores == ("ExpensePolicy2026",)
    assert assistant.rollout.strategy == "canary"
    steps = assistant.rollout.steps
    assert [s.kind for s in steps] == [
        "smoke",
        "weight",
        "pause",
        "analysis",
        "weight",
        "pause",
        "analysis",
        "weight",
    ]
    assert [s.weight for s in steps if s.kind == "weight"] == [10, 50, 100]
    assert [s.pause_seconds for s in steps if s.kind == "pause"] == [600, 600]
    assert [s.analysis.templates for s in steps if s.analysis is not None] == [("tool-health",)] * 2
    assert [check.name for check in steps[0].smoke] == ["books-a-meeting", "cites-the-policy"]
    assert assistant.rollout.on_abort == "stable"
    health = desired.analysis_templates["tool-health"]
    assert [(m.name, m.provider.type, m.interval_seconds, m.count) for m in health.metrics] == [
        ("invalid-tool-calls", "builtin", 300.0, 3),
        ("errors", "builtin", 300.0, 3),
    ]
    meeting = desired.function_tools["create_meeting"]
    assert meeting.strict is True
    assert meeting.parameters["required"] == ["title", "start", "duration_minutes", "attendees"]
    store = desired.vector_stores["ExpensePolicy2026"]
    rules = REPO / "manifests" / "files" / "expense-rules.md"
    assert store.files[0].path == "manifests/files/expense-rules.md"
    assert store.files[0].sha256 == hashlib.sha256(rules.read_bytes()).hexdigest()
    assert store.files[0].attributes == {"year": 2026, "kind": "rules"}
    assert (store.chunking.max_chunk_size_tokens, store.chunking.chunk_overlap_tokens) == (800, 200)
    assert desired.spend_alerts["corporate-assist-monthly"].threshold_cents == 10_000
    assert desired.sources["Assistant/CorporateAssist"] == "manifests/corporate-assist.yaml:2"
    assert desired.sources["FunctionTool/list_expenses"] == "manifests/list-expenses.yaml:2"


def test_root_directory_reads_the_manifests_setting() -> None:
    report = validate_project(REPO, strict=True, as_of=TODAY)
    assert report.ok
    assert report.documents == 6


def test_load_project_raises_with_every_error(project: Path, write: Write) -> None:
    write("a.yaml", doc("Assistant", "A", "model: gpt-5.5-2026-04-23\ntools: [nope, nada]"))
    with pytest.raises(ManifestError) as caught:
        load_project(project)
    assert [str(p) for p in caught.value.problems if p.severity == "error"] == [
        "a.yaml:7:11: error: spec.tools[0]: no FunctionTool named 'nope' "
        "(built-ins: file_search, code_interpreter) [ref.dangling]",
        "a.yaml:7:17: error: spec.tools[1]: no FunctionTool named 'nada' "
        "(built-ins: file_search, code_interpreter) [ref.dangling]",
    ]
    assert str(caught.value) == "2 problems in manifests"


def test_without_a_project_file_there_is_no_project(tmp_path: Path) -> None:
    """Issue 13 item 5: the directory used to become a project with default settings (and a state store)."""
    (tmp_path / "t.yaml").write_text(doc("SpendLimit", "cap", "scope: organization\namountUSD: 12.34"))
    with pytest.raises(ProjectNotFound, match=r"no reconcile\.yaml in .* or any directory above it"):
        load_project(tmp_path)
    report = validate_project(tmp_path)
    assert [(p.code, str(p.location)) for p in report.problems] == [("project.missing", "reconcile.yaml")]
    assert not report.ok and report.files == 0


def test_a_subdirectory_loads_the_whole_project(
    project: Path, write: Write, monkeypatch: pytest.MonkeyPatch
) -> None:
    write("top.yaml", doc("SpendLimit", "top", "scope: organization\namountUSD: 2"))
    write("deep/er/t.yaml", doc("SpendLimit", "cap", "scope: organization\namountUSD: 1"))
    monkeypatch.chdir(project / "deep" / "er")
    loaded = load_project()
    assert loaded.config.root == project.resolve()
    assert loaded.desired.sources == {"SpendLimit/cap": "deep/er/t.yaml:1", "SpendLimit/top": "top.yaml:1"}
    assert validate_project().narrowed is False


def test_a_path_naming_part_of_the_project_validates_the_whole_but_does_not_load(
    project: Path, write: Write
) -> None:
    write("top.yaml", doc("SpendLimit", "top", "scope: organization\namountUSD: 2"))
    write("deep/er/t.yaml", doc("SpendLimit", "cap", "scope: organization\namountUSD: 1"))
    report = validate_project(project / "deep")
    assert (report.narrowed, report.documents, report.ok) == (True, 2, True)
    with pytest.raises(UserError, match="run it without a path from anywhere inside the project"):
        load_project(project / "deep")
    assert set(load_project(project).desired.spend_limits) == {"top", "cap"}


@pytest.mark.parametrize(
    ("where", "whole"),
    [(".", True), ("a", True), ("a/m", True), ("a/m/sub", False), ("other", False), ("a/m/../m", True)],
)
def test_covers_the_root_and_directories_holding_the_manifests(
    project: Path, write: Write, where: str, whole: bool
) -> None:
    write("reconcile.yaml", doc("Project", "p", "manifests: a/m"))
    write("a/m/sub/t.yaml", doc("SpendLimit", "cap", "scope: organization\namountUSD: 1"))
    (project / "other").mkdir()
    report = validate_project(project / where)
    assert report.narrowed is not whole
    assert report.documents == 1
    assert covers(project / where, report.config) is whole


def test_hidden_directories_and_other_files_are_skipped(project: Path, write: Write) -> None:
    write(".reconcile/junk.yaml", "not: [valid")
    write("notes.txt", "x: [")
    assert validate_project(project).problems == []


def test_project_file_problems(project: Path, write: Write) -> None:
    write(
        "reconcile.yaml",
        doc(
            "Project",
            "p",
            "defaultTarget: prod\nmanifests: ../elsewhere\ntargets:\n  local: {type: local, apiKey: sk-123}",
        ),
    )
    lines = [str(p) for p in validate_project(project).problems]
    assert lines == [
        "reconcile.yaml:9:26: error: spec.targets.local.apiKey: unknown field; did you mean 'apiKeyEnv'? "
        "[field.unknown]"
    ]
    write("reconcile.yaml", doc("Project", "p", "defaultTarget: prod\nmanifests: ../elsewhere"))
    lines = [str(p) for p in validate_project(project).problems]
    assert lines == [
        "reconcile.yaml:6:18: error: spec.defaultTarget: no target named 'prod' (known: local) "
        "[project.default-target]",
        "reconcile.yaml:7:14: error: spec.manifests: '../elsewhere' leaves the project root [path.escape]",
    ]


def test_project_kind_outside_the_project_file(project: Path, write: Write) -> None:
    write("p.yaml", doc("Project", "p", "{}"))
    assert [str(p) for p in validate_project(project).problems] == [
        "p.yaml:2:7: error: kind: Project belongs in reconcile.yaml at the project root [document.kind]"
    ]


def test_parameters_file_and_instructions_file(project: Path, write: Write) -> None:
    write(
        "schemas/p.json",
        '{"type": "object", "properties": {"q": {"type": "string"}}, "required": ["q"], '
        '"additionalProperties": false}',
    )
    write("prompts/a.md", "Be brief.\n")
    write(
        "m/t.yaml",
        doc(
            "FunctionTool", "search", "description: Search.\nstrict: true\nparametersFile: ../schemas/p.json"
        ),
    )
    write(
        "m/a.yaml",
        doc(
            "Assistant", "A", "model: gpt-5.5-2026-04-23\ninstructionsFile: ../prompts/a.md\ntools: [search]"
        ),
    )
    desired = load_project(project).desired
    assert desired.function_tools["search"].parameters["required"] == ["q"]
    assert desired.assistants["A"].instructions == "Be brief.\n"


def test_strict_violation_in_a_parameters_file_is_located_in_that_file(project: Path, write: Write) -> None:
    write("p.json", '{\n  "type": "object",\n  "properties": {"q": {"type": "string"}}\n}\n')
    write("t.yaml", doc("FunctionTool", "search", "description: S.\nstrict: true\nparametersFile: p.json"))
    assert [str(p) for p in validate_project(project).errors] == [
        'p.json:1:1: error: parameters: add "additionalProperties": false to this object '
        "[strict.additional-properties]",
        "p.json:3:23: error: parameters/properties/q: list 'q' in required; "
        'to keep it optional make it nullable (add "null" to its type) [strict.required]',
    ]


@pytest.mark.skipif(not hasattr(os, "getuid") or os.getuid() != 0, reason="chown needs root")
def test_a_project_file_owned_by_another_user_is_not_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A reconcile.yaml planted in a shared parent directory would receive the API key of whoever runs
    reconcile below it (found by the review of issue 12): like git, refuse one another user owns."""
    planted = tmp_path / "shared"
    (planted / "victim" / "work").mkdir(parents=True)
    (planted / "reconcile.yaml").write_text(
        "apiVersion: reconciler.dev/v1\nkind: Project\nmetadata: {name: trap}\nspec:\n"
        "  defaultTarget: trap\n  targets: {trap: {type: openai, baseURL: 'http://127.0.0.1:9/v1'}}\n"
    )
    os.chown(planted / "reconcile.yaml", 12345, 12345)
    monkeypatch.delenv("RECONCILE_SAFE_DIRECTORY", raising=False)
    report = validate_project(planted / "victim" / "work")
    assert [p.code for p in report.errors] == ["project.unsafe-owner"]
    assert report.config.targets == ProjectConfig().targets  # nothing of the planted file was taken
    monkeypatch.setenv("RECONCILE_SAFE_DIRECTORY", str(planted))
    assert validate_project(planted / "victim" / "work").config.default_target == "trap"


def test_materialize_agents_is_read_and_refused_on_assistants_v2(project: Path, write: Write) -> None:
    """`materialize: agents` makes a platform agent per bundle: a Responses-era setting only (issue 15)."""
    project_file = "kind: Project\nmetadata: {name: t}\nspec:\n  targets:\n    local: {%s}\n"
    write("reconcile.yaml", "apiVersion: reconciler.dev/v1\n" + project_file % "materialize: agents")
    report = validate_project(project)
    assert report.ok and report.config.targets["local"].materialize == "agents"
    assert ProjectConfig().targets["local"].materialize == "none"  # off unless asked for
    write(
        "reconcile.yaml",
        "apiVersion: reconciler.dev/v1\n" + project_file % "api: assistants-v2, materialize: agents",
    )
    assert [str(p) for p in validate_project(project).errors] == [
        "reconcile.yaml:6:12: error: spec.targets.local: materialize: agents needs api: responses "
        "(on assistants-v2 every version already is a platform assistant); remove materialize or set "
        "api: responses [field.invalid]"
    ]


def test_conversation_settings_are_read_with_durations(project: Path, write: Write) -> None:
    """`spec.conversations` (issue 17): the retention behind gc's pins and transitive verdicts, and the
    migration engine's requests per minute; both default when absent."""
    assert validate_project(project).config.conversations.retention_seconds == 30 * 86_400.0
    assert validate_project(project).config.conversations.requests_per_minute == 500
    for text, seconds in (("12h", 43_200.0), ("90m", 5_400.0), ("3600s", 3_600.0), ("7d", 604_800.0)):
        write("reconcile.yaml", doc("Project", "p", f"conversations: {{retention: {text}}}"))
        report = validate_project(project)
        assert report.ok, [str(p) for p in report.problems]
        assert report.config.conversations.retention_seconds == seconds
    write("reconcile.yaml", doc("Project", "p", "conversations: {retention: 2d, requestsPerMinute: 60}"))
    settings = validate_project(project).config.conversations
    assert (settings.retention_seconds, settings.requests_per_minute) == (172_800.0, 60)
    assert settings.model_dump(by_alias=True) == {"retention": "2d", "requestsPerMinute": 60}


@pytest.mark.parametrize(
    ("spec", "key"),
    [
        ("conversations: {retention: 0d}", "spec.conversations.retention"),
        ("conversations: {retention: 30}", "spec.conversations.retention"),
        ("conversations: {retention: 1w}", "spec.conversations.retention"),
        ("conversations: {requestsPerMinute: 0}", "spec.conversations.requestsPerMinute"),
        ("conversations: {retain: 30d}", "spec.conversations.retain"),
    ],
)
def test_bad_conversation_settings_name_their_key(project: Path, write: Write, spec: str, key: str) -> None:
    write("reconcile.yaml", doc("Project", "p", spec))
    errors = [str(p) for p in validate_project(project).errors]
    assert len(errors) == 1 and errors[0].startswith("reconcile.yaml:6:"), errors
    assert f" {key}: " in errors[0]
