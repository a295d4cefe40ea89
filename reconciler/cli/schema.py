"""`reconcile schema`: print the manifests' JSON Schema (generated from the spec models) for editors.

The schema is the same for every target; `--target` is accepted, as by every command, and then must name
a target of the project containing the working directory.
"""

from __future__ import annotations

import click

from reconciler.cli.flags import target_option
from reconciler.cli.main import cli
from reconciler.errors import ExitCode


@cli.command()
@target_option
def schema(target: str | None) -> int:
    """Print the JSON Schema of manifest documents (2020-12), e.g. for yaml-language-server."""
    from reconciler.manifest.project import project_config
    from reconciler.manifest.schema_doc import manifest_schema_text  # the spec models: only when it runs

    if target is not None:
        project_config(None).target(target)  # the same for every target: only the name is checked
    click.echo(manifest_schema_text(), nl=False)
    return int(ExitCode.OK)
