"""Settings of one emulator instance: timing of ingestion, runs and consistency lag, keys, models, faults.

Every value is checked when the config is made: a bad one is a `ValueError` with a one-line message that
names the setting (and the `EMULATOR_*` variable it came from), never a Python conversion error.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field

from reconciler.emulator.faults import FaultConfig

# (field, variable): the timing settings, in seconds, each also an option of `reconcile emulator serve`.
TIMINGS = (
    ("ingestion_seconds", "EMULATOR_INGESTION_SECONDS"),
    ("consistency_lag_seconds", "EMULATOR_CONSISTENCY_LAG_SECONDS"),
    ("run_queued_seconds", "EMULATOR_RUN_QUEUED_SECONDS"),
    ("run_in_progress_seconds", "EMULATOR_RUN_IN_PROGRESS_SECONDS"),
    ("run_cancel_seconds", "EMULATOR_RUN_CANCEL_SECONDS"),
    ("run_expires_seconds", "EMULATOR_RUN_EXPIRES_SECONDS"),
)


@dataclass(frozen=True)
class EmulatorConfig:
    """How the emulated platform behaves. Defaults make a fast, fault-free platform for the `local` target.

    `admin_keys`: bearer keys accepted on `/organization/*`. Empty means any key that starts with
    `sk-admin` (the real admin keys' prefix) or the literal local key is accepted.
    `extra_models`: model names accepted besides the known list (`catalog`).
    """

    db_path: str = ":memory:"
    ingestion_seconds: float = 0.0
    consistency_lag_seconds: float = 0.0
    admin_keys: tuple[str, ...] = ()
    project_id: str = "proj_local"
    organization_id: str = "org_local"
    faults: FaultConfig = field(default_factory=FaultConfig)
    extra_models: tuple[str, ...] = ()
    # Runs (resources/runs.py): seconds queued, seconds in progress per model step, seconds a cancel
    # takes, and the run's lifetime before a non-terminal run expires (the platform's is 10 minutes).
    run_queued_seconds: float = 0.0
    run_in_progress_seconds: float = 0.0
    run_cancel_seconds: float = 0.0
    run_expires_seconds: int = 600

    def __post_init__(self) -> None:
        for name, _ in TIMINGS:
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ValueError(f"{name} must be a number of seconds, not {value!r}")
            if not math.isfinite(value) or value < 0:
                raise ValueError(f"{name} must be a finite number of seconds >= 0, not {value}")
        if self.run_expires_seconds < 1 or not isinstance(self.run_expires_seconds, int):
            raise ValueError(
                f"run_expires_seconds must be a whole number >= 1, not {self.run_expires_seconds}"
            )

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None, **overrides: object) -> EmulatorConfig:
        """Read `EMULATOR_*` variables (documented in docs/emulator.md) under explicit overrides."""
        env = dict(os.environ if environ is None else environ)
        values: dict[str, object] = {}
        if "EMULATOR_DB" in env:
            values["db_path"] = env["EMULATOR_DB"]
        for name, variable in TIMINGS:
            if variable in env:
                values[name] = _seconds(env[variable], variable, whole=name == "run_expires_seconds")
        if "EMULATOR_ADMIN_KEYS" in env:
            values["admin_keys"] = tuple(k for k in env["EMULATOR_ADMIN_KEYS"].split(",") if k)
        if "EMULATOR_EXTRA_MODELS" in env:
            names = env["EMULATOR_EXTRA_MODELS"].split(",")
            values["extra_models"] = tuple(m.strip() for m in names if m.strip())
        if "EMULATOR_FAULTS" in env:
            try:
                values["faults"] = FaultConfig.parse(env["EMULATOR_FAULTS"])
            except ValueError as exc:
                raise ValueError(f"EMULATOR_FAULTS: {exc}") from None
        values.update(overrides)
        return cls(**values)  # type: ignore[arg-type]


def _seconds(text: str, variable: str, *, whole: bool) -> float | int:
    try:
        return int(text) if whole else float(text)
    except ValueError:
        kind = "a whole number of seconds" if whole else "a number of seconds"
        raise ValueError(f"{variable}: expected {kind}, got {text!r}") from None
