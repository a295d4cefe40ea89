"""`make demo`: the main job on the embedded local platform, as a user would run it from the shell."""

from __future__ import annotations

import sys

from reconciler.cli.main import run

STEPS: list[list[str]] = [
    ["validate", "--strict", "manifests/"],
]


def main() -> int:
    for step in STEPS:
        print(f"$ reconcile {' '.join(step)}", flush=True)  # noqa: T201
        code = run(step)
        if code not in (0, 2):
            return code
    return 0


if __name__ == "__main__":
    sys.exit(main())
