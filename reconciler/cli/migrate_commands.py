"""`reconcile conversations migrate plan|run|status|cancel NAME` and `reconcile conversations worker`:
moving an assistant's conversations to a newer version (`service.conversation_migrations`), with a live
progress bar on a terminal and a line every few seconds elsewhere."""

from __future__ import annotations

import signal
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType

import click

from reconciler.cli.conversation_commands import conversations_group
from reconciler.cli.flags import JSON, directory_option, output_format, target_option
from reconciler.errors import ExitCode

_to = click.option(
    "--to", "to_version", type=click.IntRange(min=1), required=True, help="The target version."
)
_worker_id = click.option(
    "--worker-id",
    default=None,
    help="Who runs the work (default: the host name). A restart with the same id resumes the "
    "conversations it had in hand when it was killed.",
)
_concurrency = click.option(
    "--concurrency",
    type=click.IntRange(1, 256),
    default=8,
    show_default=True,
    help="Conversations at once in this process.",
)
_include_idle = click.option(
    "--include-idle", is_flag=True, help="Also conversations not seen within `conversations.retention`."
)
LINE_SECONDS = 5.0  # without a terminal, a progress line this often


@conversations_group.group("migrate")
def migrate_group() -> None:
    """Move NAME's conversations to a newer version: `plan` (dry run), `run`, `status`, `cancel`."""


@migrate_group.command("plan")
@click.argument("name")
@_to
@_include_idle
@directory_option
@target_option
@output_format("text", "json")
def plan_command(
    name: str, to_version: int, include_idle: bool, directory: Path | None, target: str | None, fmt: str
) -> int:
    """How many conversations per version, a sample of upcast items and every failure; writes nothing."""
    from reconciler import service
    from reconciler.render import migrations as render
    from reconciler.service.conversation_migrations import MigrationRequest
    from reconciler.service.migration_plan import plan_migration

    request = MigrationRequest(name, to_version, include_idle=include_idle)
    with service.open_workspace(directory, target=target) as ws:
        plan = plan_migration(ws, request)
    click.echo(render.plan_json(plan) if fmt == JSON else render.plan_text(plan))
    return int(ExitCode.ERROR) if plan.failed else int(ExitCode.OK)


@migrate_group.command("run")
@click.argument("name")
@_to
@_include_idle
@click.option(
    "--delete-after",
    default=None,
    metavar="DURATION",
    help="Delete each old conversation this long after its copy is made (e.g. 30d); default never.",
)
@click.option(
    "--active-runs",
    type=click.Choice(["wait", "cancel"]),
    default="wait",
    show_default=True,
    help="Assistants v2: wait for a thread's run in flight to end, or cancel it.",
)
@click.option(
    "--follow-rollout",
    is_flag=True,
    help="The target version is under a canary rollout: move only the conversations its weight gives the "
    "canary, more as the weight rises, all once it is stable; stop if it is aborted.",
)
@_worker_id
@_concurrency
@directory_option
@target_option
def run_command(
    name: str,
    to_version: int,
    include_idle: bool,
    delete_after: str | None,
    active_runs: str,
    follow_rollout: bool,
    worker_id: str | None,
    concurrency: int,
    directory: Path | None,
    target: str | None,
) -> int:
    """Move the conversations, working the queue in this process (other machines may run `worker`).
    A rerun after a crash or Ctrl-C resumes the same migration."""
    from reconciler import service
    from reconciler.config import parse_duration
    from reconciler.model.moves import ActiveRuns, ItemStatus, MigrationOptions
    from reconciler.render import migrations as render
    from reconciler.service.conversation_migrations import (
        MigrationRequest,
        NothingToMigrate,
        run_migration,
        start_migration,
    )
    from reconciler.service.migration_status import running_migrations

    seconds = None
    if delete_after is not None:
        try:
            seconds = parse_duration(delete_after)
        except ValueError as error:
            raise click.BadParameter(str(error), param_hint="--delete-after") from None
    options = MigrationOptions(
        delete_after_seconds=seconds, active_runs=ActiveRuns(active_runs), follow_rollout=follow_rollout
    )
    with _stop_on_signals() as stop, service.open_workspace(directory, target=target) as ws:
        resumed = any(m.to_version == to_version for m in running_migrations(ws.store, ws.name, name))
        try:
            record = start_migration(ws, MigrationRequest(name, to_version, options, include_idle))
        except NothingToMigrate as nothing:
            click.echo(f"{str(nothing)[0].upper()}{str(nothing)[1:]}.")
            return int(ExitCode.OK)
        verb = "Resuming migration" if resumed else "Migration"
        click.echo(f"{verb} {record.id}: {record.total} conversations of {name} to version {to_version}.")
        progress = _Progress()
        result = run_migration(
            ws,
            record,
            worker_id=worker_id,
            concurrency=concurrency,
            on_progress=progress.show,
            should_stop=stop.is_set,
        )
        progress.end()
    click.echo(render.run_text(result))
    counts = result.status.progress.counts
    return (
        int(ExitCode.ERROR) if counts[ItemStatus.FAILED] or counts[ItemStatus.PENDING] else int(ExitCode.OK)
    )


