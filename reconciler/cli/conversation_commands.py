"""`reconcile conversations ...`: the conversations (Responses era) or threads (Assistants v2) pinned to
assistant versions. `import FILE` pins those an application already tracks. The group opens the state
store alone (`service.open_release_state`); later subcommands register on `conversations_group` the same
way, each a function below the group.
"""

from __future__ import annotations

from pathlib import Path

import click

from reconciler.cli.flags import directory_option, target_option
from reconciler.cli.main import cli
from reconciler.errors import ExitCode

_SHOWN_CONFLICTS = 5  # the first few pins that disagree with the file; the count says how many in all


@cli.group("conversations")
def conversations_group() -> None:
    """Conversations pinned to assistant versions: import an application's own table of them."""


@conversations_group.command("import")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["csv", "jsonl"]),
    default=None,
    help="The file's format (default: from its extension, .csv or .jsonl).",
)
@directory_option
@target_option
@click.option(
    "--dry-run", is_flag=True, help="Check every row and count what would be pinned; write nothing."
)
def import_command(
    file: Path, fmt: str | None, directory: Path | None, target: str | None, dry_run: bool
) -> int:
    """Pin the conversations in FILE to the versions they run on: one row per conversation or thread,
    with `id`, `assistant`, `version` (a number) or `platform_id` (a bundle or platform assistant id),
    and `last_seen` (ISO 8601 or epoch seconds; default now). Every bad row is reported and nothing is
    written if there is one; a conversation pinned already keeps its pin."""
    from reconciler import service
    from reconciler.render.escape import sanitize
    from reconciler.words import count

    with service.open_release_state(directory, target=target) as state:
        report = service.import_conversations(
            state.store,
            state.workspace,
            file,
            fmt=fmt,  # type: ignore[arg-type]  # click.Choice keeps it to the two formats
            dry_run=dry_run,
        )
    pinned = "would be pinned" if dry_run else "pinned"
    click.echo(
        sanitize(
            f"{report.path}: {count(report.rows, 'row')}; {report.new} {pinned} in {state.workspace}, "
            f"{report.already} already pinned (kept as they are)."
        )
    )
    if report.conflicts:
        click.echo(
            f"{count(len(report.conflicts), 'conversation')} already pinned to another version than the "
            "file says (the pin in force is kept):",
            err=True,
        )
        for conflict in report.conflicts[:_SHOWN_CONFLICTS]:
            line = (
                f"  {conflict.assistant} {conflict.conversation}: pinned to version {conflict.held}, "
                f"the file says {conflict.imported}"
            )
            click.echo(sanitize(line), err=True)
        if len(report.conflicts) > _SHOWN_CONFLICTS:
            click.echo(f"  ... and {len(report.conflicts) - _SHOWN_CONFLICTS} more", err=True)
    return int(ExitCode.OK)


# `migrate` and `worker` live in their own module and register on this group when it is imported.
from reconciler.cli import migrate_commands as _migrate_commands  # noqa: E402, F401
