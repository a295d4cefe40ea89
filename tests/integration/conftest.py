from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from reconciler.emulator import EmulatorApp, EmulatorConfig
from tests.contract.store.conftest import pg_admin_url, pg_schema_dsn  # noqa: F401  (PostgreSQL states)
from tests.integration.support import make_project


@pytest.fixture
def app() -> Iterator[EmulatorApp]:
    """A fault-free emulator, in memory."""
    emulator = EmulatorApp(EmulatorConfig())
    yield emulator
    emulator.close()


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """The example project (without spend controls) in tmp_path."""
    return make_project(tmp_path / "project")
