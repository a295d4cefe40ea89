"""The `run:` steps of .github/workflows/reconcile-plan.yml, run in order with bash as a runner would run
them (`${{ }}` expressions substituted from the inputs, the event and earlier steps' outputs; GITHUB_OUTPUT,
GITHUB_STEP_SUMMARY and the event file set) on a copy of the example project and the embedded `local`
target, the comment going to the fake GitHub of github_fake.py. `uses:` steps are skipped, except
upload-artifact, simulated by copying the file into an artifacts directory; the install step is skipped
(the test's own reconciler is on PATH). The last test runs reconcile-rollout.yml's steps the same way."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

from reconciler.gitops.comment import marker
from tests.integration.github_fake import FakeGitHub, running

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = ROOT / ".github" / "workflows"
EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")
SHA = "0123456789abcdef0123456789abcdef01234567"
PR = 42


def lookup(context: dict[str, Any], expression: str) -> Any:
    """The expressions the workflow uses: a dotted path, or `PATH == true`."""
    path, _, compared = expression.partition(" == ")
    value: Any = context
    for part in path.strip().split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value is True if compared.strip() == "true" else value


def substitute(text: str, context: dict[str, Any]) -> str:
    def render(match: re.Match[str]) -> str:
        value = lookup(context, match.group(1))
        if isinstance(value, bool):
            return "true" if value else "false"
        return "" if value is None else str(value)

    return EXPRESSION.sub(render, text)


def run_workflow(tmp_path: Path, github: FakeGitHub, *, fork: bool, target: str) -> dict[str, Any]:
    workspace = tmp_path / "workspace"
    workspace.mkdir()
    shutil.copytree(ROOT / "manifests", workspace / "manifests")
    shutil.copy(ROOT / "reconcile.yaml", workspace / "reconcile.yaml")
    event = {"pull_request": {"number": PR, "head": {"sha": SHA, "repo": {"fork": fork}}}}
    (tmp_path / "event.json").write_text(json.dumps(event), encoding="utf-8")
    summary, artifacts = tmp_path / "summary.md", tmp_path / "artifacts"
    workflow = yaml.safe_load((WORKFLOWS / "reconcile-plan.yml").read_text(encoding="utf-8"))
    job = workflow["jobs"]["plan"]
    inputs = {"working-directory": ".", "target": target, "install": ".", "python-version": "3.11"}
    context: dict[str, Any] = {
        "inputs": inputs,
        "github": {"event": event, "token": github.token},
        "secrets": {"OPENAI_API_KEY": "sk-never-sent", "OPENAI_ADMIN_KEY": "sk-admin-never-sent"},
        "steps": {},
    }
    base = {
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "PYTHONPATH": str(ROOT),
        "HOME": str(tmp_path),
        "CI": "true",
        "GITHUB_ACTIONS": "true",
        "GITHUB_WORKSPACE": str(workspace),
        "GITHUB_EVENT_NAME": "pull_request",
        "GITHUB_EVENT_PATH": str(tmp_path / "event.json"),
        "GITHUB_API_URL": github.url,
        "GITHUB_SERVER_URL": "https://github.com",
        "GITHUB_REPOSITORY": github.repository,
        "GITHUB_RUN_ID": "777",
        "GITHUB_STEP_SUMMARY": str(summary),
    }
    default_dir = job["defaults"]["run"]["working-directory"]
    ran: list[str] = []
    for index, step in enumerate(job["steps"]):
        if "uses" in step:
            if step["uses"].startswith("actions/upload-artifact@"):
                name = substitute(step["with"]["name"], context)
                source = workspace / substitute(step["with"]["path"], context)
                (artifacts / name).mkdir(parents=True)
                shutil.copy(source, artifacts / name / source.name)
                ran.append(f"upload {name}")
            continue
        if step.get("id") == "install":
            continue
        assert "${{" not in step["run"], f"step {index}: an expression inside a script"
        output = tmp_path / f"output-{index}"
        output.touch()
        script = tmp_path / f"step-{index}.sh"
        script.write_text(step["run"], encoding="utf-8")
        env = base | {k: substitute(str(v), context) for k, v in step.get("env", {}).items()}
        env["GITHUB_OUTPUT"] = str(output)
        cwd = workspace / substitute(step.get("working-directory", default_dir), context)
        done = subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)],
            cwd=cwd, env=env, capture_output=True, text=True, timeout=60, check=False,
        )  # fmt: skip
        allowed = substitute(str(step.get("continue-on-error", False)), context) == "true"
        assert done.returncode == 0 or allowed, f"{step.get('name')}: {done.stdout}{done.stderr}"
        outputs = dict(line.split("=", 1) for line in output.read_text(encoding="utf-8").splitlines())
        if "id" in step:
            context["steps"][step["id"]] = {"outputs": outputs}
        ran.append(f"{step.get('name')}: {done.stdout}")
    return {"ran": ran, "steps": context["steps"], "summary": summary, "artifacts": artifacts}


def test_plan_workflow_comments_uploads_and_summarises(tmp_path: Path) -> None:
    with running() as github:
        result = run_workflow(tmp_path, github, fork=False, target="local")
    assert result["steps"]["plan"]["outputs"]["changes"] == "true"  # exit 2 of --detailed-exitcode
    (body,) = github.bodies(PR)
    assert body.startswith(marker("local") + "\n## Reconciler plan")
    artifact = result["artifacts"] / f"reconcile-plan-local-{SHA}" / f"plan-{SHA}.json"
    assert json.loads(artifact.read_text(encoding="utf-8"))["plan_id"]
    assert result["summary"].read_text(encoding="utf-8").startswith(marker("local"))
    assert any(line.startswith("reconcile ci comment: Created the plan comment") for line in result["ran"])


def test_a_fork_plans_on_local_without_secrets(tmp_path: Path) -> None:
    with running() as github:
        result = run_workflow(tmp_path, github, fork=True, target="openai")
    assert result["steps"]["target"]["outputs"]["name"] == "local"  # never the real platform
    assert (result["artifacts"] / f"reconcile-plan-local-{SHA}").is_dir()
    assert github.bodies(PR)[0].startswith(marker("local"))
    assert not any("sk-" in line for line in result["ran"])


def test_rollout_workflow_applies_locally_steps_and_stops_with_the_reason(tmp_path: Path) -> None:
    workspace = tmp_path / "workspace"
    shutil.copytree(ROOT / "manifests", workspace / "manifests")
    shutil.copy(ROOT / "reconcile.yaml", workspace / "reconcile.yaml")
    job = yaml.safe_load((WORKFLOWS / "reconcile-rollout.yml").read_text(encoding="utf-8"))["jobs"]["rollout"]
    base = {
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "PYTHONPATH": str(ROOT),
        "HOME": str(tmp_path),
        "GITHUB_ACTOR": "octocat",
        "GITHUB_SERVER_URL": "https://github.com",
        "GITHUB_REPOSITORY": "acme/agents",
        "GITHUB_RUN_ID": "9",
    }
    outputs: list[str] = []
    for verb, apply_first in (("step", True), ("stop", False)):
        inputs: dict[str, Any] = {"target": "local", "verb": verb, "name": "CorporateAssist"}
        inputs |= {"reason": "paging storm", "apply-local-first": apply_first}
        for step in job["steps"]:
            if "run" not in step or step.get("id") == "install":
                continue
            if step.get("if") == "inputs.apply-local-first" and not apply_first:
                continue
            assert "${{" not in step["run"]
            env = base | {
                k: substitute(str(v), {"inputs": inputs, "secrets": {}}) for k, v in step["env"].items()
            }
            done = subprocess.run(
                ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]],
                cwd=workspace, env=env, capture_output=True, text=True, timeout=60, check=False,
            )  # fmt: skip
            assert done.returncode == 0, done.stdout + done.stderr
            outputs.append(done.stdout)
    assert "No rollout in progress." in outputs[1]
    assert outputs[2].startswith("Stopped CorporateAssist in local")
    history = subprocess.run(
        [str(Path(sys.executable).parent / "reconcile"), "versions", "CorporateAssist", "-json"],
        cwd=workspace, env=base, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert "paging storm (by octocat, https://github.com/acme/agents/actions/runs/9)" in history.stdout
