"""The base of every manifest spec model and the patterns several specs share: one place, so that the
assistant's specs (`specs.py`) and the rollout's (`rollout_specs.py`) can both use them without importing
each other."""

from __future__ import annotations

import math
from decimal import Decimal

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel

API_VERSION = "reconciler.dev/v1"
NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"
FUNCTION_NAME_PATTERN = r"^[a-zA-Z0-9_-]{1,64}$"
PAUSE_PATTERN = r"^(indefinite|[1-9][0-9]*[smhd])$"


class Spec(BaseModel):
    # strict: a quoted "0.5" is not a number and 1 is not a string; YAML users get told, not coerced.
    model_config = ConfigDict(frozen=True, extra="forbid", strict=True, alias_generator=to_camel)


# A bound far above any budget, so that the amount in cents always fits the platform's 64-bit integers.
MAX_USD = 1_000_000_000_000


def money(value: float) -> float:
    """Dollars must be positive and whole cents: the Admin API counts cents."""
    if not math.isfinite(value):
        raise ValueError("must be a finite number")
    if value <= 0:
        raise ValueError("must be greater than 0")
    if value > MAX_USD:
        raise ValueError(f"must be at most {MAX_USD:,}")
    if Decimal(repr(float(value))).as_tuple().exponent < -2:  # type: ignore[operator]
        raise ValueError(f"{value!r} has more precision than a cent")
    return value
