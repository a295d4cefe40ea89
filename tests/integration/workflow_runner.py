"""Runs a GitHub Actions workflow's jobs for one event, the way a runner would, on a local workspace and the
fake GitHub of github_fake.py: enough of Actions to run this repository's workflows and a caller of them.

- Triggers: the event must be in `on:` (push `branches:`, and `paths:` when the run names its changed files).
- Jobs in `needs:` order; job and step `if:` evaluated (`success()` implied unless a status function is
  used); a job-level `uses:` of `./.github/workflows/X.yml` (the caller's repository) or
  `OWNER/reconciler/.github/workflows/X.yml@REF` (this repository) runs that reusable workflow with its
  `with:` (defaults applied) and `secrets:` (`inherit` or by name), after checking that the caller grants
  the permissions the called job asks for; its `environment:` and `concurrency:` are recorded.
- Steps: `run:` with bash (`-eo pipefail`), `env:` evaluated, no `${{ }}` allowed inside a script,
  GITHUB_OUTPUT (also `name<<EOF`), GITHUB_STEP_SUMMARY, `continue-on-error`; `actions/checkout` and
  `actions/setup-python` are no-ops (the workspace is the checkout, the test's Python is on PATH);
  `actions/upload-artifact` zips the file into the fake GitHub's artifacts (so `ci apply` downloads it);
  `uses: OWNER/reconciler@REF` runs this repository's composite action.yml steps. A step named `Install
  reconciler` is skipped (the test's reconciler is on PATH and PYTHONPATH); every other step really runs.

The workflow language (expressions, triggers, job order) is workflow_syntax.py's.
"""

from __future__ import annotations

import itertools
import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.integration.github_fake import FakeGitHub
from tests.integration.workflow_syntax import (
    as_text,
    check_permissions,
    condition,
    filters_pass,
    job_status,
    load,
    ordered,
    parse_outputs,
    render,
    triggers,
    truthy,
)

ROOT = Path(__file__).resolve().parents[2]
_OURS_WORKFLOW = re.compile(r"^[A-Za-z0-9_.-]+/reconciler/(\.github/workflows/[A-Za-z0-9_.-]+\.ya?ml)@\S+$")
_OURS_ACTION = re.compile(r"^[A-Za-z0-9_.-]+/reconciler@\S+$")
_RUN_IDS = itertools.count(1000)


# --- results -----------------------------------------------------------------------------------------------


@dataclass
class StepResult:
    name: str
    outcome: str  # success | failure | skipped
    stdout: str = ""
    stderr: str = ""
    outputs: dict[str, str] = field(default_factory=dict)


@dataclass
class JobResult:
    name: str
    conclusion: str  # success | failure | skipped
    steps: list[StepResult] = field(default_factory=list)
    outputs: dict[str, Any] = field(default_factory=dict)
    environment: str | None = None
    concurrency: str | None = None
    summary: str = ""
    called: dict[str, JobResult] = field(default_factory=dict)  # a reusable workflow's jobs

    def log(self) -> str:
        own = "".join(f"## {s.name} [{s.outcome}]\n{s.stdout}{s.stderr}" for s in self.steps)
        return own + "".join(job.log() for job in self.called.values())

    def step(self, name: str) -> StepResult:
        for job in [self, *self.called.values()]:
            for step in job.steps:
                if step.name == name:
                    return step
        raise KeyError(f"no step {name!r} in job {self.name}")


@dataclass
class WorkflowResult:
    triggered: bool
    jobs: dict[str, JobResult] = field(default_factory=dict)

    def log(self) -> str:
        return "".join(f"# job {k} [{j.conclusion}]\n{j.log()}" for k, j in self.jobs.items())


# --- the runner --------------------------------------------------------------------------------------------


