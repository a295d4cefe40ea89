"""Walking the apply's dependency graph (`apply.graph`) with `graphlib.TopologicalSorter`: every change
whose dependencies are done and written down starts at once on the worker pool (admin calls still wait
for the Pacer), so independent work overlaps and one failure skips only what depends on it.

The main thread only schedules and writes. Finished steps are written in groups (`apply.commits`): a
group is committed as soon as a step of it is what a waiting step needs, when the pool has nothing else
running, or when it is large or old enough, so a crash loses little and the store sees few statements.
"""

from __future__ import annotations

import contextlib
import queue
import time
from collections.abc import Callable, Hashable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from graphlib import TopologicalSorter

from reconciler.apply.attachment_steps import IngestionFailed
from reconciler.apply.commits import Finished, Journal
from reconciler.apply.graph import Graph
from reconciler.apply.outputs import StepOutput
from reconciler.apply.report import ApplyReport, Outcome, StepResult
from reconciler.apply.steps import Steps
from reconciler.apply.uploads import upload_detail
from reconciler.calls.retry import Retrier
from reconciler.errors import LeaseLost, PlatformError, ReconcilerError, StalePlan
from reconciler.model.desired import Kind
from reconciler.plan.definition import ResourceChange

__all__ = ["Walk"]

Node = Hashable

# A group of finished steps nobody waits for is written when it reaches this size or age: bounds what a
# crash replays, and keeps the statements per step low.
BATCH_STEPS = 256
BATCH_SECONDS = 0.5

_STEP_ERRORS = (PlatformError, IngestionFailed, StalePlan)


