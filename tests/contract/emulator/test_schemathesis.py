"""Schemathesis against the served emulator: generated requests, valid and invalid, checked against the spec.

One bounded run of the `st` command (a fixed seed, a cap on examples per operation and on the wall time)
against a real waitress server on 127.0.0.1. The checks that apply run; the ones the published spec cannot
support are switched off in `schemathesis.toml` beside this file, each with its reason. A failure prints
schemathesis's own report: each finding with a curl line that reproduces it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from reconciler.emulator import EmulatorConfig
from reconciler.emulator.server import EmulatorServer
from tests.contract.emulator.conftest import spec_path

pytestmark = [pytest.mark.server, pytest.mark.slow]

HERE = Path(__file__).resolve().parent
ADMIN_KEY = "sk-admin-schemathesis"
# Bounds: the run ends at whichever comes first. The seed makes a run that ends on examples repeatable.
MAX_SECONDS = int(os.environ.get("RECONCILER_SCHEMATHESIS_SECONDS", "75"))
MAX_EXAMPLES = 12
SEED = 20261207


@pytest.fixture
def served() -> Iterator[EmulatorServer]:
    server = EmulatorServer(EmulatorConfig(admin_keys=(ADMIN_KEY,))).start()
    try:
        yield server
    finally:
        server.close()


def _st() -> str:
    found = shutil.which("st", path=str(Path(sys.executable).parent))
    if found is None:
        pytest.fail("schemathesis is not installed (it is in the dev extra: pip install -e '.[dev]')")
    return found


def test_generated_requests_meet_the_spec(served: EmulatorServer, tmp_path: Path) -> None:
    spec = spec_path()
    if not spec.is_file():
        pytest.fail(f"the vendored OpenAPI spec is missing at {spec}")
    command = [
        _st(),
        "--config-file",
        str(HERE / "schemathesis.toml"),
        "run",
        str(spec),
        "--url",
        served.base_url,
        "--header",
        f"Authorization: Bearer {ADMIN_KEY}",
        "--seed",
        str(SEED),
        "--max-examples",
        str(MAX_EXAMPLES),
        "--max-time",
        str(MAX_SECONDS),
        "--workers",
        "1",
        "--generation-database",
        "none",
        "--request-timeout",
        "10",
        "--no-color",
    ]
    env = {**os.environ, "SCHEMATHESIS_HOOKS": ""}
    result = subprocess.run(
        command, capture_output=True, text=True, timeout=MAX_SECONDS + 120, cwd=tmp_path, env=env, check=False
    )
    assert result.returncode == 0, result.stdout[-20000:] + result.stderr[-4000:]