@dataclass
class Runner:
    """One repository checkout (`workspace`) and the GitHub it talks to; each `run_*` is one event."""

    workspace: Path
    github: FakeGitHub
    scratch: Path
    secrets: dict[str, str] = field(default_factory=dict)
    vars: dict[str, str] = field(default_factory=dict)
    actor: str = "octocat"

    def run_workflow(
        self,
        path: Path,
        event_name: str,
        event: dict[str, Any],
        *,
        sha: str,
        ref: str = "refs/heads/main",
        changed: list[str] | None = None,
    ) -> WorkflowResult:
        """Run the caller workflow at `path` (in the repository two levels above .github/workflows)."""
        workflow = load(path)
        on = triggers(workflow)
        if event_name not in on or not filters_pass(on[event_name], ref, changed):
            return WorkflowResult(triggered=False)
        inputs: dict[str, Any] = {}
        if event_name == "workflow_dispatch":
            declared = (on[event_name] or {}).get("inputs") or {}
            given = event.get("inputs") or {}
            for name, spec in declared.items():
                raw = given.get(name, spec.get("default", ""))
                inputs[name] = raw in (True, "true") if spec.get("type") == "boolean" else raw
        run = _Run(self, event_name, event, sha, ref, repo_root=path.resolve().parents[2])
        jobs: dict[str, JobResult] = {}
        for job_id in ordered(workflow["jobs"]):
            job = workflow["jobs"][job_id]
            needs = [job.get("needs")] if isinstance(job.get("needs"), str) else job.get("needs") or []
            context = run.context(inputs=inputs)
            context["needs"] = {n: {"result": jobs[n].conclusion, "outputs": jobs[n].outputs} for n in needs}
            status = job_status([jobs[n].conclusion for n in needs])
            if not condition(job.get("if"), context, status):
                jobs[job_id] = JobResult(job_id, "skipped")
                continue
            granted = job.get("permissions", workflow.get("permissions"))
            if "uses" in job:
                jobs[job_id] = run.call(job_id, job, context, granted)
            else:
                jobs[job_id] = run.job(job_id, job, context, defaults=workflow.get("defaults"))
        return WorkflowResult(triggered=True, jobs=jobs)

    def run_reusable(
        self,
        path: Path,
        event_name: str,
        event: dict[str, Any],
        *,
        sha: str,
        inputs: dict[str, Any],
        secrets: dict[str, str] | None = None,
        ref: str = "refs/heads/main",
    ) -> JobResult:
        """Run a reusable workflow as a caller's job would, with `inputs` and `secrets`."""
        run = _Run(self, event_name, event, sha, ref, repo_root=ROOT)
        call = {"uses": f"./{path.resolve().relative_to(ROOT)}", "with": inputs}
        context = run.context(inputs={})
        context["secrets"] = dict(secrets if secrets is not None else self.secrets)
        call["secrets"] = "inherit"
        return run.call("call", call, context, granted=None)


