"""`python -m reconciler ...`: the `reconcile` command, for an environment whose scripts are not on PATH."""

from reconciler.cli.main import main

main()
