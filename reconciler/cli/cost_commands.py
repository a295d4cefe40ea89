"""`reconcile costs [--since YYYY-MM-DD] [--by line-item|project]`: the platform's actual spend from the
Admin API's costs endpoint, beside the spend alerts and limit and, where telemetry exists, cost per
version (`service.costs`, drawn by `render.costs`). `--format json` (or `-json`) prints the JSON document;
the deprecated `-o json` is accepted as by the other commands.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from reconciler.cli.flags import JSON, directory_option, output_format, target_option
from reconciler.cli.main import cli
from reconciler.errors import ExitCode


@cli.command("costs")
@directory_option
@target_option
@click.option(
    "--since",
    default=None,
    metavar="YYYY-MM-DD",
    help="The first UTC day to count (default: the first of the current month).",
)
@click.option(
    "--by",
    type=click.Choice(["line-item", "project"]),
    default=None,
    help="Break the spend down by line item, or by project (every project of the organization).",
)
@output_format("text", "json", legacy_o=True)
def costs_command(
    directory: Path | None, target: str | None, since: str | None, by: str | None, fmt: str
) -> int:
    """Actual spend from the Admin API's costs endpoint (paced like every admin call), per UTC day and in
    all, beside the spend alerts and limit; with the runtime's telemetry, cost per version too."""
    import time

    from reconciler import service
    from reconciler.cli.waits import WaitLines
    from reconciler.model.spend import CostGrouping, utc_day
    from reconciler.render import costs as render
    from reconciler.service import costs

    first_day = costs.parse_since(since, today=utc_day(time.time()))  # a bad date: one line, nothing opened
    with service.open_workspace(directory, target=target, admin_only=True) as ws:
        report = costs.costs_report(
            ws,
            since=first_day,
            by=CostGrouping(by) if by is not None else None,
            on_wait=WaitLines(sys.stderr),
        )
    click.echo(render.costs_json(report) if fmt == JSON else render.costs_text(report))
    return int(ExitCode.OK)
