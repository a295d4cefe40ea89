"""`reconcile emulator serve`: run the local OpenAI platform as an HTTP server for any OpenAI client."""

from __future__ import annotations

import sqlite3

import click

from reconciler.cli.main import cli
from reconciler.errors import ConfigError, ExitCode


@cli.group()
def emulator() -> None:
    """The local OpenAI-compatible platform (the `local` target's engine)."""


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
    "--ingestion-seconds", type=float, default=None, help="How long vector-store files stay in_progress."
)
@click.option(
    "--consistency-lag-seconds",
    type=float,
    default=None,
    help="How long a freshly attached vector-store file answers 404 to GET.",
)
def serve(
    host: str,
    port: int,
    db: str | None,
    faults: str | None,
    ingestion_seconds: float | None,
    consistency_lag_seconds: float | None,
) -> int:
    """Serve the emulator until Ctrl-C. Options override the EMULATOR_* environment variables."""
    # werkzeug and waitress: only for the command that serves.
    from reconciler.emulator import EmulatorConfig, FaultConfig
    from reconciler.emulator.server import EmulatorServer

    overrides: dict[str, object] = {}
    if db is not None:
        overrides["db_path"] = db
    if faults is not None:
        try:
            overrides["faults"] = FaultConfig.parse(faults)
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="--faults") from None
    if ingestion_seconds is not None:
        overrides["ingestion_seconds"] = ingestion_seconds
    if consistency_lag_seconds is not None:
        overrides["consistency_lag_seconds"] = consistency_lag_seconds
    try:
        config = EmulatorConfig.from_env(None, **overrides)
    except ValueError as exc:  # a malformed EMULATOR_* variable
        raise click.UsageError(str(exc)) from None
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
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        click.echo("stopped")
    finally:
        server.close()
    return int(ExitCode.OK)