@migrate_group.command("status")
@click.argument("name")
@directory_option
@target_option
@output_format("text", "json")
def status_command(name: str, directory: Path | None, target: str | None, fmt: str) -> int:
    """NAME's latest migration: counts by state, rate and ETA, the first failures. From any machine."""
    from reconciler import service
    from reconciler.render import migrations as render
    from reconciler.service.migration_status import migration_status

    with service.open_release_state(directory, target=target) as state:  # the store only: no API key needed
        report = migration_status(state.store, state.workspace, name)
    click.echo(render.status_json(report) if fmt == JSON else render.status_text(report))
    return int(ExitCode.OK)


@migrate_group.command("cancel")
@click.argument("name")
@click.option("--reason", default="", help="Why; recorded with the migration.")
@directory_option
@target_option
def cancel_command(name: str, reason: str, directory: Path | None, target: str | None) -> int:
    """Stop NAME's running migration: no conversation starts after this; those moved stay moved."""
    from reconciler import service
    from reconciler.service.migration_status import cancel_migration

    with service.open_release_state(directory, target=target) as state:  # the store only: no API key needed
        record = cancel_migration(state.store, state.workspace, name, reason=reason)
    click.echo(f"Migration {record.id} of {name} to version {record.to_version}: {record.message}.")
    return int(ExitCode.OK)


@conversations_group.command("worker")
@_worker_id
@_concurrency
@directory_option
@target_option
def worker_command(
    worker_id: str | None, concurrency: int, directory: Path | None, target: str | None
) -> int:
    """Work the migrations of this workspace until stopped (SIGTERM or Ctrl-C), beside other workers
    sharing a PostgreSQL state."""
    from reconciler import service
    from reconciler.service.conversation_migrations import serve_worker

    progress = _Progress()
    with _stop_on_signals() as stop, service.open_workspace(directory, target=target) as ws:
        click.echo(f"Worker on {ws.name}; SIGTERM or Ctrl-C stops it (what it has in hand resumes later).")
        serve_worker(
            ws,
            worker_id=worker_id,
            concurrency=concurrency,
            on_progress=progress.show,
            should_stop=stop.is_set,
        )
    progress.end()
    return int(ExitCode.OK)


@contextmanager
def _stop_on_signals() -> Iterator[threading.Event]:
    """An event set on SIGINT or SIGTERM, so the loop stops between polls and DBOS shuts down cleanly; the
    handlers in force before are put back afterwards."""
    stop = threading.Event()

    def handler(signum: int, frame: FrameType | None) -> None:
        del signum, frame
        stop.set()

    if threading.current_thread() is not threading.main_thread():  # a library caller's thread: no signals
        yield stop
        return
    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield stop
    finally:
        for sig, was in previous.items():
            signal.signal(sig, was)


class _Progress:
    """A bar redrawn in place on a terminal (stderr); elsewhere a line every `LINE_SECONDS`."""

    def __init__(self) -> None:
        self.tty = sys.stderr.isatty()
        self.last = 0.0
        self.drawn = False

    def show(self, report: object) -> None:
        from reconciler.render.migrations import progress_line
        from reconciler.threads.reports import StatusReport

        assert isinstance(report, StatusReport)
        line = progress_line(report)
        if self.tty:
            click.echo(f"\r{line}", nl=False, err=True)
            self.drawn = True
            return
        now = time.monotonic()
        if now - self.last >= LINE_SECONDS:
            click.echo(line, err=True)
            self.last = now

    def end(self) -> None:
        if self.drawn:
            click.echo("", err=True)
