"""Which module defines each top-level command, and the group that imports a command's module only when
that command is looked up.

Start-up time is import time: `reconcile --version` should not pay for `plan`'s SDK, nor `validate` for the
emulator's web server. A command module registers its commands on `cli` when imported (`@cli.command`);
the group imports it the first time one of its names is asked for (to run it, or to list it in `--help`).
Command modules keep their own top-level imports light (click and the standard library) and import the
service, renderers and clients inside the functions that use them, so `--help` can import every one.
"""

from __future__ import annotations

import importlib

import click

# Every top-level command and group, by name; `tests/unit/cli/test_lazy_commands.py` checks the table
# against what the modules register.
COMMAND_MODULES: dict[str, str] = {
    "apply": "reconciler.cli.plan",
    "ci": "reconciler.cli.ci_commands",
    "conversations": "reconciler.cli.conversation_commands",
    "costs": "reconciler.cli.cost_commands",
    "drift": "reconciler.cli.plan",
    "emulator": "reconciler.cli.emulator",
    "gc": "reconciler.cli.release_commands",
    "import": "reconciler.cli.plan",
    "plan": "reconciler.cli.plan",
    "promote": "reconciler.cli.release_commands",
    "resolve": "reconciler.cli.release_commands",
    "rollback": "reconciler.cli.release_commands",
    "rollout": "reconciler.cli.rollout_commands",
    "schema": "reconciler.cli.schema",
    "start": "reconciler.cli.release_commands",
    "state": "reconciler.cli.plan",
    "stop": "reconciler.cli.release_commands",
    "validate": "reconciler.cli.validate",
    "versions": "reconciler.cli.release_commands",
}


class LazyGroup(click.Group):
    """A click group whose commands register themselves when `COMMAND_MODULES` names their module."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(super().list_commands(ctx)) | COMMAND_MODULES.keys())

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands:
            module = COMMAND_MODULES.get(cmd_name)
            if module is not None:
                importlib.import_module(module)  # registers its commands on this group
            else:
                load_all()  # an unknown name: click suggests the registered command it resembles
        return super().get_command(ctx, cmd_name)


def load_all() -> None:
    """Import every command module, so the group holds every command."""
    for module in sorted(set(COMMAND_MODULES.values())):
        importlib.import_module(module)
