"""What a conversation migration reports, as data shared by the service that builds it and the renderers
that draw it: the dry run's findings (`MigrationPlan`), a migration's progress (`StatusReport`) and the
end of a run (`RunResult`)."""

from __future__ import annotations

from dataclasses import dataclass

from reconciler.model.moves import MigrationProgress

__all__ = ["MigrationPlan", "RunResult", "Sample", "StatusReport"]


@dataclass(frozen=True)
class StatusReport:
    progress: MigrationProgress
    per_second: float  # conversations settled per second over the last minute
    eta_seconds: float | None  # None: nothing settled lately, or nothing left
    failures: tuple[tuple[str, str], ...]  # (conversation, why), the first few
    waiting: str = ""  # what the run waits for (a rollout's weight), for a person


@dataclass(frozen=True)
class RunResult:
    status: StatusReport
    workflow_errors: tuple[str, ...]  # "conversation: error" of those left pending after a platform error
    held_elsewhere: tuple[tuple[str, int], ...] = ()  # (worker, conversations) the run stopped waiting for
    interrupted: bool = False  # stopped by a signal: what is left resumes on the next run


@dataclass(frozen=True)
class Sample:
    conversation: str
    item: int  # index in the conversation, from 0
    tool: str
    before: str  # the arguments as sent under the old version
    after: str  # as the copy will hold them


@dataclass(frozen=True)
class MigrationPlan:
    assistant: str
    to_version: int
    flavour: str
    counts: dict[int, int]  # from version -> conversations covered
    paths: dict[int, dict[str, str]]  # from version -> tool -> how its calls change ("r1 -> r2: 3 steps")
    read: int  # conversations read
    function_calls: int  # function_call items seen
    changed_calls: int  # of which the upcast changed the arguments
    samples: tuple[Sample, ...]
    failures: tuple[tuple[str, str], ...]  # (conversation, why): first MAX_FAILURES_KEPT
    failed: int  # conversations that would fail
    gone: int  # conversations no longer on the platform (a run skips them)
    notes: tuple[str, ...] = ()  # what `run` will want (--follow-rollout under a canary)

    @property
    def total(self) -> int:
        return sum(self.counts.values())
