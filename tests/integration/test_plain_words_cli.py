"""Issue 13 item 5 through the CLI: drift shows text as the plan does, an import of a managed object names
it, the plan says the example's canary steps are ignored, and numbers read as the manifest wrote them."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import openai
import pytest

from reconciler.cli.main import run
from reconciler.emulator import EmulatorApp, EmulatorConfig
from reconciler.plan.versioning import CANARY_IGNORED
from tests.integration.support import make_project, platform_state, sdk

pytestmark = pytest.mark.filterwarnings("ignore:deprecated:DeprecationWarning")

NEW_INSTRUCTIONS = "Be terse.\nAnswer in French.\nNever invent attendees."


@pytest.fixture
def root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Path:
    project = make_project(tmp_path / "project")
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
    end = plan_text.index("\nPlan: ")
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


def test_the_plan_says_the_canary_steps_are_ignored_in_every_format(
    root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(["plan"]) == 0
    text = capsys.readouterr().out
    assert f"      # rollout: {CANARY_IGNORED}" in text.splitlines()
    assert run(["plan", "--format", "markdown"]) == 0
    assert f"- rollout: {CANARY_IGNORED}" in capsys.readouterr().out.splitlines()
    assert run(["plan", "-json"]) == 0
    (assistant,) = [c for c in json.loads(capsys.readouterr().out)["changes"] if c["kind"] == "Assistant"]
    assert assistant["attributes"]["rollout_note"] == CANARY_IGNORED


def test_numbers_read_as_the_manifest_wrote_them(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`year: 2026` showed as 2026.0, and the default `top_p` as 1.0."""
    assert run(["plan"]) == 0
    text = capsys.readouterr().out
    assert '"year": 2026\n' in text and "2026.0" not in text
    assert "top_p                     = 1\n" in text
