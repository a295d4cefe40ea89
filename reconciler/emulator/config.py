"""Settings of one emulator instance: timing of ingestion, consistency lag, keys, faults, seed."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from reconciler.emulator.faults import FaultConfig


@dataclass(frozen=True)
class EmulatorConfig:
    """How the emulated platform behaves. Defaults make a fast, fault-free platform for the `local` target.

    `admin_keys`: bearer keys accepted on `/organization/*`. Empty means any key that starts with
    `sk-admin` (the real admin keys' prefix) or the literal local key is accepted.
    """

    db_path: str = ":memory:"
    ingestion_seconds: float = 0.0
    consistency_lag_seconds: float = 0.0
    admin_keys: tuple[str, ...] = ()
    project_id: str = "proj_local"
    organization_id: str = "org_local"
    faults: FaultConfig = field(default_factory=FaultConfig)
    # Runs (resources/runs.py): seconds queued, seconds in progress per model step, seconds a cancel
    # takes, and the run's lifetime before a non-terminal run expires (the platform's is 10 minutes).
    run_queued_seconds: float = 0.0
    run_in_progress_seconds: float = 0.0
    run_cancel_seconds: float = 0.0
    run_expires_seconds: int = 600

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None, **overrides: object) -> EmulatorConfig:
        """Read `EMULATOR_*` variables (documented in the README) under explicit overrides."""
        env = dict(os.environ if environ is None else environ)
        values: dict[str, object] = {}
        if "EMULATOR_DB" in env:
            values["db_path"] = env["EMULATOR_DB"]
        if "EMULATOR_INGESTION_SECONDS" in env:
            values["ingestion_seconds"] = float(env["EMULATOR_INGESTION_SECONDS"])
        if "EMULATOR_CONSISTENCY_LAG_SECONDS" in env:
            values["consistency_lag_seconds"] = float(env["EMULATOR_CONSISTENCY_LAG_SECONDS"])
        if "EMULATOR_ADMIN_KEYS" in env:
            values["admin_keys"] = tuple(k for k in env["EMULATOR_ADMIN_KEYS"].split(",") if k)
        if "EMULATOR_FAULTS" in env:
            values["faults"] = FaultConfig.parse(env["EMULATOR_FAULTS"])
        values.update(overrides)
        return cls(**values)  # type: ignore[arg-type]
