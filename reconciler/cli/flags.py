"""Options several commands share, each with one meaning everywhere (Terraform's convention).

`--format` chooses what a command prints and `-json` is its shorthand; a file is written only by a flag
named for it (`plan -out FILE`, also spelled `--out`). `-o`, which meant a format in `validate` and a
file in `plan`, now means a format in both, deprecated with a warning on stderr: `plan -o json` prints
JSON instead of writing a file named `json`, and `plan -o FILE` is refused, pointing at `-out`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

TEXT = "text"
JSON = "json"

Command = Callable[..., int]

target_option = click.option(
    "--target", "-t", default=None, help="Target name from reconcile.yaml (default: defaultTarget)."
)

directory_option = click.option(
    "-C",
    "--directory",
    "directory",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="The project (default: the one holding the working directory).",
)


def output_format(*choices: str, legacy_o: bool = False, saves_to: str = "") -> Callable[[Command], Command]:
    """`--format CHOICE` and `-json`, handed to the command as `fmt` (default text). `legacy_o` also
    accepts the deprecated `-o`/`--output FORMAT`; `saves_to` names the flag that saves to a file, for
    the message when `-o` is given a file name."""

    def decorate(command: Command) -> Command:
        @functools.wraps(command)
        def wrapper(*args: Any, fmt: str | None, as_json: bool, legacy: str | None = None, **kw: Any) -> int:
            return command(*args, fmt=_chosen(fmt, as_json, legacy, choices, saves_to), **kw)

        options = [
            click.option(
                "--format",
                "fmt",
                type=click.Choice(choices),
                default=None,
                help=f"Output format (default: {TEXT}).",
            ),
            click.option("-json", "as_json", is_flag=True, help="Shorthand for --format json."),
        ]
        if legacy_o:
            options.append(click.option("-o", "--output", "legacy", default=None, hidden=True))
        decorated: Command = wrapper
        for option in reversed(options):
            decorated = option(decorated)
        return decorated

    return decorate


def _chosen(
    fmt: str | None, as_json: bool, legacy: str | None, choices: tuple[str, ...], saves_to: str
) -> str:
    if legacy is not None:
        if legacy not in choices:
            hint = f"; to save to a file use {saves_to} FILE" if saves_to else ""
            raise click.BadParameter(
                f"{legacy!r} is not a format (use {', '.join(choices)}): -o now means --format{hint}",
                param_hint="'-o'",
            )
        shorthand = " (or -json)" if legacy == JSON else ""
        click.echo(f"warning: -o/--output is deprecated; use --format {legacy}{shorthand}", err=True)
    named = {f for f in (fmt, JSON if as_json else None, legacy) if f is not None}
    if len(named) > 1:
        raise click.UsageError(f"give one output format, not {' and '.join(sorted(named))}")
    return named.pop() if named else TEXT
