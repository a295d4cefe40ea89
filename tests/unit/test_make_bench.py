"""`make bench` runs every benchmark even after one misses, then names each verdict and fails (issue 13:
`|| exit 1` stopped at the first miss and hid every later figure)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="needs make")


def _bench(tmp_path: Path, scripts: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """`make bench` with the repository's Makefile in a scratch project holding `scripts` as benchmarks
    (and an install stamp newer than pyproject.toml, so nothing is installed)."""
    shutil.copy(REPO / "Makefile", tmp_path / "Makefile")
    (tmp_path / "pyproject.toml").write_text("")
    (tmp_path / ".venv" / "bin").mkdir(parents=True)
    (tmp_path / ".venv" / "bin" / "python").symlink_to(sys.executable)
    stamp = tmp_path / ".venv" / ".installed"
    stamp.write_text("")
    later = (tmp_path / "pyproject.toml").stat().st_mtime + 10
    os.utime(stamp, (later, later))
    (tmp_path / "benchmarks").mkdir()
    for name, text in scripts.items():
        (tmp_path / "benchmarks" / name).write_text(text)
    return subprocess.run(
        ["make", "--no-print-directory", "bench"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def _summary(out: str) -> list[list[str]]:
    return [line.split() for line in out.split("== summary\n", 1)[1].splitlines()]


def test_bench_runs_every_script_then_fails_naming_the_misses(tmp_path: Path) -> None:
    done = _bench(
        tmp_path,
        {
            "bench_a.py": "import sys\nprint('a: goal MISSED')\nsys.exit(1)\n",
            "bench_b.py": "raise SystemExit(2)\n",
            "bench_c.py": "print('c: goal MET')\n",
        },
    )
    assert done.returncode != 0
    assert "a: goal MISSED" in done.stdout
    assert "c: goal MET" in done.stdout  # ran after two scripts that did not meet their goals
    assert _summary(done.stdout) == [
        ["MISSED", "(exit", "1)", "benchmarks/bench_a.py"],
        ["MISSED", "(exit", "2)", "benchmarks/bench_b.py"],
        ["met", "benchmarks/bench_c.py"],
    ]


def test_bench_succeeds_when_every_goal_is_met(tmp_path: Path) -> None:
    done = _bench(tmp_path, {"bench_a.py": "print('a: goal MET')\n", "bench_b.py": "pass\n"})
    assert done.returncode == 0, done.stdout + done.stderr
    assert _summary(done.stdout) == [["met", "benchmarks/bench_a.py"], ["met", "benchmarks/bench_b.py"]]
