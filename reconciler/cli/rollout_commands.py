"""`reconcile rollout status|promote|abort|retry|pause|resume|step|watch`: the canary, as Argo Rollouts'
kubectl plugin has it. The verbs and `status` open the state store alone (`service.canary_verbs`);
`step` and `watch` run the controller (`service.canary`) and open the target only to run smoke checks.
"""

from __future__ import annotations

import math
import time
from pathlib import Path

import click

from reconciler.cli.flags import JSON, directory_option, output_format, target_option
from reconciler.cli.main import cli
from reconciler.errors import ExitCode

_directory = directory_option
_DONE = {
    "promote": "promoted",
    "abort": "aborted",
    "retry": "retried",
    "pause": "paused",
    "resume": "resumed",
}
_reason = click.option("--reason", default="", help="Why; recorded in the rollout's history.")


@cli.group("rollout")
def rollout_group() -> None:
    """Canary rollouts: status, the operator's verbs, and the controller (`step`, `watch`)."""


@rollout_group.command("status")
@click.argument("name")
@_directory
@target_option
@output_format("text", "json")
def status_command(name: str, directory: Path | None, target: str | None, fmt: str) -> int:
    """NAME's rollout: steps, weight, analysis results, conversations per version, history."""
    from reconciler import service
    from reconciler.render import rollouts as render

    with service.open_release_state(directory, target=target) as state:
        view = service.rollout_status(state, name)
    draw = render.status_json if fmt == JSON else render.status_text
    click.echo(draw(view))
    return int(ExitCode.OK)


def _verb(
    name: str, directory: Path | None, target: str | None, verb: str, reason: str, full: bool = False
) -> int:
    from reconciler import service
    from reconciler.render import rollouts as render

    with service.open_release_state(directory, target=target) as state:
        record = service.act_on_rollout(state, name, verb, reason=reason, full=full)  # type: ignore[arg-type]
    done = {
        "promote": "promoted",
        "abort": "aborted",
        "retry": "retried",
        "pause": "paused",
        "resume": "resumed",
    }
    click.echo(render.progress_line(record, (), done[verb], time.time()))
    return int(ExitCode.OK)


@rollout_group.command("promote")
@click.argument("name")
@_directory
@target_option
@click.option("--full", is_flag=True, help="Skip every remaining step: stable moves to the canary now.")
@_reason
def promote_command(name: str, directory: Path | None, target: str | None, full: bool, reason: str) -> int:
    """Skip the current step (a pause, analysis or smoke step), or with --full every step left."""
    return _verb(name, directory, target, "promote", reason, full)


@rollout_group.command("abort")
@click.argument("name")
@_directory
@target_option
@_reason
def abort_command(name: str, directory: Path | None, target: str | None, reason: str) -> int:
    """New conversations go to stable now; the canary's stay or move back, as `onAbort` says."""
    return _verb(name, directory, target, "abort", reason)


@rollout_group.command("retry")
@click.argument("name")
@_directory
@target_option
@_reason
def retry_command(name: str, directory: Path | None, target: str | None, reason: str) -> int:
    """Start an aborted rollout again from its first step."""
    return _verb(name, directory, target, "retry", reason)


@rollout_group.command("pause")
@click.argument("name")
@_directory
@target_option
@_reason
def pause_command(name: str, directory: Path | None, target: str | None, reason: str) -> int:
    """Hold the rollout at its step (traffic stays as it is) until `resume`."""
    return _verb(name, directory, target, "pause", reason)


@rollout_group.command("resume")
@click.argument("name")
@_directory
@target_option
@_reason
def resume_command(name: str, directory: Path | None, target: str | None, reason: str) -> int:
    """Go on from a pause (an operator's, or inconclusive analysis): the current step starts again."""
    return _verb(name, directory, target, "resume", reason)


@rollout_group.command("step")
@click.argument("name", required=False)
@_directory
@target_option
def step_command(name: str | None, directory: Path | None, target: str | None) -> int:
    """Advance whatever is due, once (idempotent: for a cron job or a CI schedule). Exit 1 when this step
    aborted a rollout."""
    from reconciler import service
    from reconciler.render import rollouts as render

    with (
        service.open_release_state(directory, target=target) as state,
        service.SmokeOnTarget(directory, target=target) as smoke,
    ):
        progress = service.step_rollouts(state, [name] if name else None, smoke=smoke)
    now = time.time()
    for p in progress:
        click.echo(render.progress_line(p.record, p.moves, p.waiting, now))
    if not progress:
        click.echo("No rollout in progress.")
    # A cron job or CI schedule that runs the step should fail loudly on the run that aborted a canary.
    aborted = any(p.record.status.value == "aborted" for p in progress)
    return int(ExitCode.ERROR) if aborted else int(ExitCode.OK)


def _finite(ctx: click.Context, param: click.Parameter, value: float) -> float:
    if not math.isfinite(value):
        raise click.BadParameter("a number of seconds", ctx, param)
    return value


@rollout_group.command("watch")
@click.argument("name", required=False)
@_directory
@target_option
@click.option(
    "--timeout",
    type=click.FloatRange(min=0, min_open=True, max=30 * 86_400.0),
    default=6 * 3600.0,
    show_default=True,
    help="Give up after SECONDS (at most 30 days).",
    callback=_finite,
)
def watch_command(name: str | None, directory: Path | None, target: str | None, timeout: float) -> int:
    """The controller loop: step until every rollout watched has ended, printing each move."""
    from reconciler import service
    from reconciler.render import rollouts as render

    def report(progress: list[service.Progress]) -> None:
        now = time.time()
        for p in progress:
            if p.moves or p.waiting != seen.get(p.record.id):
                click.echo(render.progress_line(p.record, p.moves, p.waiting, now))
                seen[p.record.id] = p.waiting

    seen: dict[str, str] = {}
    with (
        service.open_release_state(directory, target=target) as state,
        service.SmokeOnTarget(directory, target=target) as smoke,
    ):
        last = service.watch_rollouts(
            state, [name] if name else None, smoke=smoke, report=report, timeout=timeout
        )
        ended = service.latest_aborted(state, name) if not last and name else None
    if ended is not None:  # a CI gate watching NAME must not pass on a canary that was aborted earlier
        click.echo(
            f"No rollout in progress; the latest rollout of {name}, of version {ended.canary_version}, "
            f"was aborted: {ended.message}"
        )
        return int(ExitCode.ERROR)
    if not last:
        click.echo("No rollout in progress.")
        return int(ExitCode.OK)
    if any(p.record.status.active for p in last):
        click.echo(f"Still in progress after {timeout:g} s; `reconcile rollout watch` again to go on.")
        return int(ExitCode.ERROR)
    aborted = [p for p in last if p.record.status.value == "aborted"]
    return int(ExitCode.ERROR) if aborted else int(ExitCode.OK)
