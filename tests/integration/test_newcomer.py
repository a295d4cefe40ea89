"""Issue 18's "done when": a newcomer copies examples/github/reconcile.yml into a fresh repository and
follows docs/gitops.md, "Adopting the workflows in a new repository"; then, run by workflow_runner.py
against the fake GitHub, one event after another in the same checkout (a real runner would need a shared
state store: see the docs), a first dispatch applies the project, a pull request gets its plan comment, the
merge applies the reviewed plan (starting CorporateAssist's canary), and a dispatch aborts that rollout with
the reason recorded; the composite action then shows the rollout's status."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

from reconciler.gitops.comment import marker
from tests.integration.github_fake import running
from tests.integration.workflow_runner import Runner

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs" / "gitops.md"
FIRST, HEAD, MERGE = "a1" * 20, "b2" * 20, "c3" * 20
PR = 5


def adopt(repository: Path) -> Path:
    """The docs' steps 1-2: the project at the root, the one workflow file copied, OWNER, REF and the
    target set. The steps outside the repository (secrets, environment) are the Runner's secrets."""
    section = DOCS.read_text(encoding="utf-8").split("## Adopting the workflows in a new repository", 1)[1]
    steps = " ".join(section.split("\n## ", 1)[0].split())
    assert "examples/github/reconcile.yml" in steps and "OWNER" in steps and "REF" in steps
    assert "production" in steps and "OPENAI_API_KEY" in steps and "Required reviewers" in steps
    repository.mkdir()
    shutil.copytree(ROOT / "manifests", repository / "manifests")
    shutil.copy(ROOT / "reconcile.yaml", repository / "reconcile.yaml")
    # Not a docs step: the local platform's Admin API needs no pacing between the simulated runs.
    with (repository / "reconcile.yaml").open("a", encoding="utf-8") as out:
        out.write("  retry:\n    adminRequestsPerMinute: 6000\n")
    workflow = repository / ".github" / "workflows" / "reconcile.yml"
    workflow.parent.mkdir(parents=True)
    text = (ROOT / "examples" / "github" / "reconcile.yml").read_text(encoding="utf-8")
    text = text.replace("OWNER/reconciler", "acme-tools/reconciler").replace("@REF", "@v0.2.0")
    text = text.replace("target: openai", "target: local").replace("--target openai", "--target local")
    body = text.split("\nname:", 1)[1]  # below the header comment
    assert "OWNER" not in body and "@REF" not in body and "openai" not in body
    workflow.write_text(text, encoding="utf-8")
    return workflow


def test_a_new_repository_plans_applies_on_merge_and_aborts_by_dispatch(tmp_path: Path) -> None:
    repository = tmp_path / "agents"
    workflow = adopt(repository)
    changed = ["manifests/corporate-assist.yaml"]
    with running() as github:
        runner = Runner(
            workspace=repository,
            github=github,
            scratch=tmp_path / "runs",
            secrets={"OPENAI_API_KEY": "sk-unused", "OPENAI_ADMIN_KEY": "sk-admin-unused"},
        )
        # The first apply, by hand: no pull request merged this commit, so --allow-unreviewed.
        first = runner.run_workflow(workflow, "workflow_dispatch", {"inputs": {"verb": "apply"}}, sha=FIRST)
        apply = first.jobs["apply"]
        assert apply.conclusion == "success", first.log()
        assert [first.jobs[j].conclusion for j in ("plan", "rollout", "status")] == ["skipped"] * 3
        assert apply.called["apply"].environment == "production"
        assert "--allow-unreviewed, so a fresh plan is applied." in apply.log()

        # (a) A pull request changes CorporateAssist's behaviour: the plan comment.
        assistant = repository / "manifests" / "corporate-assist.yaml"
        text = assistant.read_text(encoding="utf-8")
        assistant.write_text(text.replace("temperature: 0.2", "temperature: 0.3"), encoding="utf-8")
        event = {"pull_request": {"number": PR, "head": {"sha": HEAD, "repo": {"fork": False}}}}
        planned = runner.run_workflow(workflow, "pull_request", event, sha=HEAD, changed=changed)
        assert planned.jobs["plan"].conclusion == "success", planned.log()
        assert planned.jobs["apply"].conclusion == "skipped"
        (body,) = github.bodies(PR)
        assert body.startswith(marker("local") + "\n<!-- reconciler:reviewed plan=")
        assert "Plan: 1 to add, 0 to change, 0 to replace, 0 to destroy." in body
        assert "temperature" in body and "canary" in body
        reviewed = re.search(r"plan=([0-9a-f]+) sha=" + HEAD, body)
        assert reviewed is not None

        # (b) The merge: the push applies the reviewed plan, which starts the canary.
        github.merge(PR, head_sha=HEAD, merge_sha=MERGE)
        merged = runner.run_workflow(
            workflow, "push", {"ref": "refs/heads/main", "after": MERGE}, sha=MERGE, changed=changed
        )
        apply = merged.jobs["apply"]
        assert apply.conclusion == "success", merged.log()
        out = apply.step("reconcile ci apply").stdout
        assert (
            f"The saved plan {reviewed.group(1)} is the reviewed plan and still fresh: applying it exactly."
            in out
        )
        assert "canary of version 2 started; stable stays on version 1" in out
        assert pointers(repository) == {1: ["stable"], 2: ["canary"]}

        # (c) A dispatch aborts the rollout; the composite action shows its status.
        why = {"verb": "abort", "name": "CorporateAssist", "reason": "refunds tool errors"}
        aborted = runner.run_workflow(workflow, "workflow_dispatch", {"inputs": why}, sha=MERGE)
        rollout, status = aborted.jobs["rollout"], aborted.jobs["status"]
        assert rollout.conclusion == "success" and status.conclusion == "success", aborted.log()
        assert aborted.jobs["apply"].conclusion == "skipped"
        assert "aborted" in rollout.step("reconcile abort").stdout
        shown = status.steps[-1].stdout
        assert "refunds tool errors (by octocat, https://github.com/acme/agents/actions/runs/" in shown
        assert pointers(repository) == {1: ["stable"], 2: []}


def pointers(repository: Path) -> dict[int, list[str]]:
    done = subprocess.run(
        [sys.executable, "-m", "reconciler", "versions", "CorporateAssist", "-json"],
        cwd=repository, capture_output=True, text=True, timeout=60, check=False,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin", "HOME": str(repository.parent)},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return {v["number"]: v["pointers"] for v in json.loads(done.stdout)["versions"]}
