"""Which modules a `reconcile` command loads: the command run in a fresh interpreter, as a user runs it.

Shared by the start-up tests (light commands load no SDK) and the no-op plan test (a plan with nothing
to change loads nothing only changes need).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

# The entry point's own code (`reconcile` is `reconciler.cli.main:main`), then the watched modules loaded.
_PROBE = """
import json, sys
from reconciler.cli.main import run
watched = json.loads(sys.argv[1])
code = run(sys.argv[2:])
print(json.dumps({"code": code, "loaded": [m for m in watched if m in sys.modules]}))
"""


@dataclass(frozen=True)
class Probed:
    code: int  # the command's exit code
    loaded: set[str]  # the watched modules present when it finished
    printed: str  # what it printed before the probe's own line


def probe(cwd: Path, watched: Iterable[str], *argv: str, timeout: float = 180) -> Probed:
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, json.dumps(sorted(watched)), *argv],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    *printed, last = done.stdout.splitlines()
    report = json.loads(last)
    return Probed(int(report["code"]), set(report["loaded"]), "\n".join(printed))
