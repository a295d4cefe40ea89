"""OpenAI's model deprecations as data: which model shuts down soon, or has shut down, on a given day.

The list is `data/model-deprecations.json`, compiled by hand from OpenAI's deprecations page (its
`source`) and dated in its `compiled` field; `reconcile validate --as-of DATE` asks about another day.

The rule lint applies: a model announced as deprecated whose shutdown falls within `HORIZON_MONTHS`
calendar months of the day asked about (that day plus six months included) is *soon*: a warning, so
`--strict` fails on it. A model on or past its shutdown day is *shut down*: an error, strict or not, as
the platform refuses it. A deprecated model further out than the horizon is not reported: OpenAI gives
generally available models at least six months' notice, so the horizon is the notice it promises.
"""

from __future__ import annotations

import calendar
import json
from dataclasses import dataclass
from datetime import date
from functools import cache
from importlib import resources

HORIZON_MONTHS = 6
SOON = "lint.model-deprecated"
SHUT_DOWN = "lint.model-shut-down"


@dataclass(frozen=True)
class Deprecation:
    model: str
    deprecated: date
    shutdown: date
    replacement: str


@dataclass(frozen=True)
class DeprecationList:
    compiled: date
    source: str
    models: dict[str, Deprecation]


@dataclass(frozen=True)
class Verdict:
    """What lint says about one model on one day. `shut_down` verdicts are errors, the others warnings."""

    code: str
    message: str
    shut_down: bool


@cache
def load() -> DeprecationList:
    raw = json.loads(
        resources.files("reconciler.manifest").joinpath("data/model-deprecations.json").read_text("utf-8")
    )
    models = {
        item["model"]: Deprecation(
            item["model"],
            date.fromisoformat(item["deprecated"]),
            date.fromisoformat(item["shutdown"]),
            item["replacement"],
        )
        for item in raw["models"]
    }
    return DeprecationList(date.fromisoformat(raw["compiled"]), raw["source"], models)


def add_months(day: date, months: int) -> date:
    """`day` moved by whole calendar months; the 31st of a shorter month becomes its last day."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def status(model: str, as_of: date) -> Verdict | None:
    """The verdict on `model` on `as_of`, or None when it is not known to shut down within the horizon.

    A deprecation announced after `as_of` is not held against that day: `--as-of` answers what lint
    said then."""
    entry = load().models.get(model)
    if entry is None or as_of < entry.deprecated:
        return None
    if as_of >= entry.shutdown:
        message = f"model {model!r} was shut down on {entry.shutdown.isoformat()}; use {entry.replacement!r}"
        return Verdict(SHUT_DOWN, message, shut_down=True)
    if entry.shutdown > add_months(as_of, HORIZON_MONTHS):
        return None
    days = (entry.shutdown - as_of).days
    message = (
        f"model {model!r} is deprecated and shuts down on {entry.shutdown.isoformat()} "
        f"(in {days} day{'' if days == 1 else 's'}); use {entry.replacement!r}"
    )
    return Verdict(SOON, message, shut_down=False)
