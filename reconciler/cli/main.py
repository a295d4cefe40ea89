"""The `reconcile` entry point: the command group and the one place errors become exit codes and lines.

Commands return an int exit code (plan returns 2 for changes under --detailed-exitcode); everything that
goes wrong ends here as one line on stderr and exit 1. Click's usage errors also exit 1, not click's 2,
because 2 means "changes present" in our (and Terraform's) convention.
"""

from __future__ import annotations

import sys
import traceback
from collections.abc import Sequence

import click

from reconciler import __version__
from reconciler.errors import ExitCode, ReconcilerError


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="reconcile")
@click.option("--debug", is_flag=True, help="Show tracebacks for errors.")
@click.pass_context
def cli(ctx: click.Context, debug: bool) -> None:
    """GitOps for OpenAI agents: validate, plan and apply manifests under manifests/."""
    ctx.meta["reconciler.debug"] = debug


def run(argv: Sequence[str] | None = None) -> int:
    """Run the CLI and return its exit code (tests call this; `main` exits with it)."""
    from reconciler.cli import commands  # noqa: F401  (registers every command on `cli`)

    args = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in args
    try:
        result = cli.main(args=args, prog_name="reconcile", standalone_mode=False)
    except ReconcilerError as error:
        if debug:
            traceback.print_exc()
        click.echo(f"error: {error.one_line()}", err=True)
        return int(error.exit_code)
    except click.exceptions.Exit as done:
        return int(done.exit_code)
    except click.ClickException as error:
        error.show()
        return int(ExitCode.ERROR)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        return int(ExitCode.ERROR)
    return result if isinstance(result, int) else int(ExitCode.OK)


def main() -> None:
    sys.exit(run())
