"""A structured-output assistant (`responseFormat: json_schema` without a description) applies and then
plans no changes, on both flavours. The description used to go out as `null`, which the spec refuses."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.cli.main import run
from tests.integration.support import APIS, edit_file, make_project

pytestmark = pytest.mark.filterwarnings("ignore:deprecated:DeprecationWarning")  # beta.assistants

FORMAT = """  temperature: 0.2
  responseFormat:
    type: json_schema
    name: answer
    strict: true
    schema:
      type: object
      additionalProperties: false
      properties:
        text: {type: string}
      required: [text]
"""


@pytest.mark.parametrize("api", APIS)
def test_a_json_schema_format_without_description_applies_and_converges(tmp_path: Path, api: str) -> None:
    root = make_project(tmp_path / "project", api=api)
    edit_file(root, "manifests/corporate-assist.yaml", "  temperature: 0.2\n", FORMAT)
    assert run(["apply", str(root), "--auto-approve"]) == 0
    assert run(["plan", str(root), "--detailed-exitcode"]) == 0