class _Run:
    """One workflow run: its id, event file and the environment every step starts from."""

    def __init__(
        self, runner: Runner, event_name: str, event: dict[str, Any], sha: str, ref: str, repo_root: Path
    ) -> None:
        self.runner = runner
        self.event_name = event_name
        self.event = event
        self.sha = sha
        self.ref = ref
        self.repo_root = repo_root
        self.run_id = str(next(_RUN_IDS))
        self.dir = runner.scratch / f"run-{self.run_id}"
        self.dir.mkdir(parents=True)
        self.event_path = self.dir / "event.json"
        self.event_path.write_text(json.dumps(event), encoding="utf-8")
        self.counter = itertools.count()

    def context(self, *, inputs: dict[str, Any]) -> dict[str, Any]:
        github = self.runner.github
        return {
            "github": {
                "event_name": self.event_name,
                "event": self.event,
                "token": github.token,
                "sha": self.sha,
                "ref": self.ref,
                "actor": self.runner.actor,
                "repository": github.repository,
                "run_id": self.run_id,
                "server_url": "https://github.com",
                "workspace": str(self.runner.workspace),
            },
            "inputs": inputs,
            "vars": dict(self.runner.vars),
            "secrets": dict(self.runner.secrets),
            "env": {},
        }

    def base_env(self) -> dict[str, str]:
        github = self.runner.github
        return {
            "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
            "PYTHONPATH": str(ROOT),
            "HOME": str(self.dir),
            "CI": "true",
            "GITHUB_ACTIONS": "true",
            "GITHUB_WORKSPACE": str(self.runner.workspace),
            "GITHUB_EVENT_NAME": self.event_name,
            "GITHUB_EVENT_PATH": str(self.event_path),
            "GITHUB_API_URL": github.url,
            "GITHUB_SERVER_URL": "https://github.com",
            "GITHUB_REPOSITORY": github.repository,
            "GITHUB_RUN_ID": self.run_id,
            "GITHUB_SHA": self.sha,
            "GITHUB_REF": self.ref,
            "GITHUB_ACTOR": self.runner.actor,
        }

    def call(self, job_id: str, job: dict[str, Any], context: dict[str, Any], granted: Any) -> JobResult:
        """A job that `uses:` a reusable workflow."""
        target = self._resolve_workflow(str(job["uses"]))
        called = load(target)
        declared = (triggers(called).get("workflow_call") or {}).get("inputs") or {}
        given = {k: render(v, context) for k, v in (job.get("with") or {}).items()}
        unknown = set(given) - set(declared)
        assert not unknown, f"{job_id}: inputs {sorted(unknown)} are not declared by {target.name}"
        inputs: dict[str, Any] = {}
        for name, spec in declared.items():
            if name in given:
                inputs[name] = given[name]
            else:
                assert not spec.get("required"), f"{job_id}: required input {name} of {target.name} not given"
                inputs[name] = spec.get("default", "" if spec.get("type") != "boolean" else False)
        passed = job.get("secrets")
        if passed == "inherit":
            secrets = dict(context["secrets"])
        else:
            secrets = {k: as_text(render(v, context)) for k, v in (passed or {}).items()}
        result = JobResult(job_id, "success")
        jobs: dict[str, JobResult] = {}
        for inner_id in ordered(called["jobs"]):
            inner = called["jobs"][inner_id]
            check_permissions(job_id, granted, inner.get("permissions"), target.name)
            inner_context = self.context(inputs=inputs)
            inner_context["secrets"] = secrets
            needs = inner.get("needs") or []
            status = job_status([jobs[n].conclusion for n in needs])
            if not condition(inner.get("if"), inner_context, status):
                jobs[inner_id] = JobResult(inner_id, "skipped")
                continue
            jobs[inner_id] = self.job(inner_id, inner, inner_context, defaults=called.get("defaults"))
        result.called = jobs
        if any(j.conclusion == "failure" for j in jobs.values()):
            result.conclusion = "failure"
        outputs = (triggers(called).get("workflow_call") or {}).get("outputs") or {}
        jobs_context = {k: {"outputs": j.outputs, "result": j.conclusion} for k, j in jobs.items()}
        result.outputs = {k: render(v["value"], {"jobs": jobs_context}) for k, v in outputs.items()}
        return result

    def job(self, job_id: str, job: dict[str, Any], context: dict[str, Any], *, defaults: Any) -> JobResult:
        result = JobResult(job_id, "success")
        if "environment" in job:
            environment = job["environment"]
            name = environment.get("name") if isinstance(environment, dict) else environment
            result.environment = as_text(render(name, context))
        if "concurrency" in job:
            group = job["concurrency"]
            group = group.get("group") if isinstance(group, dict) else group
            result.concurrency = as_text(render(group, context))
        run_defaults = ((job.get("defaults") or defaults or {}).get("run")) or {}
        summary = self.dir / f"summary-{job_id}-{next(self.counter)}.md"
        summary.touch()
        context = dict(context, steps={}, env=dict(job.get("env") or {}))
        failed = False
        for index, step in enumerate(job.get("steps") or []):
            outcome = self.step(step, index, context, run_defaults, summary, failed, result)
            failed = failed or outcome == "failure-stops"
        result.summary = summary.read_text(encoding="utf-8")
        if failed:
            result.conclusion = "failure"
        outputs = job.get("outputs") or {}
        result.outputs = {k: render(v, context) for k, v in outputs.items()}
        return result

    def step(
        self,
        step: dict[str, Any],
        index: int,
        context: dict[str, Any],
        run_defaults: dict[str, Any],
        summary: Path,
        failed: bool,
        result: JobResult,
    ) -> str:
        """Run one step; "failure-stops" when it failed and the job fails with it."""
        name = as_text(render(step.get("name") or step.get("uses") or step.get("run", "")[:40], context))
        status = {"success": not failed, "failure": failed, "always": True, "cancelled": False}
        if not condition(step.get("if"), context, status) or name == "Install reconciler":
            result.steps.append(StepResult(name, "skipped"))
            return "skipped"
        if "uses" in step:
            done = self._uses(step, index, context, summary)
        else:
            cwd = step.get("working-directory", run_defaults.get("working-directory", "."))
            env = {
                k: as_text(render(v, context))
                for k, v in {**context["env"], **(step.get("env") or {})}.items()
            }
            done = self._bash(str(step["run"]), index, env, as_text(render(cwd, context)), summary, name)
        done.name = name
        result.steps.append(done)
        if "id" in step:
            context["steps"][step["id"]] = {"outputs": done.outputs, "outcome": done.outcome}
        if done.outcome == "failure":
            allowed = truthy(render(step.get("continue-on-error", False), context))
            return "failure-allowed" if allowed else "failure-stops"
        return "success"

    def _bash(
        self, script: str, index: int, env: dict[str, str], cwd: str, summary: Path, name: str
    ) -> StepResult:
        assert "${{" not in script, f"step {name!r}: an expression inside a script (pass it through env:)"
        output = self.dir / f"output-{next(self.counter)}"
        output.touch()
        path = self.dir / f"step-{index}-{next(self.counter)}.sh"
        path.write_text(script, encoding="utf-8")
        full = self.base_env() | env | {"GITHUB_OUTPUT": str(output), "GITHUB_STEP_SUMMARY": str(summary)}
        command = ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(path)]
        where = self.runner.workspace / cwd
        done = subprocess.run(
            command, cwd=where, env=full, capture_output=True, text=True, timeout=120, check=False
        )
        outcome = "success" if done.returncode == 0 else "failure"
        return StepResult(
            name, outcome, done.stdout, done.stderr, parse_outputs(output.read_text(encoding="utf-8"))
        )

    def _uses(self, step: dict[str, Any], index: int, context: dict[str, Any], summary: Path) -> StepResult:
        uses = str(step["uses"])
        given = {k: render(v, context) for k, v in (step.get("with") or {}).items()}
        if uses.startswith(("actions/checkout@", "actions/setup-python@")):
            return StepResult(uses, "success")
        if uses.startswith("actions/upload-artifact@"):
            source = self.runner.workspace / as_text(given["path"])
            if not source.is_file():
                missing = given.get("if-no-files-found", "warn") == "error"
                return StepResult(uses, "failure" if missing else "success", stderr=f"no file {source}\n")
            sha = self.event.get("pull_request", {}).get("head", {}).get("sha", self.sha)
            self.runner.github.upload(
                as_text(given["name"]), {source.name: source.read_bytes()}, head_sha=sha
            )
            return StepResult(uses, "success", stdout=f"uploaded {given['name']}\n")
        if _OURS_ACTION.match(uses) or uses == "./":
            env = {
                k: as_text(render(v, context))
                for k, v in {**context["env"], **(step.get("env") or {})}.items()
            }
            return self._composite(given, env, index, context, summary)
        raise AssertionError(f"this runner cannot run the action {uses}")

    def _composite(
        self, given: dict[str, Any], outer: dict[str, str], index: int, context: dict[str, Any], summary: Path
    ) -> StepResult:
        """This repository's action.yml: its steps with its inputs and the calling step's `env:` (`outer`);
        stdout and the outcome of them all."""
        action = load(ROOT / "action.yml")
        declared = action.get("inputs") or {}
        unknown = set(given) - set(declared)
        assert not unknown, f"inputs {sorted(unknown)} are not declared by action.yml"
        inputs = {k: given.get(k, spec.get("default", "")) for k, spec in declared.items()}
        inner = dict(context, inputs=inputs, steps={})
        inner["github"] = dict(context["github"], action_path=str(ROOT))
        out = StepResult("action", "success")
        for step in action["runs"]["steps"]:
            name = as_text(render(step.get("name") or step.get("uses"), inner))
            if name == "Install reconciler" or str(step.get("uses", "")).startswith("actions/setup-python@"):
                continue
            assert step.get("shell") == "bash", f"action.yml step {name!r} needs shell: bash"
            env = outer | {k: as_text(render(v, inner)) for k, v in (step.get("env") or {}).items()}
            cwd = as_text(render(step.get("working-directory", "."), inner))
            done = self._bash(str(step["run"]), index, env, cwd, summary, name)
            out.stdout += done.stdout
            out.stderr += done.stderr
            if done.outcome == "failure":
                out.outcome = "failure"
                break
        return out

    def _resolve_workflow(self, uses: str) -> Path:
        ours = _OURS_WORKFLOW.match(uses)
        if ours is not None:
            return ROOT / ours.group(1)
        if uses.startswith("./"):
            return self.repo_root / uses[2:]
        raise AssertionError(f"this runner cannot call the workflow {uses}")
