"""`reconcile ci comment PLANFILE`: the saved plan as one Markdown comment per pull request and target
(GitHub's REST API; `service.ci`), and in the workflow's step summary."""

from __future__ import annotations

import os
from pathlib import Path

import click

from reconciler.cli.flags import directory_option
from reconciler.cli.main import cli
from reconciler.errors import ExitCode


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
def comment_command(
    planfile: Path, target: str | None, directory: Path | None, pr: int | None, artifact_url: str | None
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
        pr_number=pr,
        artifact_url=artifact_url,
    )
    if posted.action == "skipped":
        where = "the step summary" if posted.summary else "nowhere (no GITHUB_STEP_SUMMARY)"
        click.echo(f"No pull request in this run: the plan went to {where}.")
    else:
        click.echo(f"{posted.action.capitalize()} the plan comment: {posted.url}")
    return int(ExitCode.OK)
