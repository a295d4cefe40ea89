"""`reconcile versions`, `rollback`, `promote`, `resolve` and `gc`: parse options, call rollout, print.

Only `gc` talks to the platform. The others open the project file and the state store and nothing else -
no manifests are loaded and no target is built - so a rollback works while the platform is slow or the
manifests on this branch are broken, and it cannot make a platform call by accident.
"""

from __future__ import annotations

import getpass
import json
import os
import socket
import sys
import time
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import click

from reconciler.cli.flags import JSON, output_format, target_option
from reconciler.cli.main import cli
from reconciler.cli.waits import WaitLines
from reconciler.errors import ExitCode, UserError
from reconciler.render.escape import sanitize
from reconciler.rollout.defaults import DEFAULT_KEEP, STABLE
from reconciler.words import count

# The store, the models, the project reader and (for gc) the service are imported by the functions that
# use them, so `reconcile --help` does not load them (cli.commands).
if TYPE_CHECKING:
    from reconciler.model.stored import PointerMove, VersionRecord
    from reconciler.rollout.pointers import VersionView
    from reconciler.store import StateStore

_SQLITE = "sqlite:///"

_target = target_option
_directory = click.argument("directory", required=False, type=click.Path(file_okay=False, path_type=Path))
_reason = click.option("--reason", default="", help="Why; recorded in the pointer's history.")


def open_state(directory: Path | None, target: str | None) -> tuple[StateStore, str]:
    """The state store and workspace (target name) of the project at or above `directory`, read from
    reconcile.yaml alone. Refuses to create a store that does not exist yet."""
    from reconciler.manifest.project import project_config
    from reconciler.store import open_store

    config = project_config(directory)
    workspace, _ = config.target(target)
    dsn = config.state_dsn()
    if dsn.startswith(_SQLITE) and ":memory:" not in dsn and not Path(dsn[len(_SQLITE) :]).is_file():
        raise UserError(f"no state store at {dsn[len(_SQLITE) :]}: nothing was applied to {workspace!r} yet")
    return open_store(dsn), workspace


def _who() -> dict[str, str]:
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = os.environ.get("USER", "unknown")
    return {"user": user, "host": socket.gethostname()}


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


def _moved(move: PointerMove, platform_id: str, verb: str) -> str:
    before = "nothing" if move.from_version is None else f"version {move.from_version}"
    return sanitize(
        f"{verb} {move.assistant}: {move.pointer} {before} -> version {move.to_version} ({platform_id}). "
        "No platform call was made; applications using reconciler.runtime follow within their cache TTL."
    )


@cli.command("versions")
@click.argument("name")
@_directory
@_target
@output_format("text", "json")
def versions_command(name: str, directory: Path | None, target: str | None, fmt: str) -> int:
    """List NAME's versions: pointers, compatibility with the parent, creation time, fingerprint."""
    from reconciler.rollout.pointers import list_versions

    store, workspace = open_state(directory, target)
    with store:
        views = list_versions(store, workspace, name)
    if fmt == JSON:
        payload = {"workspace": workspace, "assistant": name, "versions": [asdict(v) for v in views]}
        click.echo(json.dumps(payload, indent=2, sort_keys=True))
    else:
        click.echo(_table(views), nl=False)
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
    from reconciler.rollout.pointers import resolve, rollback

    store, workspace = open_state(directory, target)
    with store:
        move = rollback(store, workspace, name, to=to, reason=reason, now=time.time(), **_who())
        platform_id = resolve(store, workspace, name).platform_id
    forward = (
        move.from_version is not None and move.to_version is not None and move.to_version > move.from_version
    )
    click.echo(_moved(move, platform_id, "Moved forward (rollback --to)" if forward else "Rolled back"))
    return int(ExitCode.OK)


@cli.command("promote")
@click.argument("name")
@_directory
@_target
@click.option("--to", "to", type=int, required=True, help="Version number to point stable at.")
@_reason
def promote_command(name: str, directory: Path | None, target: str | None, to: int, reason: str) -> int:
    """Point NAME's stable pointer at version N, instantly, without a platform call."""
    from reconciler.rollout.pointers import promote, resolve

    store, workspace = open_state(directory, target)
    with store:
        move = promote(store, workspace, name, to=to, reason=reason, now=time.time(), **_who())
        platform_id = resolve(store, workspace, name).platform_id
    click.echo(_moved(move, platform_id, "Promoted"))
    return int(ExitCode.OK)


@cli.command("resolve")
@click.argument("name")
@_directory
@_target
@click.option("--pointer", default=STABLE, show_default=True, help="Release pointer to read.")
def resolve_command(name: str, directory: Path | None, target: str | None, pointer: str) -> int:
    """Print the platform assistant id that NAME's pointer names (nothing else, for scripts)."""
    from reconciler.rollout.pointers import resolve

    store, workspace = open_state(directory, target)
    with store:
        record = resolve(store, workspace, name, pointer)
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
    """Delete platform assistants of old versions beyond the retention, best effort. Asks first, as
    apply does: without --auto-approve, a run whose stdin is not a terminal deletes nothing."""
    from reconciler import service
    from reconciler.calls.retry import Retrier
    from reconciler.rollout.gc import GcOutcome, collect_garbage

    who = _who()

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
        report = collect_garbage(
            ws.store,
            ws.target,
            ws.name,
            keep=keep,
            dry_run=dry_run,
            label_owner=ws.owner,
            owner=who["user"],
            host=who["host"],
            retrier=Retrier(ws.project.config.retry, observe=WaitLines(sys.stderr)),
            confirm=confirm,
        )
    for warning in report.warnings:
        click.echo(sanitize(f"warning: {warning}"), err=True)
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
