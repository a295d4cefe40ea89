"""The base of every manifest spec model and the patterns several specs share: one place, so that the
assistant's specs (`specs.py`) and the rollout's (`rollout_specs.py`) can both use them without importing
each other."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel

API_VERSION = "reconciler.dev/v1"
NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"
FUNCTION_NAME_PATTERN = r"^[a-zA-Z0-9_-]{1,64}$"
PAUSE_PATTERN = r"^(indefinite|[1-9][0-9]*[smhd])$"


class Spec(BaseModel):
    # strict: a quoted "0.5" is not a number and 1 is not a string; YAML users get told, not coerced.
    model_config = ConfigDict(frozen=True, extra="forbid", strict=True, alias_generator=to_camel)
