"""`make demo`: the main job on the embedded local platform, as a user would run it from the shell:
validate -> plan -> apply -> plan (which then shows "No changes"), then the example application
(`examples/chat_app.py`) holds one conversation through `reconciler.runtime` on what was applied, and
last, canary rollouts with traffic from that application (`demo_canary`)."""

from __future__ import annotations

import runpy
import sys
from pathlib import Path

from reconciler.cli.main import run

EXAMPLE_APP = Path("examples") / "chat_app.py"

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
    if EXAMPLE_APP.is_file():  # the demo runs from a checkout; an installed package has no examples/
        print(f"\n$ python {EXAMPLE_APP.as_posix()}", flush=True)  # noqa: T201
        app = runpy.run_path(str(EXAMPLE_APP))
        code = int(app["main"]([]))
        if code != 0:
            return code
        from reconciler import demo_canary

        return demo_canary.main()
    return 0


if __name__ == "__main__":
    sys.exit(main())
