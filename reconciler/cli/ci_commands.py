"""`reconcile ci comment PLANFILE`: the saved plan as one Markdown comment per pull request and target
(GitHub's REST API; `service.ci`), and in the workflow's step summary. `reconcile ci drift`: the drift
check, kept as one GitHub issue per target (opened, updated while drift lasts, closed when it is gone).
`reconcile ci apply`: on a merge, apply the plan the pull request's reviewers saw, or nothing
(`service.ci_apply`)."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import click

from reconciler.cli.flags import directory_option
from reconciler.cli.main import cli
from reconciler.errors import ExitCode

if TYPE_CHECKING:
    from reconciler.apply.report import ApplyReport
    from reconciler.plan.definition import Plan


@cli.group("ci")
def ci_group() -> None:
    """Commands for CI workflows (GitHub Actions)."""


@ci_group.command("comment")
@click.argument("planfile", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--target", "-t", default=None, help="The target the comment is for (default: the plan's).")
@directory_option
@click.option(
    "--pr", "pr", type=click.IntRange(min=1), default=None, help="Pull request number (default: the event's)."
)
@click.option(
    "--artifact-url", default=None, help="Where the full plan is (default: the workflow run's page)."
)
@click.option("--sha", default="", help="The head SHA the plan was made at (default: the event's).")
def comment_command(
    planfile: Path,
    target: str | None,
    directory: Path | None,
    pr: int | None,
    artifact_url: str | None,
    sha: str,
) -> int:
    """Upsert PLANFILE (saved by `plan -out`) as the pull request's plan comment, and write the step
    summary."""
    from reconciler.cli.plan import _saved_plan
    from reconciler.render.markdown import render_markdown
    from reconciler.service.ci import post_plan_comment

    source = planfile if directory is None or planfile.is_absolute() else directory / planfile
    plan = _saved_plan(source)
    posted = post_plan_comment(
        render_markdown(plan),
        target=target or plan.workspace,
        environ=os.environ,
        plan_id=plan.plan_id,
        pr_number=pr,
        head_sha=sha,
        artifact_url=artifact_url,
    )
    if posted.action == "skipped":
        where = "the step summary" if posted.summary else "nowhere (no GITHUB_STEP_SUMMARY)"
        click.echo(f"No pull request in this run: the plan went to {where}.")
    else:
        click.echo(f"{posted.action.capitalize()} the plan comment: {posted.url}")
    return int(ExitCode.OK)


@ci_group.command("drift")
@click.option("--target", "-t", default=None, help="The target to check (default: the project's).")
@directory_option
def drift_command(target: str | None, directory: Path | None) -> int:
    """Check TARGET for drift and keep its GitHub issue: open it (label `reconciler-drift`) or update it
    while drift lasts, close it when drift is gone. Exit 2 when drift is found, as `reconcile drift`."""
    from reconciler import service
    from reconciler.cli.plan import PAUSE_GC
    from reconciler.cli.waits import WaitLines
    from reconciler.render.text import render_drift
    from reconciler.service.ci import sync_drift_issue

    with service.open_workspace(directory, target=target) as ws:
        plan = service.drift(ws, pause_gc=PAUSE_GC, on_wait=WaitLines(sys.stderr))
        name = ws.name
    body = None
    if plan.drift:
        body = _drift_markdown(name, len(plan.drift), render_drift(plan, color=False))
    issue = sync_drift_issue(body, target=name, environ=os.environ)
    where = f" #{issue.number}: {issue.url}" if issue.number is not None else ""
    if issue.action == "none":
        click.echo(f"No drift in {name}, and no drift issue open.")
    elif issue.action == "closed":
        click.echo(f"No drift in {name}: closed the drift issue{where}")
    else:
        click.echo(f"Drift in {name} ({len(plan.drift)} objects): {issue.action} the drift issue{where}")
    return int(ExitCode.CHANGES if plan.drift else ExitCode.OK)


@ci_group.command("apply")
@click.option("--target", "-t", default=None, help="The target to apply to (default: the project's).")
@directory_option
@click.option(
    "--plan",
    "plan_file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="The plan saved at review (default: the plan job's artifact for the reviewed head SHA).",
)
@click.option("--sha", default="", help="The pushed commit (default: $GITHUB_SHA).")
@click.option(
    "--pr",
    "pr",
    type=click.IntRange(min=1),
    default=None,
    help="The reviewed pull request (default: the merged pull request of the commit).",
)
@click.option(
    "--allow-unreviewed",
    is_flag=True,
    help="With no reviewed plan (no pull request merged the commit), apply a fresh plan instead of refusing.",
)
@click.option(
    "--comment-author",
    default=None,
    help="Whose plan comments are trusted (default: github-actions[bot], the workflow's token).",
)
@click.option(
    "--lock-timeout", type=float, default=60.0, show_default=True, help="Seconds to wait for the state lock."
)
def apply_command(
    target: str | None,
    directory: Path | None,
    plan_file: Path | None,
    sha: str,
    pr: int | None,
    allow_unreviewed: bool,
    comment_author: str | None,
    lock_timeout: float,
) -> int:
    """Apply the plan reviewed on the pull request that merged this commit: the saved plan when it is
    still fresh, else a new plan when it is the same; otherwise nothing is applied, the pull request is
    told, and the command fails. Implies --auto-approve."""
    from reconciler import service
    from reconciler.cli.plan import PAUSE_GC
    from reconciler.cli.waits import WaitLines
    from reconciler.gitops.review import BOT
    from reconciler.render.escape import sanitize
    from reconciler.render.markdown import render_markdown
    from reconciler.render.report import render_apply_report
    from reconciler.render.text import render_text
    from reconciler.service.ci_apply import Options, apply_reviewed

    if plan_file is not None and directory is not None and not plan_file.is_absolute():
        plan_file = directory / plan_file
    options = Options(
        plan_file=plan_file,
        sha=sha.strip(),
        pr=pr,
        allow_unreviewed=allow_unreviewed,
        author=comment_author or BOT,
    )
    with service.open_workspace(directory, target=target) as ws:

        def run_apply(saved: Plan | None, confirm: Callable[[Plan], bool]) -> tuple[Plan, ApplyReport | None]:
            return service.apply(
                ws,
                saved_plan=saved,
                confirm=confirm,
                lock_timeout=lock_timeout,
                pause_gc=PAUSE_GC,
                notice=lambda line: click.echo(sanitize(f"note: {line}"), err=True),
                on_wait=WaitLines(sys.stderr),
            )

        applied = apply_reviewed(
            ws,
            environ=os.environ,
            options=options,
            say=lambda line: click.echo(sanitize(line)),
            render_markdown=render_markdown,
            show=lambda plan: click.echo(render_text(plan, color=False), nl=False),
            run_apply=run_apply,
        )
    if applied.report is None:
        return int(ExitCode.OK)
    click.echo(render_apply_report(applied.report, color=False), nl=False)
    return int(ExitCode.OK if applied.report.ok else ExitCode.ERROR)


def _drift_markdown(target: str, count: int, report: str) -> str:
    """The issue body: a heading, a count, and the text report in a fence longer than any backtick run in
    it (so nothing in the report can close it or be read as Markdown)."""
    from reconciler.render.markdown import escape_md, fence

    lines = report.rstrip().splitlines()
    bar = fence(lines)
    noun = "object" if count == 1 else "objects"
    return (
        f"## Drift in {escape_md(target)}\n\n"
        f"{count} managed {noun} changed outside reconciler since the last apply.\n\n"
        f"{bar}text\n" + "\n".join(lines) + f"\n{bar}\n\n"
        "`reconcile plan` shows what an apply would do; `reconcile apply` restores the manifests' "
        "settings. This issue is updated while the drift lasts and closed when it is gone.\n"
    )
