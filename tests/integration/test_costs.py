"""Issue 19, item 5, Done when: `reconcile costs` against the emulator as a real HTTP server matches the
emulator's own totals to the cent.

Usage is made through the real SDK (`responses.create` with five models, one of them missing from both
price tables, and one project besides the target's) on two UTC days: the emulator's clock starts a day
back and is moved to now. The emulator's own totals are computed here from what it stored
(`emulator.usage.records`) and its prices (`emulator.pricing`), exactly, as Decimals. Then the CLI, in text
and JSON, ungrouped, by line item and by project, beside the example's spend alert; and with the runtime's
telemetry in the store, cost per version. Also: a missing admin key is one line and exit 1, and every
costs page takes its turn on the Admin API pace shared through the state store.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import openai
import pytest

from reconciler.cli.main import run
from reconciler.emulator import EmulatorApp, EmulatorConfig, pricing, usage
from reconciler.emulator.server import EmulatorServer
from reconciler.emulator.transport import EmulatorTransport
from reconciler.model.rollouts import TelemetryCounts, TelemetryRow
from reconciler.model.spend import cents, utc_day
from reconciler.model.waits import Wait, WaitReason
from reconciler.service import open_workspace
from reconciler.service.costs import costs_report
from reconciler.store import open_store
from tests.integration.support import edit_file, make_project

pytestmark = [pytest.mark.server]

DAY = 86_400
WS = "served"
NAME = "CorporateAssist"
TARGETS = """  targets:
    served:
      type: openai
      api: responses
      baseURL: {url}
      projectId: proj_local
"""
# (day offset, model, characters of input, project): inputs long enough to cost dollars (four bytes a
# token); gpt-5.4 is in neither price table (the emulator's default price), gpt-4-turbo only in its own.
CALLS = (
    (-1, "gpt-4o", 120_000, "proj_local"),
    (-1, "gpt-4o-mini", 40_000, "proj_local"),
    (-1, "gpt-4o", 80_000, "proj_other"),
    (0, "gpt-4-turbo", 400_003, "proj_local"),
    (0, "gpt-4.1", 200_000, "proj_local"),
    (0, "gpt-5.4", 100_001, "proj_local"),
)
LINE = "Taxi from the airport to the client's office, 42.50 EUR, receipt attached. "


class ShiftedClock:
    """The emulator's clock: the wall clock moved by `offset` seconds (only ever forward, here)."""

    def __init__(self, offset: float) -> None:
        self.offset = offset

    def __call__(self) -> float:
        return time.time() + self.offset


@pytest.fixture
def clock() -> ShiftedClock:
    return ShiftedClock(-DAY)


@pytest.fixture
def server(clock: ShiftedClock) -> Iterator[EmulatorServer]:
    emulator = EmulatorServer(EmulatorConfig(), clock=clock).start()
    yield emulator
    emulator.close()


