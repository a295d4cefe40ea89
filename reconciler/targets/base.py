"""The Target protocol: a platform as a table of per-kind handlers (`targets.handlers`) and one read.

Specs are the neutral dicts of `model.specs`; references arrive already resolved to platform ids.
`versions_on_platform` tells whether an assistant version is a platform object (Assistants v2) or a
release bundle kept in our store (the Responses-era platform), so the planner never needs to know which.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from threading import Lock
from typing import Protocol

from reconciler.model.desired import Kind
from reconciler.model.live import LiveState
from reconciler.model.spend import CostBucket, CostQuery
from reconciler.targets.handlers import HandlerTable
from reconciler.targets.smoke_transcript import SmokeCalls
from reconciler.targets.tuning import PageSink, ReadRunner, ReadTuning, run_once

__all__ = ["CostsSource", "PageSink", "ReadRunner", "ReadTuning", "RequestStats", "Target", "run_once"]


class CostsSource(Protocol):
    """The Admin API's costs endpoint of a target (`targets.admin_costs.CostReader`)."""

    def check(self) -> None:
        """Fail now, in one line, when the costs cannot be read (no admin key)."""
        ...

    def read(self, query: CostQuery, run: ReadRunner = run_once) -> tuple[CostBucket, ...]: ...


@dataclass
class RequestStats:
    """Counts HTTP requests a target sent (benchmarks compare them with the minimum possible)."""

    requests: int = 0
    by_route: dict[str, int] = field(default_factory=dict)
    _lock: Lock = field(default_factory=Lock, repr=False)

    def count(self, method: str, path: str) -> None:
        with self._lock:
            self.requests += 1
            key = f"{method} {path}"
            self.by_route[key] = self.by_route.get(key, 0) + 1


class Target(Protocol):
    name: str
    versions_on_platform: bool
    stats: RequestStats
    handlers: HandlerTable  # the kinds this target supports, and how each is read and written

    def read(self, kinds: Collection[Kind], tuning: ReadTuning | None = None) -> LiveState:
        """One read of every kind asked for (vector stores with the files of the ones we manage; uploads
        only when `Kind.FILE` is asked for). `tuning` (`targets.tuning`) runs each listing and may make
        the read faster; it never changes what the read returns."""
        ...

    @property
    def smoke(self) -> SmokeCalls | None:
        """Runs smoke conversations against a version before it gets traffic (`rollout.smoke`); None for a
        target that cannot (`rollout.smoke.run_smoke` refuses it in one line)."""
        ...

    @property
    def costs(self) -> CostsSource | None:
        """The platform's actual spend (`reconcile costs`); None for a target that reports none."""
        ...

    def close(self) -> None: ...
