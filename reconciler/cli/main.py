"""The `reconcile` entry point: the command group and the one place errors become exit codes and lines.

Commands return an int exit code (plan returns 2 for changes under --detailed-exitcode); everything that
goes wrong ends here as one line on stderr and exit 1, an unexpected exception too ("internal error").
Click's usage errors also exit 1, not click's 2, because 2 means "changes present" in our (and
Terraform's) convention.

The group finds its commands through `cli.commands`, which imports a command's module only when that
command is looked up, so a run imports what its own command needs and no more (`--version` loads neither
the SDK nor pydantic).

Everything the CLI writes passes through `reconciler.redact` here, once: stdout loses the secret values
this run read and anything shaped like a key; stderr (errors, `--debug` tracebacks, warnings) also loses
bearer tokens and passwords in URLs and DSNs. Error lines have control and bidi characters escaped.
"""

from __future__ import annotations

import gc
import io
import sys
import traceback
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import TextIO

import click

from reconciler import __version__, redact
from reconciler.cli.commands import LazyGroup
from reconciler.errors import ExitCode, ReconcilerError
from reconciler.render.escape import sanitize


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="reconcile")
@click.option("--debug", is_flag=True, help="Show tracebacks for errors.")
@click.pass_context
def cli(ctx: click.Context, debug: bool) -> None:
    """GitOps for OpenAI agents: validate, plan and apply manifests under manifests/."""
    ctx.meta["reconciler.debug"] = debug


class _Redacting(io.TextIOBase):
    """A text stream that scrubs each write before passing it on; everything else is the wrapped stream's.

    It has no `buffer`, so click writes through it rather than around it to the bytes underneath.
    """

    def __init__(self, stream: TextIO, scrub: Callable[[str], str]) -> None:
        super().__init__()
        self._stream = stream
        self._scrub = scrub

    def write(self, text: str) -> int:
        self._stream.write(self._scrub(text))
        return len(text)

    def flush(self) -> None:
        self._stream.flush()

    def isatty(self) -> bool:
        return self._stream.isatty()

    def fileno(self) -> int:
        return self._stream.fileno()

    def writable(self) -> bool:
        return True

    @property
    def encoding(self) -> str:  # type: ignore[override]  # io.TextIOBase declares it read-only
        return getattr(self._stream, "encoding", None) or "utf-8"

    @property
    def errors(self) -> str | None:  # type: ignore[override]
        return getattr(self._stream, "errors", None)


@contextmanager
def _redacted_output() -> Iterator[None]:
    out, err = sys.stdout, sys.stderr
    sys.stdout = _Redacting(out, redact.redact_secrets)
    sys.stderr = _Redacting(err, redact.redact)
    try:
        yield
    finally:
        sys.stdout, sys.stderr = out, err


def _error_line(text: str) -> None:
    """One line on stderr: whitespace folded, control and bidi characters escaped (redacted on the way)."""
    click.echo(f"error: {sanitize(' '.join(text.split()))}", err=True)


def _traceback() -> None:
    """The current exception's traceback, for --debug (sanitised; redacted on the way out)."""
    click.echo(sanitize(traceback.format_exc()), err=True, nl=False)


def _hoist_debug(args: list[str]) -> tuple[list[str], bool]:
    """`--debug` is global but may be written anywhere (`reconcile plan --debug`): every one before a
    `--` moves to the front, where the group's option takes it."""
    end = args.index("--") if "--" in args else len(args)
    if "--debug" not in args[:end]:
        return args, False
    rest = [a for a in args[:end] if a != "--debug"] + args[end:]
    return ["--debug", *rest], True


def run(argv: Sequence[str] | None = None) -> int:
    """Run the CLI and return its exit code (tests call this; `main` exits with it)."""
    args, debug = _hoist_debug(list(sys.argv[1:] if argv is None else argv))
    redact.clear()  # this run's secrets are registered as they are read
    with _redacted_output():
        try:
            result = cli.main(args=args, prog_name="reconcile", standalone_mode=False)
        except ReconcilerError as error:
            if debug:
                _traceback()
            for line in error.details():  # every problem with its file:line:col, as validate shows them
                click.echo(sanitize(line), err=True)
            _error_line(error.one_line())
            return int(error.exit_code)
        except click.exceptions.Exit as done:
            return int(done.exit_code)
        except click.ClickException as error:
            shown = io.StringIO()
            error.show(file=shown)
            click.echo(sanitize(shown.getvalue()), err=True, nl=False)
            return int(ExitCode.ERROR)
        except click.exceptions.Abort:
            click.echo("aborted", err=True)
            return int(ExitCode.ERROR)
        except Exception as error:  # a bug: still one line without --debug, never a bare traceback
            if debug:
                _traceback()
            detail = f"{type(error).__name__}: {error}"
            _error_line(f"internal error: {detail[:300]} (run with --debug for the traceback)")
            return int(ExitCode.ERROR)
    return result if isinstance(result, int) else int(ExitCode.OK)


# Collect young objects every 50,000 allocations instead of every 700, and older ones rarely: start-up
# (the SDK's and our pydantic models) and loading a project allocate hundreds of thousands of objects
# that all live until the run ends, and the default thresholds walk them again and again (0.25-0.35 s
# of a plan's start-up). A run's garbage is freed by reference counting; the few cycles wait a little.
GC_THRESHOLDS = (50_000, 20, 20)


def main() -> None:
    gc.set_threshold(*GC_THRESHOLDS)
    code = run()
    # The run is over. Leave what it loaded out of the collection the interpreter makes as it exits:
    # that walk over every class and schema the SDK and we imported took ~0.45 s of every command, and
    # freed nothing the operating system does not reclaim anyway. Files and the state store are closed
    # by then (every command closes what it opens), so no finaliser is owed a run.
    gc.freeze()
    sys.exit(code)


if __name__ == "__main__":
    # `python -m reconciler.cli.main`: run the module commands register on, not this `__main__` copy of it
    import importlib

    importlib.import_module("reconciler.cli.main").main()
