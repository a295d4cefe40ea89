"""`reconcile schema`: print the manifests' JSON Schema (generated from the spec models) for editors."""

from __future__ import annotations

import click

from reconciler.cli.main import cli
from reconciler.errors import ExitCode


@cli.command()
def schema() -> int:
    """Print the JSON Schema of manifest documents (2020-12), e.g. for yaml-language-server."""
    from reconciler.manifest.schema_doc import manifest_schema_text  # the spec models: only when it runs

    click.echo(manifest_schema_text(), nl=False)
    return int(ExitCode.OK)