@pytest.fixture
def root(
    tmp_path: Path, server: EmulatorServer, clock: ShiftedClock, monkeypatch: pytest.MonkeyPatch
) -> Path:
    """The example with its spend alert, applied on the served emulator, with usage on two days."""
    monkeypatch.setenv("OPENAI_API_KEY", "sk-costs-test")
    monkeypatch.setenv("OPENAI_ADMIN_KEY", "sk-admin-costs-test")
    # The pace's budget is the platform's business elsewhere (the test below); here runs should not wait.
    project = make_project(
        tmp_path / "project", spend=True, api="responses", retry={"adminRequestsPerMinute": 600},
        target_yaml=TARGETS.format(url=server.base_url),
    )  # fmt: skip
    edit_file(project, "reconcile.yaml", "defaultTarget: local", f"defaultTarget: {WS}")
    assert run(["apply", str(project), "--auto-approve"]) == 0
    client = openai.OpenAI(base_url=server.base_url, api_key="sk-costs-test", max_retries=0)
    for day in (-1, 0):
        clock.offset = day * DAY
        for _, model, size, where in (c for c in CALLS if c[0] == day):
            text = (LINE * (size // len(LINE) + 1))[:size]
            client.responses.create(model=model, input=text, extra_headers={"OpenAI-Project": where})
    client.close()
    return project


def _records(app: EmulatorApp) -> list[usage.UsageRecord]:
    return usage.records(app.storage, start=0, end=time.time() + DAY)


def _priced(entry: usage.UsageRecord) -> tuple[Decimal, Decimal]:
    return pricing.cost(entry.model, entry.input_tokens, entry.output_tokens)


def _totals(app: EmulatorApp, project: str | None = "proj_local") -> dict[str, Decimal]:
    """The emulator's own totals from its storage: in all, per UTC day, per line item (and its tokens), per
    project."""
    totals: dict[str, Decimal] = {}

    def add(key: str, amount: Decimal) -> None:
        totals[key] = totals.get(key, Decimal(0)) + amount

    for entry in _records(app):
        if project is not None and entry.project_id != project:
            continue
        spent_in, spent_out = _priced(entry)
        add("total", spent_in + spent_out)
        add(f"day {utc_day(entry.at).isoformat()}", spent_in + spent_out)
        add(f"{entry.model}, input", spent_in)
        add(f"{entry.model}, output", spent_out)
        add(f"tokens {entry.model}, input", Decimal(entry.input_tokens))
        add(f"tokens {entry.model}, output", Decimal(entry.output_tokens))
        add(f"project {entry.project_id}", spent_in + spent_out)
    return totals


def _since(app: EmulatorApp) -> str:
    return min(utc_day(e.at) for e in _records(app)).isoformat()


def _json(capsys: pytest.CaptureFixture[str], *args: str) -> dict[str, Any]:
    capsys.readouterr()
    assert run(["costs", *args, "-json"]) == 0
    document: dict[str, Any] = json.loads(capsys.readouterr().out)
    return document


def test_costs_match_the_emulators_own_totals_to_the_cent(
    root: Path, server: EmulatorServer, capsys: pytest.CaptureFixture[str]
) -> None:
    mine = _totals(server.app)
    assert {e.model for e in _records(server.app)} == {
        "gpt-4o",
        "gpt-4o-mini",
        "gpt-4-turbo",
        "gpt-4.1",
        "gpt-5.4",
    }
    assert cents(mine["total"]) > 100  # dollars, so that "to the cent" says something
    days = sorted(k for k in mine if k.startswith("day "))
    assert len(days) == 2  # two UTC days of usage
    since = _since(server.app)

    document = _json(capsys, "-C", str(root), "--since", since)
    assert (document["format_version"], document["scope"], document["since"]) == ("1.0", "project", since)
    assert document["total_cents"] == cents(mine["total"])
    assert abs(Decimal(document["total"]) - mine["total"]) < Decimal("1e-12")  # to the platform's digits
    assert {f"day {d['date']}": Decimal(d["amount"]) for d in document["days"] if Decimal(d["amount"])} == {
        k: pytest.approx(mine[k], abs=Decimal("1e-12")) for k in days
    }

    by_line = _json(capsys, "-C", str(root), "--since", since, "--by", "line-item")
    lines = {g["line_item"]: g for g in by_line["groups"]}
    assert set(lines) == {
        k for k in mine if k.endswith((", input", ", output")) and not k.startswith("tokens ")
    }
    for item, group in lines.items():
        assert cents(Decimal(group["amount"])) == cents(mine[item])
        assert abs(Decimal(group["amount"]) - mine[item]) < Decimal("1e-12")
        assert (group["quantity"], group["quantity_unit"]) == (str(mine[f"tokens {item}"]), "tokens")
    assert by_line["total_cents"] == document["total_cents"]

    everyone = _totals(server.app, project=None)
    by_project = _json(capsys, "-C", str(root), "--since", since, "--by", "project")
    assert by_project["scope"] == "organization"
    assert {g["project_id"]: cents(Decimal(g["amount"])) for g in by_project["groups"]} == {
        "proj_local": cents(everyone["project proj_local"]),
        "proj_other": cents(everyone["project proj_other"]),
    }
    assert by_project["total_cents"] == cents(everyone["total"])

    (alert,) = document["controls"]
    assert (alert["kind"], alert["name"], alert["scope"]) == (
        "SpendAlert",
        "corporate-assist-monthly",
        "proj_local",
    )
    assert (alert["declared_cents"], alert["applied_cents"]) == (10_000, 10_000)

    assert run(["costs", "-C", str(root), "--since", since]) == 0
    text = capsys.readouterr().out
    total = mine["total"].quantize(Decimal("0.01"))
    assert f"  total: ${total}" in text
    assert "SpendAlert/corporate-assist-monthly" in text and "$100.00/month" in text

    assert run(["costs", "-C", str(root), "--since", since, "-o", "json"]) == 0  # the spelling
    legacy = capsys.readouterr()
    assert json.loads(legacy.out)["total_cents"] == cents(mine["total"])
    assert "-o/--output is deprecated; use --format json" in legacy.err


def test_cost_per_version_from_the_runtimes_telemetry(
    root: Path, server: EmulatorServer, capsys: pytest.CaptureFixture[str]
) -> None:
    now = time.time()
    with open_store(f"sqlite:///{root / '.reconcile' / 'state.db'}") as store:
        counts = TelemetryCounts(responses=4, input_tokens=400, output_tokens=100, cost_usd=0.02)
        store.add_telemetry(WS, [TelemetryRow(assistant=NAME, version=1, bucket=int(now), counts=counts)])
        for conversation in ("conv_a", "conv_b"):
            store.assign_conversation(WS, NAME, conversation, 1, now=now)
    document = _json(capsys, "-C", str(root), "--since", _since(server.app))
    assert document["versions"] == [
        {
            "assistant": NAME,
            "version": 1,
            "responses": 4,
            "conversations": 2,
            "cost_usd": "0.02",
            "per_response": "0.005",
            "per_conversation": "0.01",
        }
    ]
    assert run(["costs", "-C", str(root), "--since", _since(server.app)]) == 0
    assert (
        "CorporateAssist v1: $0.02 in all; $0.005000 per response (4 responses), "
        "$0.010000 per conversation (2 conversations)"
    ) in capsys.readouterr().out


def test_a_missing_admin_key_is_one_line_and_exit_1(
    root: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("OPENAI_ADMIN_KEY")
    capsys.readouterr()
    assert run(["costs", "-C", str(root)]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert err == "error: the target's admin key is not set: export OPENAI_ADMIN_KEY\n"


def test_the_project_key_is_not_needed_only_the_admin_key(
    root: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The costs endpoint is an Admin API call: a machine holding only the admin key can read it, and one
    holding neither is told of the admin key, the one it needs (review of issue 19)."""
    monkeypatch.delenv("OPENAI_API_KEY")
    assert run(["costs", "-C", str(root)]) == 0
    assert "Spend of project" in capsys.readouterr().out
    monkeypatch.delenv("OPENAI_ADMIN_KEY")
    assert run(["costs", "-C", str(root)]) == 1
    assert capsys.readouterr().err == "error: the target's admin key is not set: export OPENAI_ADMIN_KEY\n"


@pytest.mark.parametrize(
    ("since", "message"),
    [
        ("last week", "error: --since 'last week' is not a date: write a UTC day as YYYY-MM-DD"),
        ((date.today() + timedelta(days=2)).isoformat(), "is in the future"),
    ],
)
def test_a_bad_since_is_one_line_and_exit_1(
    tmp_path: Path, since: str, message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(["costs", "-C", str(make_project(tmp_path / "p")), "--since", since]) == 1
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


def test_every_costs_page_takes_its_turn_on_the_shared_admin_pace(tmp_path: Path) -> None:
    # One admin call a minute: the second run, in another workspace on the same store, waits its turn.
    root = make_project(tmp_path / "project", spend=True, retry={"adminRequestsPerMinute": 1})
    app = EmulatorApp(EmulatorConfig())
    slept: list[float] = []
    waits: list[Wait] = []
    try:
        for _ in range(2):
            with open_workspace(root, transport=EmulatorTransport(app)) as ws:
                costs_report(ws, sleep=slept.append, on_wait=waits.append)
    finally:
        app.close()
    assert len(slept) == 1 and 55 < slept[0] <= 62
    assert [w.reason for w in waits] == [WaitReason.ADMIN_PACE]
    assert "shared with other runs on this state store" in waits[0].detail
