"""Issue 13 item 5: problems speak the manifest author's language (JSON's `null`, `true`, `1.0` as written,
"mapping"), not Python's (`None`, `True`, "dictionary or instance of ChunkingSpec"), and an unknown field
names the allowed field it is probably a misspelling of."""

from __future__ import annotations

from pathlib import Path

from reconciler.manifest import validate_project

from .conftest import HEADER, REPO, Write, doc


def _messages(project: Path) -> list[str]:
    return [p.message for p in validate_project(project).problems]


def test_values_in_problems_are_json_terms(project: Path, write: Write) -> None:
    write(
        "a.yaml",
        HEADER + "kind: null\nmetadata: {name: true}\nspec: {}\n"
        "---\n" + HEADER + "kind: Assistant\nmetadata: {name: A}\n"
        "spec: {model: null, temperature: true, instructions: Help., rollout: {strategy: canary, steps: "
        "[{weight: 10.0}]}}\n"
        "---\napiVersion: 1.0\nkind: VectorStore\nmetadata: {name: V}\nspec: {chunking: 5, files: {a: 1}}\n",
    )
    messages = _messages(project)
    assert messages == [
        "kind: unknown kind null (expected one of Assistant, FunctionTool, VectorStore, SpendAlert, "
        "SpendLimit, AnalysisTemplate)",
        "metadata.name: true must match ^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$",
        "spec.model: Input should be a valid string, got null",
        "spec.temperature: Input should be a valid number, got true",
        "spec.rollout.steps[0].weight: Input should be a valid integer, got 10.0",
        "apiVersion: expected 'reconciler.dev/v1', got 1.0",
        "spec.chunking: Input should be a mapping, got 5",
        "spec.files: Input should be a valid list, got a mapping",
    ]
    for python in ("None", "True", "dictionary", "instance of"):
        assert not any(python in m for m in messages), python


def test_a_misspelled_field_names_the_field_it_probably_means(project: Path, write: Write) -> None:
    write(
        "a.yaml",
        doc(
            "Assistant",
            "A",
            "model: gpt-5.5-2026-04-23\ninstructions: Help.\ntemprature: 0.2\n"
            "toolResources: {codeInterpreter: {file: []}}\n"
            "responseFormat: {type: json_schema, name: x, schema: {type: object}, strct: true}",
        ).replace("metadata:", "metdata: {}\nmetadata:"),
    )
    assert _messages(project) == [
        "metdata: unknown field; did you mean 'metadata'?",
        "spec.temprature: unknown field; did you mean 'temperature'?",
        "spec.toolResources.codeInterpreter.file: unknown field; did you mean 'files'?",
        "spec.responseFormat.strct: unknown field; did you mean 'strict'?",
    ]


def test_a_misspelled_project_setting_names_the_setting(project: Path) -> None:
    (project / "reconcile.yaml").write_text(
        HEADER + "kind: Project\nmetadata: {name: t}\nspec:\n  targets: {local: {type: local, baseUrl: x}}\n"
        "  retry: {maxAttempt: 3}\n"
    )
    assert _messages(project) == [
        "spec.targets.local.baseUrl: unknown field; did you mean 'baseURL'?",
        "spec.retry.maxAttempt: unknown field; did you mean 'maxAttempts'?",
    ]


def test_an_unknown_kind_names_the_kind_it_probably_means(project: Path, write: Write) -> None:
    write("a.yaml", doc("Asistant", "A", "model: gpt-5.5-2026-04-23"))
    assert _messages(project) == [
        "kind: unknown kind 'Asistant' (expected one of Assistant, FunctionTool, VectorStore, SpendAlert, "
        "SpendLimit, AnalysisTemplate); did you mean 'Assistant'?"
    ]


def test_integer_attributes_stay_integers() -> None:
    """`year: 2026` in the example's file attributes reached the plan as 2026.0."""
    desired = validate_project(REPO).desired
    assert desired is not None
    (store,) = desired.vector_stores.values()
    years = [f.attributes["year"] for f in store.files]
    assert years == [2026, 2026] and all(type(y) is int for y in years)
