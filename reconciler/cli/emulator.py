"""`reconcile emulator serve`: run the local OpenAI platform as an HTTP server for any OpenAI client."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

import click

from reconciler.cli.main import cli
from reconciler.emulator.config import TIMINGS
from reconciler.errors import ConfigError, ExitCode


@cli.group()
def emulator() -> None:
    """The local OpenAI-compatible platform (the `local` target's engine)."""


# Help for each timing setting (EmulatorConfig's TIMINGS), shown as `--ingestion-seconds` and so on.
_TIMING_HELP = {
    "ingestion_seconds": "How long vector-store files stay in_progress.",
    "consistency_lag_seconds": "How long a freshly attached vector-store file answers 404 to GET.",
    "run_queued_seconds": "How long a run stays queued.",
    "run_in_progress_seconds": "How long each model step of a run stays in_progress.",
    "run_cancel_seconds": "How long a cancelling run takes to become cancelled.",
    "run_expires_seconds": "A run's lifetime before an unfinished run expires (default 600).",
}


def _timing_options(command: Callable[..., int]) -> Callable[..., int]:
    for name, variable in reversed(TIMINGS):
        kind = click.IntRange(min=1) if name == "run_expires_seconds" else click.FloatRange(min=0)
        command = click.option(
            "--" + name.replace("_", "-"),
            name,
            type=kind,
            default=None,
            help=f"{_TIMING_HELP[name]} Env: {variable}.",
        )(command)
    return command


@emulator.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to bind.")
@click.option("--port", default=8000, show_default=True, type=int, help="TCP port (0 picks a free one).")
@click.option("--db", "db", default=None, help="SQLite file that survives restarts (default: in memory).")
@click.option(
    "--faults",
    default=None,
    help="Fault injection, e.g. 'seed=1,latency_ms=50,error_rate=0.1,rpm=600' (see docs/emulator.md).",
)
@click.option(
    "--extra-model",
    "extra_models",
    multiple=True,
    help="Accept this model name besides the known ones (repeatable). Env: EMULATOR_EXTRA_MODELS.",
)
@_timing_options
def serve(
    host: str,
    port: int,
    db: str | None,
    faults: str | None,
    extra_models: tuple[str, ...],
    **timings: float | None,
) -> int:
    """Serve the emulator until Ctrl-C. Options override the EMULATOR_* environment variables."""
    # werkzeug and waitress: only for the command that serves.
    from reconciler.emulator import EmulatorConfig, FaultConfig
    from reconciler.emulator.server import EmulatorServer

    overrides: dict[str, object] = {k: v for k, v in timings.items() if v is not None}
    if db is not None:
        overrides["db_path"] = db
    if faults is not None:
        try:
            overrides["faults"] = FaultConfig.parse(faults)
        except ValueError as exc:
            raise ConfigError(f"--faults {faults!r}: {exc}") from None
    if extra_models:
        overrides["extra_models"] = extra_models
    try:
        config = EmulatorConfig.from_env(None, **overrides)
    except ValueError as exc:  # a malformed EMULATOR_* variable, or a value out of range
        raise ConfigError(f"emulator settings: {exc}") from None
    try:
        server = EmulatorServer(config, host=host, port=port)
    except (OSError, sqlite3.Error) as exc:  # a busy port, an unwritable --db
        raise ConfigError(
            f"cannot start the emulator on {host}:{port} with --db {db or ':memory:'}: {exc}"
        ) from exc
    click.echo(f"OpenAI emulator listening on {server.base_url}")
    click.echo(
        "Point a client at it: OPENAI_BASE_URL=" + server.base_url + " OPENAI_API_KEY=sk-local-emulator"
    )
    click.echo(f"faults: {config.faults.describe()}")
    timing = ", ".join(f"{name}={getattr(config, name):g}" for name, _ in TIMINGS)
    click.echo(f"timing: {timing}")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        click.echo("stopped")
    finally:
        server.close()
    return int(ExitCode.OK)
