"""targets.admin_costs through the real SDK on the in-process emulator: every page of a long window read,
each through the caller's runner as an admin call, amounts as the platform wrote them (Decimal, never a
float sum), the walk bounded, and a missing admin key one line before anything is sent."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any, TypeVar

import openai
import pytest

from reconciler.emulator import EmulatorApp, EmulatorConfig, pricing, usage
from reconciler.emulator.transport import http_client
from reconciler.errors import AuthenticationFailed, PermanentPlatformError
from reconciler.model.spend import CostGrouping, CostQuery, grand_total
from reconciler.targets.admin import Admin
from reconciler.targets.admin_costs import BUCKETS_PER_PAGE, CostReader

T = TypeVar("T")
DAY = 86_400
DAY0 = 1_796_083_200 - 200 * DAY  # 200 days before 2026-12-01 00:00 UTC


class Clock:
    def __init__(self) -> None:
        self.now = float(DAY0 + 200 * DAY + 3600)

    def __call__(self) -> float:
        return self.now


class Runner:
    """A `ReadRunner` that runs once and remembers how each call was marked."""

    def __init__(self) -> None:
        self.calls: list[bool] = []

    def __call__(self, fn: Callable[[], T], *, admin: bool = False) -> T:
        self.calls.append(admin)
        return fn()


@pytest.fixture
def app() -> Iterator[EmulatorApp]:
    emulator = EmulatorApp(EmulatorConfig(), clock=Clock())
    yield emulator
    emulator.close()


def _reader(app: EmulatorApp, admin_key: str | None = "sk-admin-test") -> CostReader:
    client = openai.OpenAI(
        api_key="sk-test",
        admin_api_key=admin_key,
        base_url="http://127.0.0.1/v1",
        http_client=http_client(app),
        max_retries=0,
    )
    return CostReader(Admin(client, "proj_a", "OPENAI_ADMIN_KEY"))


def _spend(app: EmulatorApp, day: int, model: str, tokens: tuple[int, int], project: str = "proj_a") -> None:
    entry = usage.UsageRecord(model, tokens[0], tokens[1], DAY0 + day * DAY + 60.0, project, "response", "r")
    usage.record(app.storage, entry)


def _exact(app: EmulatorApp, project: str | None = None) -> Decimal:
    """The emulator's own total, from its usage records and prices."""
    total = Decimal(0)
    for entry in usage.records(app.storage, start=0, end=DAY0 + 1000 * DAY):
        if project is None or entry.project_id == project:
            total += sum(pricing.cost(entry.model, entry.input_tokens, entry.output_tokens), Decimal(0))
    return total


def test_every_page_of_a_long_window_is_read_each_as_an_admin_call(app: EmulatorApp) -> None:
    for day in (0, 90, 185, 200):
        _spend(app, day, "gpt-4o", (1234, 567))
    runner = Runner()
    buckets = _reader(app).read(CostQuery(start_time=DAY0, project_ids=("proj_a",), max_pages=3), runner)
    assert len(buckets) == 201  # day 0 to today, every day listed
    assert [b.start for b in buckets] == [DAY0 + d * DAY for d in range(201)]
    assert runner.calls == [True, True]  # 180 days, then 21: two pages, both paced as admin calls
    assert abs(grand_total(buckets) - _exact(app)) < Decimal("1e-12")
    assert [len(buckets[d].lines) for d in (0, 1, 90, 185, 200)] == [1, 0, 1, 1, 1]


def test_lines_by_line_item_carry_their_quantity_and_by_project_only_the_projects_asked_for(
    app: EmulatorApp,
) -> None:
    _spend(app, 200, "gpt-4o", (1000, 2000))
    _spend(app, 200, "gpt-4o", (10, 20), project="proj_b")
    reader = _reader(app)
    today = DAY0 + 200 * DAY
    (by_line,) = reader.read(CostQuery(today, CostGrouping.LINE_ITEM, ("proj_a",), max_pages=1))
    assert [(x.line_item, x.quantity, x.quantity_unit, x.amount) for x in by_line.lines] == [
        ("gpt-4o, input", Decimal(1000), "tokens", Decimal("0.0025")),
        ("gpt-4o, output", Decimal(2000), "tokens", Decimal("0.02")),
    ]
    assert [str(x.quantity) for x in by_line.lines] == ["1000", "2000"]  # counts, not the SDK's floats
    (by_project,) = reader.read(CostQuery(today, CostGrouping.PROJECT, (), max_pages=1))
    assert [(x.project_id, x.line_item, x.quantity) for x in by_project.lines] == [
        ("proj_a", None, None),
        ("proj_b", None, None),
    ]


def test_more_pages_than_the_bound_is_an_error_not_a_longer_walk(app: EmulatorApp) -> None:
    assert BUCKETS_PER_PAGE == 180
    with pytest.raises(PermanentPlatformError, match="more than 1 pages"):
        _reader(app).read(CostQuery(start_time=DAY0, max_pages=1))


def test_a_cursor_that_comes_back_is_an_error(app: EmulatorApp, monkeypatch: pytest.MonkeyPatch) -> None:
    reader = _reader(app)
    real = reader.admin.client.admin.organization.usage.costs

    def same_cursor(**params: Any) -> Any:
        params.pop("page", None)  # the platform answers every page as the first
        return real(**params)

    monkeypatch.setattr(reader.admin.client.admin.organization.usage, "costs", same_cursor)
    with pytest.raises(PermanentPlatformError, match="came back twice"):
        reader.read(CostQuery(start_time=DAY0, max_pages=5))


def test_a_missing_admin_key_is_one_line_before_anything_is_sent(app: EmulatorApp) -> None:
    runner = Runner()
    with pytest.raises(
        AuthenticationFailed, match="the target's admin key is not set: export OPENAI_ADMIN_KEY"
    ):
        _reader(app, admin_key=None).read(CostQuery(start_time=DAY0), runner)
    assert runner.calls == []


def test_an_admin_key_the_platform_refuses_is_a_translated_error(app: EmulatorApp) -> None:
    with pytest.raises(AuthenticationFailed, match="read organization costs: HTTP 401"):
        _reader(app, admin_key="sk-project-key").read(CostQuery(start_time=DAY0 + 200 * DAY))
