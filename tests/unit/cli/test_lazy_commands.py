"""The command table of `cli.commands` against what the command modules register: a command missing from
the table would vanish from `reconcile --help` and fail as unknown; a stale entry would list a command
that does not exist."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import click

from reconciler.cli.commands import COMMAND_MODULES, load_all
from reconciler.cli.main import cli


def test_every_registered_command_is_in_the_table_under_its_module() -> None:
    load_all()
    assert set(cli.commands) == set(COMMAND_MODULES)
    for name, command in cli.commands.items():
        assert command.callback is not None
        assert command.callback.__module__ == COMMAND_MODULES[name], name


def test_the_group_resolves_and_lists_every_name() -> None:
    ctx = click.Context(cli)
    assert cli.list_commands(ctx) == sorted(COMMAND_MODULES)
    for name in COMMAND_MODULES:
        command = cli.get_command(ctx, name)
        assert command is not None and command.name == name
    assert cli.get_command(ctx, "no-such-command") is None


def test_a_misspelled_command_is_answered_with_the_one_it_resembles(tmp_path: Path) -> None:
    # A fresh process: in this one, other tests have registered every command already.
    done = subprocess.run(
        [sys.executable, "-c", "import sys; from reconciler.cli.main import main; main()", "valdate"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[3])},
        check=False,
    )
    assert done.returncode == 1
    assert "No such command 'valdate'. Did you mean 'validate'?" in done.stderr
