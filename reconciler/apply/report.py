"""What an apply did, step by step, for rendering and exit codes."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Outcome(StrEnum):
    DONE = "done"
    SKIPPED = "skipped"  # already done by an earlier, interrupted run of the same plan
    FAILED = "failed"
    PLANNED = "planned"  # dry run: what would have been done


@dataclass(frozen=True)
class StepResult:
    address: str
    action: str
    outcome: Outcome
    platform_id: str | None = None
    error: str | None = None
    note: str | None = None


@dataclass
class ApplyReport:
    plan_id: str
    apply_id: str | None
    steps: list[StepResult] = field(default_factory=list)
    retries: int = 0
    dry_run: bool = False

    @property
    def failed(self) -> list[StepResult]:
        return [s for s in self.steps if s.outcome is Outcome.FAILED]

    @property
    def ok(self) -> bool:
        return not self.failed

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for step in self.steps:
            if step.outcome in (Outcome.DONE, Outcome.PLANNED):
                out[step.action] = out.get(step.action, 0) + 1
        return out
