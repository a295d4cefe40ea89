"""`reconcile versions`, `rollback`, `promote`, `resolve`, `stop`, `start` and `gc`: parse options, call the
service (`service.rollouts`, `service.stops`), print.

Only `gc` talks to the platform; the others open the state store alone (`service.open_release_state`).
"""

from __future__ import annotations

import json
import sys
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import click

from reconciler.cli.flags import JSON, output_format, target_option
from reconciler.cli.main import cli
from reconciler.cli.waits import WaitLines
from reconciler.errors import ExitCode
from reconciler.render.escape import sanitize
from reconciler.rollout.defaults import DEFAULT_KEEP, STABLE
from reconciler.words import count, span

# The service (and through it the store and the models) is imported by the functions that use it, so
# `reconcile --help` does not load it (cli.commands).
if TYPE_CHECKING:
    from reconciler.model.stored import StopEvent, VersionRecord
    from reconciler.rollout.pointers import VersionView
    from reconciler.service import Moved, StopOutcome

_target = target_option
_directory = click.argument("directory", required=False, type=click.Path(file_okay=False, path_type=Path))
_reason = click.option("--reason", default="", help="Why; recorded in the pointer's history.")


def _when(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%d %H:%M:%SZ") if epoch else "-"


def _compat(view: VersionView) -> str:
    text = view.compat
    if view.breaks:
        text += f" ({'+'.join(view.breaks)})"
    if view.accepted:
        text += ", accepted"
    return text


def _table(views: list[VersionView]) -> str:
    rows = [("VERSION", "POINTERS", "COMPAT", "CREATED", "FINGERPRINT", "PLATFORM ID")]
    for v in views:
        rows.append(
            (
                f"{v.number}{' (deleted)' if v.deleted else ''}",
                ",".join(v.pointers) or "-",
                _compat(v),
                _when(v.created_at),
                v.fingerprint[:12] or "-",
                v.platform_id,
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip() for row in rows]
    return sanitize("\n".join(lines)) + "\n"


def _moved(moved: Moved, verb: str) -> str:
    move = moved.move
    before = "nothing" if move.from_version is None else f"version {move.from_version}"
    after = f"version {move.to_version} ({moved.platform_id})"
    return sanitize(
        f"{verb} {move.assistant}: {move.pointer} {before} -> {after}. "
        "No platform call was made; applications using reconciler.runtime follow within their cache TTL."
    )


def _stop_line(stop: StopEvent) -> str:
    why = f": {stop.reason}" if stop.reason else ""
    return sanitize(f"since {_when(stop.at)} by {stop.user}@{stop.host}{why}")


def _stop_json(stop: StopEvent | None) -> dict[str, object] | None:
    if stop is None:
        return None
    return {"at": stop.at, "user": stop.user, "host": stop.host, "reason": stop.reason}


def _pressed(outcome: StopOutcome) -> str:
    name, ws = outcome.assistant, outcome.workspace
    if outcome.stopped and outcome.changed:
        text = (
            f"Stopped {name} in {ws}: applications using reconciler.runtime refuse new turns (Stopped) from "
            f"their next lookup. `reconcile start {name}` resumes it."
        )
    elif outcome.stopped:
        held = f" ({_stop_line(outcome.event)})" if outcome.event is not None else ""
        text = f"{name} is already stopped in {ws}{held}; nothing recorded."
    elif outcome.changed:
        text = (
            f"Started {name} in {ws}: applications using reconciler.runtime serve it again from their "
            "next lookup."
        )
    else:
        text = f"{name} is not stopped in {ws}; nothing recorded."
    return sanitize(text)


@cli.command("versions")
@click.argument("name")
@_directory
@_target
@output_format("text", "json")
def versions_command(name: str, directory: Path | None, target: str | None, fmt: str) -> int:
    """List NAME's versions: pointers, compatibility with the parent, creation time, fingerprint."""
    from reconciler import service

    with service.open_release_state(directory, target=target) as state:
        views = service.list_versions(state, name)
        stop = service.current_stop(state, name)
    if fmt == JSON:
        payload = {
            "workspace": state.workspace,
            "assistant": name,
            "versions": [asdict(v) for v in views],
            "stopped": _stop_json(stop),
        }
        click.echo(json.dumps(payload, indent=2, sort_keys=True))
    else:
        click.echo(_table(views), nl=False)
        if stop is not None:
            click.echo(f"STOPPED {_stop_line(stop)}; `reconcile start {sanitize(name)}` resumes it.")
    return int(ExitCode.OK)


@cli.command("stop")
@click.argument("name")
@_directory
@_target
@click.option("--reason", default="", help="Why; recorded in the stop history.")
def stop_command(name: str, directory: Path | None, target: str | None, reason: str) -> int:
    """Stop NAME: applications using reconciler.runtime refuse its new turns (their fallback) until
    `reconcile start NAME`. No platform call; recorded with user, host, time and reason."""
    return _press(name, directory, target, reason, stop=True)


@cli.command("start")
@click.argument("name")
@_directory
@_target
@click.option("--reason", default="", help="Why; recorded in the stop history.")
def start_command(name: str, directory: Path | None, target: str | None, reason: str) -> int:
    """Let a stopped NAME serve again. No platform call; recorded with user, host, time and reason."""
    return _press(name, directory, target, reason, stop=False)


def _press(name: str, directory: Path | None, target: str | None, reason: str, *, stop: bool) -> int:
    from reconciler import service

    press = service.stop if stop else service.start
    with service.open_release_state(directory, target=target) as state:
        outcome = press(state, name, reason=reason)
    click.echo(_pressed(outcome))
    return int(ExitCode.OK)


@cli.command("rollback")
@click.argument("name")
@_directory
@_target
@click.option("--to", "to", type=int, default=None, help="Version number (default: what stable held before).")
@_reason
def rollback_command(
    name: str, directory: Path | None, target: str | None, to: int | None, reason: str
) -> int:
    """Point NAME's stable pointer back at an earlier version, instantly, without a platform call."""
    from reconciler import service

    with service.open_release_state(directory, target=target) as state:
        moved = service.rollback(state, name, to=to, reason=reason)
    click.echo(_moved(moved, "Moved forward (rollback --to)" if moved.forward else "Rolled back"))
    return int(ExitCode.OK)


@cli.command("promote")
@click.argument("name")
@_directory
@_target
@click.option("--to", "to", type=int, required=True, help="Version number to point stable at.")
@_reason
def promote_command(name: str, directory: Path | None, target: str | None, to: int, reason: str) -> int:
    """Point NAME's stable pointer at version N, instantly, without a platform call."""
    from reconciler import service

    with service.open_release_state(directory, target=target) as state:
        moved = service.promote(state, name, to=to, reason=reason)
    click.echo(_moved(moved, "Promoted"))
    return int(ExitCode.OK)


@cli.command("resolve")
@click.argument("name")
@_directory
@_target
@click.option("--pointer", default=STABLE, show_default=True, help="Release pointer to read.")
def resolve_command(name: str, directory: Path | None, target: str | None, pointer: str) -> int:
    """Print the id of the version NAME's pointer names: a platform assistant, or a release bundle
    (nothing else, for scripts)."""
    from reconciler import service

    with service.open_release_state(directory, target=target) as state:
        record = service.resolve(state, name, pointer)
    click.echo(record.platform_id)
    return int(ExitCode.OK)


@cli.command("gc")
@_directory
@_target
@click.option("--dry-run", is_flag=True, help="List what would be deleted; delete nothing.")
@click.option("--auto-approve", is_flag=True, help="Delete without asking.")
@click.option(
    "--keep",
    type=click.IntRange(min=0),
    default=DEFAULT_KEEP,
    show_default=True,
    help="Newest versions kept per assistant (versions a pointer holds are always kept).",
)
def gc_command(
    directory: Path | None, target: str | None, dry_run: bool, auto_approve: bool, keep: int
) -> int:
    """Delete old versions beyond the retention (platform assistants, or release bundles in the state
    store), best effort. Asks first, as apply does: without --auto-approve, a run whose stdin is not a
    terminal deletes nothing."""
    from reconciler import service
    from reconciler.rollout.gc import GcOutcome
    from reconciler.service.conversation_migrations import sweep_deletions

    def confirm(versions: list[VersionRecord]) -> bool:
        if auto_approve:
            return True
        for v in versions:
            click.echo(sanitize(f"would delete: {v.assistant} version {v.number} ({v.platform_id})"))
        if not sys.stdin.isatty():
            click.echo("\nRefusing to delete without --auto-approve when stdin is not a terminal.", err=True)
            return False
        return click.confirm(
            f"\nDelete {count(len(versions), 'old version')} from the platform?", default=False
        )

    with service.open_workspace(directory, target=target) as ws:
        report = service.collect_garbage(
            ws, keep=keep, dry_run=dry_run, confirm=confirm, on_wait=WaitLines(sys.stderr)
        )
        swept = 0 if dry_run or report.cancelled else sweep_deletions(ws)
    if swept:
        click.echo(f"deleted: {count(swept, 'old conversation')} migrated longer ago than --delete-after")
    for warning in report.warnings:
        click.echo(sanitize(f"warning: {warning}"), err=True)
    for (assistant, number), conversations in sorted(report.pinned.items()):
        held = count(conversations, "conversation")
        since = f"seen in the last {span(report.retention)} (conversations.retention)"
        click.echo(sanitize(f"kept: {assistant} version {number}: {held} pinned to it, {since}"))
    if report.cancelled:
        click.echo("gc cancelled; nothing was deleted.", err=True)
        return int(ExitCode.ERROR)
    for item in report.items:
        line = f"{item.outcome.value}: {item.assistant} version {item.number} ({item.platform_id})"
        if item.error:
            line += f": {item.error}"
        click.echo(sanitize(line), err=item.outcome is GcOutcome.FAILED)
    counts = f"{len(report.items) - len(report.failed)} of {count(len(report.items), 'old version')}"
    done = "would be deleted" if dry_run else "deleted"
    click.echo(f"gc {report.workspace}: {counts} {done}; {report.kept} kept (--keep {keep}).")
    return int(ExitCode.OK if report.ok else ExitCode.ERROR)
