"""`reconcile plan`, `apply`, `drift` and `state unlock`: parse options, call the service, render.

Without a DIR argument a command works on the project containing the working directory; a DIR must name
the whole project (its root or its manifests directory): the service refuses a part of it.
"""

from __future__ import annotations

import contextlib
import functools
import importlib
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, ParamSpec, TypeVar

import click

from reconciler.cli.flags import JSON, output_format, target_option
from reconciler.cli.main import cli
from reconciler.cli.waits import WaitLines
from reconciler.errors import ExitCode, PlanFileError, UserError
from reconciler.render.escape import sanitize

# The service (and through it the SDK), the plan model and the renderers are imported by the functions
# that use them, so `reconcile --help` and the other commands do not load them (cli.commands).
if TYPE_CHECKING:
    from reconciler.apply.report import StepResult
    from reconciler.plan.definition import Plan

# A CLI run is its own process, one plan at a time: pausing the cyclic collector while it plans is safe
# here, and saves a 1,000-resource plan 0.05-0.2 s (service.gcpause).
PAUSE_GC = True

_P = ParamSpec("_P")
_R = TypeVar("_R")


def _whole_command_paused(command: Callable[_P, _R]) -> Callable[_P, _R]:
    """Keep the collector paused for the whole command, not only `make_plan`: loading the manifests
    builds most of what a plan keeps, and each collection while it grows walks all of it (0.3 s of CPU
    at 3,000 assistants); ending the pause before rendering would walk it all once more. The objects are
    freed by reference counting when the command returns. The SDK is imported first (`_load_sdk`)."""

    @functools.wraps(command)
    def paused(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        _load_sdk()
        from reconciler.service.gcpause import collection_paused

        if not PAUSE_GC:
            return command(*args, **kwargs)
        with collection_paused():
            return command(*args, **kwargs)

    return paused


def _load_sdk() -> None:
    """Import the SDK on a thread of its own, before the service imports it several packages down.

    Its import builds some 2,000 pydantic models through deep recursion, and CPython 3.11 maps a 16 KB
    frame-stack chunk each time a call crosses into a new one and unmaps it on the way back. Started that
    deep in the stack, the import crossed a chunk boundary in its hot paths ~6,000 times: 12,000 system
    calls and 0.1-0.2 s of a plan's start-up. A new thread starts at the bottom of a stack of its own, as
    a script's top-level `import openai` does."""
    loading = threading.Thread(target=_import_quietly, args=(SDK_MODULE,), name="load-sdk")
    loading.start()
    loading.join()


SDK_MODULE = "reconciler.targets.client"


def _import_quietly(name: str) -> None:
    # A module that fails to import here fails again where the command imports it, and is reported
    # there as one line; a thread's own traceback must not reach the terminal.
    with contextlib.suppress(Exception):
        importlib.import_module(name)


_target = target_option


def _render(plan: Plan, fmt: str, *, color: bool) -> str:
    from reconciler.render.json import render_json
    from reconciler.render.markdown import render_markdown
    from reconciler.render.text import render_text

    if fmt == JSON:
        return render_json(plan)
    if fmt == "markdown":
        return render_markdown(plan)
    return render_text(plan, color=color)


@cli.command("plan")
@click.argument("directory", required=False, type=click.Path(file_okay=False, path_type=Path))
@_target
@click.option(
    "-out",
    "--out",
    "out",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="FILE",
    help="Save the plan to FILE for `apply FILE`.",
)
@output_format("text", "json", "markdown", legacy_o=True, saves_to="-out")
@click.option("--detailed-exitcode", is_flag=True, help="Exit 2 when there are changes, 0 when none.")
@click.option("--allow-empty", is_flag=True, help="Allow a plan that deletes every managed object.")
@_whole_command_paused
def plan_command(
    directory: Path | None,
    target: str | None,
    out: Path | None,
    fmt: str,
    detailed_exitcode: bool,
    allow_empty: bool,
) -> int:
    """Show what apply would change on the platform."""
    from reconciler import service
    from reconciler.render.text import should_color

    with service.open_workspace(directory, target=target) as ws:
        reviewed = service.review(
            ws, allow_empty=allow_empty, pause_gc=PAUSE_GC, on_wait=WaitLines(sys.stderr)
        )
    plan = reviewed.plan
    click.echo(_render(plan, fmt, color=should_color(sys.stdout)), nl=False)
    if out is not None:
        try:
            out.write_text(plan.to_json(), encoding="utf-8")
        except OSError as error:  # a missing directory, no permission: the user's to fix, not a bug
            raise UserError(f"cannot save the plan to {out}: {error.strerror or error}") from None
        click.echo(f"\nSaved the plan to {out}; apply it exactly with: reconcile apply {out}", err=True)
    if reviewed.refusal is not None:
        for finding in reviewed.refusal.findings():
            click.echo(sanitize(f"error: {finding}"), err=True)
        click.echo(f"error: {reviewed.refusal.conclusion()}", err=True)
        return int(ExitCode.ERROR)
    if detailed_exitcode and plan.has_changes:
        return int(ExitCode.CHANGES)
    return int(ExitCode.OK)


@cli.command("apply")
@click.argument("source", required=False, type=click.Path(path_type=Path))
@_target
@click.option("--auto-approve", is_flag=True, help="Apply without asking.")
@click.option("--allow-empty", is_flag=True, help="Allow a plan that deletes every managed object.")
@click.option("--dry-run", is_flag=True, help="Walk the plan and write nothing.")
@click.option(
    "--lock-timeout", type=float, default=0.0, show_default=True, help="Seconds to wait for the state lock."
)
def apply_command(
    source: Path | None,
    target: str | None,
    auto_approve: bool,
    allow_empty: bool,
    dry_run: bool,
    lock_timeout: float,
) -> int:
    """Make the platform match the manifests (DIR), or apply a saved plan (PLANFILE) exactly."""
    from reconciler import service
    from reconciler.render.report import render_apply_report
    from reconciler.render.text import render_text, should_color

    saved = _saved_plan(source) if source is not None and source.is_file() else None
    directory = None if saved is not None else source
    color = should_color(sys.stdout)

    def confirm(plan: Plan) -> bool:
        click.echo(render_text(plan, color=color), nl=False)
        if auto_approve or dry_run or saved is not None:
            return True
        if not sys.stdin.isatty():
            click.echo("\nRefusing to apply without --auto-approve when stdin is not a terminal.", err=True)
            return False
        return click.confirm("\nApply these changes?", default=False)

    progress = _progress_bar if sys.stderr.isatty() and not dry_run else None
    with service.open_workspace(directory, target=target or (saved.workspace if saved else None)) as ws:
        plan, report = service.apply(
            ws,
            saved_plan=saved,
            allow_empty=allow_empty,
            dry_run=dry_run,
            lock_timeout=lock_timeout,
            confirm=confirm,
            progress=progress,
            pause_gc=PAUSE_GC,
            notice=lambda line: click.echo(sanitize(f"note: {line}"), err=True),
            on_wait=WaitLines(sys.stderr),
        )
    if report is None:
        if not plan.has_changes:
            click.echo(render_text(plan, color=color), nl=False)
            return int(ExitCode.OK)
        click.echo("Apply cancelled; nothing was changed.", err=True)
        return int(ExitCode.ERROR)
    click.echo(render_apply_report(report, color=color), nl=False)
    return int(ExitCode.OK if report.ok else ExitCode.ERROR)


def _saved_plan(source: Path) -> Plan:
    """The plan `plan -out` saved at `source`, refused unless its content still hashes to its id; a
    manifest or any other file is refused in one line."""
    from reconciler.plan.definition import Plan

    if source.suffix in (".yaml", ".yml"):
        raise UserError(
            f"{source} is a manifest, not a saved plan: reconcile plans the whole project: run it "
            "without a path from anywhere inside the project"
        )
    try:
        text = source.read_bytes()
    except OSError as exc:
        raise PlanFileError(f"{source}: cannot read the saved plan: {exc.strerror or exc}") from None
    return Plan.load(text, source=str(source))


def _progress_bar(result: StepResult, finished: int, total: int) -> None:
    """One redrawn line on stderr: how far the apply is, and what it just did (uploads included)."""
    width = 24
    filled = width * finished // max(total, 1)
    label = result.address if len(result.address) <= 60 else "..." + result.address[-57:]
    line = f"\r[{'#' * filled}{'.' * (width - filled)}] {finished}/{total} {result.outcome.value} {label}"
    click.echo(line.ljust(110)[:110], nl=finished == total, err=True)


@cli.command("drift")
@click.argument("directory", required=False, type=click.Path(file_okay=False, path_type=Path))
@_target
@output_format("text", "json")
@_whole_command_paused
def drift_command(directory: Path | None, target: str | None, fmt: str) -> int:
    """Exit 2 when managed objects changed outside reconciler since the last apply (for scheduled CI)."""
    from reconciler import service
    from reconciler.render.json import render_json
    from reconciler.render.text import render_drift, should_color

    with service.open_workspace(directory, target=target) as ws:
        plan = service.drift(ws, pause_gc=PAUSE_GC, on_wait=WaitLines(sys.stderr))
    if fmt == JSON:
        click.echo(render_json(plan), nl=False)
    else:
        click.echo(render_drift(plan, color=should_color(sys.stdout)), nl=False)
    return int(ExitCode.CHANGES if plan.drift else ExitCode.OK)


@cli.group("state")
def state_group() -> None:
    """Inspect and repair the state store."""


@state_group.command("unlock")
@click.argument("lock_id")
@click.argument("directory", required=False, type=click.Path(file_okay=False, path_type=Path))
@_target
@click.option("--force", is_flag=True, help="Release it even when its holder is still running on this host.")
def unlock_command(lock_id: str, directory: Path | None, target: str | None, force: bool) -> int:
    """Remove a stuck apply lock by its id (shown in the LockHeld error)."""
    from reconciler import service

    with service.open_workspace(directory, target=target) as ws:
        unlocked = service.unlock(ws, lock_id, force=force)
    gone = f" ({unlocked.gone})" if unlocked.gone else ""
    click.echo(sanitize(f"Released lock {lock_id} held by {unlocked.lease.holder}{gone}."))
    caution = unlocked.caution()
    if caution is not None:
        label = "warning" if unlocked.holder is service.HolderState.RUNNING_HERE else "note"
        click.echo(sanitize(f"{label}: {caution}"), err=True)
    return int(ExitCode.OK)


@cli.command("import")
@click.argument("kind", required=False, type=click.Choice(["assistant", "vector-store"]))
@click.argument("ids", nargs=-1)
@click.option("--dir", "directory", default=None, type=click.Path(file_okay=False, path_type=Path))
@_target
@click.option(
    "--write",
    "--write-dir",
    "write_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Write manifests here (inside the project).",
)
@click.option(
    "--from-export",
    "exports",
    multiple=True,
    metavar="FILE",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Read assistants and vector stores from an Assistants-era export (JSON the SDK's list() "
    "returned, a JSON array, or JSON lines) instead of the platform. Repeatable.",
)
def import_command(
    kind: str | None,
    ids: tuple[str, ...],
    directory: Path | None,
    target: str | None,
    write_dir: Path | None,
    exports: tuple[Path, ...],
) -> int:
    """Adopt unmanaged assistants or vector stores (KIND ID...): label them, record them, write their
    manifests. With --from-export FILE: write the manifests of the objects of an Assistants-era export,
    touching no platform, so `apply` creates them on the target."""
    if exports:
        if kind is not None:
            raise click.UsageError("give KIND ID... or --from-export FILE, not both")
        if write_dir is None:
            raise click.UsageError("--from-export writes manifests: give --write-dir DIR")
        return _import_export(list(exports), write_dir, directory)
    if kind is None or not ids:
        raise click.UsageError("give KIND and at least one ID, or --from-export FILE")
    from reconciler import service
    from reconciler.model.desired import Kind

    chosen = Kind.ASSISTANT if kind == "assistant" else Kind.VECTOR_STORE
    with service.open_workspace(directory, target=target) as ws:
        results = service.import_objects(ws, chosen, list(ids), write_dir=write_dir)
    for item in results:
        if item.managed_as is not None:
            click.echo(
                sanitize(f"{item.platform_id} is already managed as {item.managed_as}: not imported again")
            )
            continue
        where = f" -> {item.written}" if item.written else ""
        note = f" ({item.note})" if item.note else ""
        click.echo(
            sanitize(
                f"imported {chosen.value}/{item.name or item.platform_id} [{item.platform_id}]{where}{note}"
            )
        )
    return int(ExitCode.OK)


def _import_export(exports: list[Path], write_dir: Path, directory: Path | None) -> int:
    from reconciler import service

    migration = service.import_export(exports, write_dir, directory=directory)
    for item in migration.written:
        note = f" ({item.note})" if item.note else ""
        line = f"imported {item.kind.value}/{item.name} [{item.platform_id}] from {item.where}"
        click.echo(sanitize(f"{line} -> {item.written}{note}"))
    for warning in migration.warnings:
        click.echo(sanitize(f"warning: {warning}"), err=True)
    for note in migration.notes:
        click.echo(sanitize(f"note: {note}"), err=True)
    if not migration.written:
        click.echo("nothing to import: the export holds no assistant or vector store", err=True)
    else:
        click.echo("next: reconcile validate, then reconcile plan (apply creates the objects)", err=True)
    return int(ExitCode.OK)
