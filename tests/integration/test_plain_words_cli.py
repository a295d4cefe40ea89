"""Issue 13 item 5 through the CLI: drift shows text as the plan does, an import of a managed object names
it, the plan says how the example's canary will ship a new version, and numbers read as the manifest wrote
them."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import openai
import pytest

from reconciler.cli.main import run
from reconciler.emulator import EmulatorApp, EmulatorConfig
from tests.integration.support import make_project, platform_state, sdk

pytestmark = pytest.mark.filterwarnings("ignore:deprecated:DeprecationWarning")

NEW_INSTRUCTIONS = "Be terse.\nAnswer in French.\nNever invent attendees."


@pytest.fixture
def root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Path:
    project = make_project(tmp_path / "project", canary=True)
    monkeypatch.chdir(project)
    return project


@pytest.fixture
def applied(root: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    assert run(["apply", "--auto-approve"]) == 0
    capsys.readouterr()
    return root


@pytest.fixture
def local(applied: Path) -> Iterator[EmulatorApp]:
    """The `local` target's platform, to change objects behind reconciler's back."""
    app = EmulatorApp(EmulatorConfig(db_path=str(applied / ".reconcile" / "local-platform.db")))
    yield app
    app.close()


@pytest.fixture
def client(local: EmulatorApp) -> Iterator[openai.OpenAI]:
    other = sdk(local)
    yield other
    other.close()


def _drift_section(plan_text: str) -> str:
    start = plan_text.index("Objects changed outside reconciler")
    # The drift section ends where the next one starts: warnings, the cost estimate, or the summary line.
    marks = ("\nWarning:", "\nCost estimate", "\nPlan: ")
    end = min(found for mark in marks if (found := plan_text.find(mark, start)) != -1)
    return plan_text[start:end].rstrip("\n") + "\n"


def test_drift_shows_multi_line_text_as_the_plan_shows_it(
    applied: Path, local: EmulatorApp, client: openai.OpenAI, capsys: pytest.CaptureFixture[str]
) -> None:
    (assistant,) = platform_state(local).assistants
    client.beta.assistants.update(assistant.id, instructions=NEW_INSTRUCTIONS)
    assert run(["drift"]) == 2
    drift = capsys.readouterr().out
    assert run(["plan"]) == 0
    assert drift == _drift_section(capsys.readouterr().out)
    lines = drift.splitlines()
    assert "      ~ instructions:" in lines
    for line in NEW_INSTRUCTIONS.splitlines():
        assert f"          +{line}" in lines  # one diff line each, as the text was edited by hand
    assert "\\n" not in drift  # not the Python repr of the text on one line


def test_an_import_of_a_managed_object_says_so_by_name(
    applied: Path, local: EmulatorApp, capsys: pytest.CaptureFixture[str]
) -> None:
    (assistant,) = platform_state(local).assistants
    assert run(["import", "assistant", assistant.id]) == 0
    assert capsys.readouterr().out == (
        f"{assistant.id} is already managed as Assistant/CorporateAssist: not imported again\n"
    )


CANARY_NOTE = (
    "canary: stable stays on version 1 while version 2 goes through smoke (2 checks) → weight 10 % → "
    "pause 10m → analysis tool-health → weight 50 % → pause 10m → analysis tool-health → weight 100 % "
    "(on abort: stable)"
)


def test_the_plan_says_how_the_canary_ships_a_new_version_in_every_format(
    applied: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    manifest = applied / "manifests" / "corporate-assist.yaml"
    manifest.write_text(manifest.read_text().replace("cite the rule you used.", "cite the rule."))
    assert run(["plan"]) == 0
    text = capsys.readouterr().out
    assert f"      # rollout: {CANARY_NOTE}" in text.splitlines()
    assert run(["plan", "--format", "markdown"]) == 0
    markdown = capsys.readouterr().out
    escaped = CANARY_NOTE.replace("(", r"\(").replace(")", r"\)").replace("-", r"\-")
    assert f"- rollout: {escaped}" in markdown.splitlines()
    assert run(["plan", "-json"]) == 0
    (assistant,) = [c for c in json.loads(capsys.readouterr().out)["changes"] if c["kind"] == "Assistant"]
    assert assistant["attributes"]["rollout_note"] == CANARY_NOTE
    assert assistant["attributes"]["rollout"]["stable"] == 1


def test_the_first_version_serves_at_once(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Nothing to compare a first version with: no canary, and the plan says nothing of one."""
    assert run(["plan", "-json"]) == 0
    (assistant,) = [c for c in json.loads(capsys.readouterr().out)["changes"] if c["kind"] == "Assistant"]
    assert "rollout" not in assistant["attributes"]
    assert "rollout_note" not in assistant["attributes"]


def test_numbers_read_as_the_manifest_wrote_them(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`year: 2026` showed as 2026.0, and the default `top_p` as 1.0."""
    assert run(["plan"]) == 0
    text = capsys.readouterr().out
    assert '"year": 2026\n' in text and "2026.0" not in text
    assert "top_p                     = 1\n" in text
