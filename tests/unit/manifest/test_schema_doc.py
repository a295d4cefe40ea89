"""`reconcile schema`: the committed copy is current, valid 2020-12, and accepts the examples."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from jsonschema import Draft202012Validator  # type: ignore[import-untyped]

from reconciler.manifest.schema_doc import manifest_schema, manifest_schema_text

from .conftest import REPO

COMMITTED = REPO / "schemas" / "reconciler.schema.json"
EXAMPLES = [*sorted(str(p) for p in (REPO / "manifests").glob("*.yaml")), str(REPO / "reconcile.yaml")]


def test_committed_copy_equals_the_generated_schema() -> None:
    assert COMMITTED.read_text() == manifest_schema_text(), (
        "run: reconcile schema > schemas/reconciler.schema.json"
    )


def test_schema_is_valid_2020_12_and_covers_every_kind() -> None:
    schema = manifest_schema()
    Draft202012Validator.check_schema(schema)
    assert set(schema["properties"]["kind"]["enum"]) == {
        "Assistant",
        "FunctionTool",
        "VectorStore",
        "SpendAlert",
        "SpendLimit",
        "AnalysisTemplate",
        "Project",
    }
    assert len(schema["allOf"]) == 7


def test_examples_carry_the_modeline() -> None:
    for example in EXAMPLES:
        first = Path(example).read_text().splitlines()[0]
        assert first.startswith("# yaml-language-server: $schema="), example
        target = (Path(example).parent / first.split("=", 1)[1]).resolve()
        assert target == COMMITTED.resolve(), example


def test_check_jsonschema_accepts_the_examples() -> None:
    tool = Path(sys.executable).parent / "check-jsonschema"
    done = subprocess.run(
        [str(tool), "--schemafile", str(COMMITTED), *EXAMPLES], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_schema_rejects_what_validation_rejects() -> None:
    validator = Draft202012Validator(manifest_schema())
    bad = {
        "apiVersion": "reconciler.dev/v1",
        "kind": "Assistant",
        "metadata": {"name": "A"},
        "spec": {"model": "m", "tols": []},
    }
    assert [(e.validator, list(e.absolute_path)) for e in validator.iter_errors(bad)] == [
        ("additionalProperties", ["spec"])
    ]
    good = {**bad, "spec": {"model": "m", "tools": ["file_search"]}}
    assert list(validator.iter_errors(good)) == []