class Walk:
    def __init__(
        self,
        graph: Graph,
        steps: Steps,
        journal: Journal,
        retrier: Retrier,
        *,
        concurrency: int,
        done_before: Mapping[str, object],
        report: ApplyReport,
        tell: Callable[[ApplyReport, StepResult], None],
    ) -> None:
        self.graph = graph
        self.steps = steps
        self.journal = journal
        self.retrier = retrier
        self.concurrency = concurrency
        self.done_before = done_before
        self.report = report
        self.tell = tell
        self.sorter: TopologicalSorter[Node] = TopologicalSorter(graph.needs)
        self.dependents = graph.dependents()
        self.waiting_on = {node: len(needs) for node, needs in graph.needs.items()}
        self.blocked: dict[Node, str] = {}  # failed or skipped node -> the failed step that caused it
        self.running: dict[Future[StepOutput], ResourceChange] = {}
        # Futures put themselves here when they end: taking them costs nothing per step still running,
        # as `concurrent.futures.wait` over thousands of queued steps would.
        self.ended: queue.SimpleQueue[Future[StepOutput]] = queue.SimpleQueue()
        self.finished: list[Finished] = []
        self.oldest = 0.0
        self.urgent = False
        self.failed = False

    def run(self) -> bool:
        """Run every change; True when one failed (its dependents were skipped)."""
        self.sorter.prepare()
        with ThreadPoolExecutor(max_workers=self.concurrency, thread_name_prefix="apply") as pool:
            try:
                while self.sorter.is_active():
                    self._start(pool)
                    if self.running:
                        self._collect()
                    if self.finished and (self.urgent or not self.running or self._full()):
                        self._commit()
            except LeaseLost:
                for future in self.running:  # queued steps never start; running ones stop at their next call
                    future.cancel()
                raise
        return self.failed

    # ---- scheduling ----------------------------------------------------------------------------------

    def _start(self, pool: ThreadPoolExecutor) -> None:
        """Start every ready change; gates, changes done by an earlier run and dependents of a failed step
        are settled on the spot, which may ready more."""
        todo: list[ResourceChange] = []
        ready = self.sorter.get_ready()
        while ready:
            for node in sorted(ready, key=lambda n: self.graph.rank.get(n, -1)):
                change = self.graph.changes.get(node)
                cause = next((self.blocked[n] for n in self.graph.needs[node] if n in self.blocked), None)
                if change is None:  # a gate
                    if cause is not None:
                        self.blocked[node] = cause
                    self._settled(node)
                elif cause is not None:
                    self.blocked[node] = cause
                    note = f"skipped: it depends on {cause}, which failed"
                    self._tell(StepResult(change.step_key, change.action.value, Outcome.SKIPPED, note=note))
                    self._settled(node)
                elif change.step_key in self.done_before:
                    note = "done by an earlier run"
                    self._tell(StepResult(change.step_key, change.action.value, Outcome.SKIPPED, note=note))
                    self._settled(node)
                else:
                    todo.append(change)
            ready = self.sorter.get_ready()
        if not todo:
            return
        self.retrier.check()
        # Before anything is journalled: which alerts each scope already holds (a lost create's alert is
        # then the one that was not there). A listing that fails fails the group, before any create.
        try:
            snapshots = self.steps.spend.snapshot_alerts(todo)
        except PlatformError as error:
            for change in todo:
                self.blocked[change.address] = str(change.address)
                self.failed = True
                self._tell(
                    StepResult(change.step_key, change.action.value, Outcome.FAILED, error=error.one_line())
                )
                self._settled(change.address)
            return
        self.journal.started(
            [(c, {**_started_detail(c, self.steps.owner), **snapshots.get(c.step_key, {})}) for c in todo]
        )
        for change in todo:
            future = pool.submit(self.steps.run, change)
            self.running[future] = change
            future.add_done_callback(self.ended.put)

    def _settled(self, node: Node) -> None:
        self.sorter.done(node)
        self._release(node)

    def _release(self, node: Node) -> bool:
        """Count `node` as ended for its dependents; True when one has nothing left to wait for."""
        free = False
        for dependent in self.dependents[node]:
            self.waiting_on[dependent] -= 1
            free = free or self.waiting_on[dependent] == 0
        return free

    # ---- finishing -----------------------------------------------------------------------------------

    def _collect(self) -> None:
        """Wait for at least one step to end (or the oldest unwritten one to be due) and take every step
        that ended. An exception other than a step failure (a crash, a lost lease) ends the walk."""
        timeout = None if not self.finished else max(0.0, self.oldest + BATCH_SECONDS - time.monotonic())
        ended: list[Future[StepOutput]] = []
        with contextlib.suppress(queue.Empty):
            ended.append(self.ended.get(timeout=timeout))
            while True:
                ended.append(self.ended.get_nowait())
        crash: BaseException | None = None
        for future in ended:
            change = self.running.pop(future)
            error = future.exception()
            if error is None:
                self._finish(Finished(change, future.result()))
            elif isinstance(error, _STEP_ERRORS):
                message = error.one_line() if isinstance(error, ReconcilerError) else str(error)
                self._finish(Finished(change, None, message))
            elif crash is None or isinstance(error, LeaseLost):
                crash = error
        if crash is not None:
            if not isinstance(crash, LeaseLost) and self.finished:
                self._commit()  # what did end is written down, as settling one by one did
            raise crash

    def _finish(self, finished: Finished) -> None:
        if not self.finished:
            self.oldest = time.monotonic()
        self.finished.append(finished)
        # A step something waits for makes its group urgent: that step must be written before it starts.
        self.urgent = self._release(finished.change.address) or self.urgent

    def _full(self) -> bool:
        return len(self.finished) >= BATCH_STEPS or time.monotonic() - self.oldest >= BATCH_SECONDS

    def _commit(self) -> None:
        """Write the group of ended steps, then let their dependents start. After a lost lease nothing
        is written: the store belongs to the apply that holds the lock now."""
        group, self.finished, self.urgent = self.finished, [], False
        self.retrier.check()
        self.journal.finished(group)
        for done in group:
            change, output = done.change, done.output
            if output is None:
                self.failed = True
                self.blocked[change.address] = str(change.address)
                result = StepResult(change.step_key, change.action.value, Outcome.FAILED, error=done.error)
            else:
                result = StepResult(
                    change.step_key,
                    change.action.value,
                    Outcome.DONE,
                    platform_id=output.platform_id,
                    note=output.note,
                )
            self._tell(result)
            self.sorter.done(change.address)

    def _tell(self, result: StepResult) -> None:
        self.tell(self.report, result)


def _started_detail(change: ResourceChange, owner: str) -> dict[str, object]:
    detail: dict[str, object] = {"action": change.action.value}
    if Kind(change.kind) is Kind.FILE and change.spec:
        detail.update(upload_detail(change, owner))
    return detail
