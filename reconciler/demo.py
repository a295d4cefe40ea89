"""`make demo`: the main job on the embedded local platform, as a user would run it from the shell:
validate -> plan -> apply -> plan (which then shows "No changes")."""

from __future__ import annotations

import sys

from reconciler.cli.main import run

STEPS: list[list[str]] = [
    ["validate", "--strict", "manifests/"],
    ["plan", "."],
    ["apply", ".", "--auto-approve"],
    ["plan", ".", "--detailed-exitcode"],
]


def main() -> int:
    for step in STEPS:
        print(f"\n$ reconcile {' '.join(step)}", flush=True)  # noqa: T201
        code = run(step)
        if code != 0:
            print(f"(exit {code})", flush=True)  # noqa: T201
            return code
    return 0


if __name__ == "__main__":
    sys.exit(main())
