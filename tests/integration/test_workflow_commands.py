"""The project's own workflows run by workflow_runner.py for one event each, their `run:` steps with bash in
order, on a copy of the example project and the embedded `local` target, against the fake GitHub of
github_fake.py: example-plan (the comment with its reviewed line, the artifact keyed by head SHA, the step
summary; a fork planning on local), example-apply (the merge applying the saved plan), example-rollout
(step, then stop with the reason recorded), example-drift and reconcile-drift (no drift, then an issue
opened without failing the job). The install step is skipped: the test's reconciler is on PATH."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from reconciler.gitops.comment import marker
from reconciler.gitops.drift_issue import marker as drift_marker
from tests.integration.github_fake import FakeGitHub, running
from tests.integration.test_ci_drift import edit_out_of_band
from tests.integration.workflow_runner import Runner

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = ROOT / ".github" / "workflows"
SHA = "0123456789abcdef0123456789abcdef01234567"
MERGE = "89abcdef0123456789abcdef0123456789abcdef"
PR = 42
SECRETS = {"OPENAI_API_KEY": "sk-never-sent", "OPENAI_ADMIN_KEY": "sk-admin-never-sent"}


@pytest.fixture
def github() -> Iterator[FakeGitHub]:
    with running() as fake:
        yield fake


@pytest.fixture
def runner(tmp_path: Path, github: FakeGitHub) -> Runner:
    workspace = tmp_path / "workspace"
    workspace.mkdir()
    shutil.copytree(ROOT / "manifests", workspace / "manifests")
    shutil.copy(ROOT / "reconcile.yaml", workspace / "reconcile.yaml")
    return Runner(workspace=workspace, github=github, scratch=tmp_path / "runs", secrets=dict(SECRETS))


def pull_request(*, fork: bool = False) -> dict[str, object]:
    head = {"sha": SHA, "repo": {"fork": fork}}
    return {"action": "synchronize", "pull_request": {"number": PR, "head": head, "base": {"ref": "main"}}}


def test_plan_workflow_comments_uploads_and_summarises(runner: Runner, github: FakeGitHub) -> None:
    changed = ["manifests/corporate-assist.yaml"]
    result = runner.run_workflow(
        WORKFLOWS / "example-plan.yml", "pull_request", pull_request(), sha=SHA, changed=changed
    )
    plan = result.jobs["plan"]
    assert plan.conclusion == "success", result.log()
    assert plan.outputs["changes"] == "true"  # exit 2 of --detailed-exitcode
    job = plan.called["plan"]
    assert job.concurrency == f"reconcile-plan-{PR}-local"
    (body,) = github.bodies(PR)
    lines = body.splitlines()
    assert lines[0] == marker("local") and lines[2] == "## Reconciler plan for local"
    (artifact,) = github.artifacts
    assert artifact["name"] == f"reconcile-plan-local-{SHA}"
    with zipfile.ZipFile(io.BytesIO(github.blobs[artifact["id"]])) as archive:
        saved = json.loads(archive.read(f"plan-{SHA}.json"))
    assert lines[1] == f"<!-- reconciler:reviewed plan={saved['plan_id']} sha={SHA} -->"
    assert job.summary.startswith(marker("local"))
    assert job.step("reconcile ci comment").stdout.startswith("Created the plan comment")
    docs_only = runner.run_workflow(
        WORKFLOWS / "example-plan.yml", "pull_request", pull_request(), sha=SHA, changed=["README.md"]
    )
    assert not docs_only.triggered  # the paths filter


def test_a_fork_plans_on_local_without_secrets(runner: Runner, github: FakeGitHub) -> None:
    job = runner.run_reusable(
        WORKFLOWS / "reconcile-plan.yml", "pull_request", pull_request(fork=True), sha=SHA,
        inputs={"target": "openai", "install": "."},
    )  # fmt: skip
    assert job.conclusion == "success", job.log()
    assert job.called["plan"].step("Choose the target").outputs["name"] == "local"  # never the real platform
    assert [a["name"] for a in github.artifacts] == [f"reconcile-plan-local-{SHA}"]
    assert github.bodies(PR)[0].startswith(marker("local"))
    assert "sk-" not in job.log()


def test_apply_workflow_applies_the_reviewed_plan_on_the_merge(runner: Runner, github: FakeGitHub) -> None:
    changed = ["manifests/corporate-assist.yaml"]
    planned = runner.run_workflow(
        WORKFLOWS / "example-plan.yml", "pull_request", pull_request(), sha=SHA, changed=changed
    )
    assert planned.jobs["plan"].conclusion == "success", planned.log()
    shutil.rmtree(runner.workspace / ".reconcile")  # a new checkout: the example's state starts empty again
    github.merge(PR, head_sha=SHA, merge_sha=MERGE)
    push = {"ref": "refs/heads/main", "after": MERGE}
    result = runner.run_workflow(WORKFLOWS / "example-apply.yml", "push", push, sha=MERGE, changed=changed)
    call = result.jobs["apply"]
    assert call.conclusion == "success", result.log()
    job = call.called["apply"]
    assert (job.environment, job.concurrency) == ("example", "reconcile-apply-local")
    out = job.step("reconcile ci apply").stdout
    assert f"Reviewed on pull request #{PR}: plan " in out
    assert "is the reviewed plan and still fresh: applying it exactly." in out
    assert "Apply complete! Resources: 7 added" in out


def test_rollout_workflow_applies_locally_steps_and_stops_with_the_reason(runner: Runner) -> None:
    outputs = []
    for verb in ("step", "stop"):
        dispatch = {"inputs": {"verb": verb, "name": "CorporateAssist", "reason": "paging storm"}}
        result = runner.run_workflow(
            WORKFLOWS / "example-rollout.yml", "workflow_dispatch", dispatch, sha=MERGE
        )
        assert result.jobs["rollout"].conclusion == "success", result.log()
        outputs.append(result.jobs["rollout"].step(f"reconcile {verb}").stdout)
    assert "No rollout in progress." in outputs[0]
    assert outputs[1].startswith("Stopped CorporateAssist in local")
    history = subprocess.run(
        [sys.executable, "-m", "reconciler", "versions", "CorporateAssist", "-json"],
        cwd=runner.workspace, capture_output=True, text=True, timeout=60, check=False,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin", "HOME": str(runner.scratch)},
    )  # fmt: skip
    assert "paging storm (by octocat, https://github.com/acme/agents/actions/runs/" in history.stdout


def test_drift_workflows_find_none_then_open_an_issue_without_failing(
    runner: Runner, github: FakeGitHub
) -> None:
    with (runner.workspace / "reconcile.yaml").open("a", encoding="utf-8") as out:
        out.write("  retry:\n    adminRequestsPerMinute: 6000\n")  # no Admin API pacing between the runs
    scheduled = runner.run_workflow(
        WORKFLOWS / "example-drift.yml", "schedule", {"schedule": "17 6 * * *"}, sha=MERGE
    )
    drift = scheduled.jobs["drift"]
    assert drift.conclusion == "success", scheduled.log()
    assert drift.outputs["drift"] == "false"
    assert drift.step("reconcile ci drift").stdout == "No drift in local, and no drift issue open.\n"

    edit_out_of_band(runner.workspace)
    job = runner.run_reusable(
        WORKFLOWS / "reconcile-drift.yml",
        "schedule",
        {},
        sha=MERGE,
        inputs={"target": "local", "install": "."},
    )
    assert job.conclusion == "success", job.log()  # exit 2 (drift) is not a failure
    assert job.outputs["drift"] == "true"
    (issue,) = github.issues.values()
    assert issue["body"].startswith(drift_marker("local")) and issue["state"] == "open"


def test_a_caller_that_does_not_grant_the_permissions_is_refused(runner: Runner, tmp_path: Path) -> None:
    repository = tmp_path / "adopter"
    (repository / ".github" / "workflows").mkdir(parents=True)
    caller = (WORKFLOWS / "example-apply.yml").read_text(encoding="utf-8")
    caller = caller.replace("  actions: read\n", "").replace(
        "./.github/workflows/reconcile-apply.yml", "acme/reconciler/.github/workflows/reconcile-apply.yml@v1"
    )
    (repository / ".github" / "workflows" / "apply.yml").write_text(caller, encoding="utf-8")
    with pytest.raises(AssertionError, match=r"reconcile-apply\.yml needs actions: read"):
        runner.run_workflow(
            repository / ".github" / "workflows" / "apply.yml", "workflow_dispatch", {}, sha=MERGE
        )
