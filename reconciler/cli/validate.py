"""`reconcile validate [DIR]`: every problem in the project's manifests, one per line; exit 0 valid, 1 not.

A DIR inside the manifests still validates the whole project, and shows all of its problems: references
cross files, and a subtree that is fine alone can still break the project that plan and apply read.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import click

from reconciler.cli.flags import JSON, output_format, target_option
from reconciler.cli.main import cli
from reconciler.errors import ExitCode
from reconciler.render.escape import sanitize
from reconciler.words import count


def _as_of(_ctx: click.Context, _param: click.Parameter, value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as error:
        raise click.BadParameter(f"{value!r} is not a date (YYYY-MM-DD)") from error


@cli.command()
@click.argument("directory", required=False, type=click.Path(path_type=Path))
@click.option("--strict", is_flag=True, help="Treat lint warnings as errors.")
@output_format("text", "json", legacy_o=True)
@click.option(
    "--as-of", "as_of", callback=_as_of, metavar="DATE", help="Judge model deprecations as of DATE."
)
@target_option
def validate(directory: Path | None, strict: bool, fmt: str, as_of: date | None, target: str | None) -> int:
    """Check the whole project containing DIRECTORY (default: the current directory), no platform call.
    With --target, also check that reconcile.yaml declares that target."""
    from reconciler.manifest import validate_project  # pydantic, YAML and jsonschema: only when it runs

    report = validate_project(directory, strict=strict, as_of=as_of, target=target)
    if report.narrowed:
        click.echo(
            f"note: {directory} is part of the project at {report.config.root}; "
            "validated the whole project, every file included",
            err=True,
        )
    if fmt == JSON:
        payload = {
            "valid": report.ok,
            "root": str(report.config.root),
            "files": report.files,
            "documents": report.documents,
            "problems": [
                {
                    "file": p.location.file,
                    "line": p.location.line,
                    "column": p.location.column,
                    "severity": p.severity.value,
                    "code": p.code,
                    "message": p.message,
                }
                for p in report.problems
            ],
        }
        click.echo(json.dumps(payload, indent=2))
    else:
        for problem in report.problems:
            click.echo(sanitize(str(problem)))  # messages quote manifest text: no raw control/bidi chars
        verdict = "valid" if report.ok else "invalid"
        click.echo(
            f"{verdict}: {count(report.documents, 'document')} in {count(report.files, 'file')}, "
            f"{count(len(report.errors), 'error')}, {count(len(report.warnings), 'warning')}"
        )
    return int(ExitCode.OK if report.ok else ExitCode.ERROR)
