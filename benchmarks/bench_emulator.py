"""How much the emulator costs per SDK call, in-process and over loopback.

In-process: the median cost of one SDK round (create + retrieve an assistant) against the emulator,
beside the same round against an httpx2.MockTransport returning canned responses (the SDK's own
overhead). The goal: the emulator adds no more than 1x the SDK's overhead.
Real server: 1,000 sequential SDK calls to a waitress server on 127.0.0.1, calls per second.

Run: .venv/bin/python benchmarks/bench_emulator.py [--rounds N]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
import warnings
from collections.abc import Callable

import httpx2
import openai

from reconciler.emulator import EmulatorApp
from reconciler.emulator.server import EmulatorServer
from reconciler.emulator.transport import http_client

BASE = "http://127.0.0.1/v1"
CANNED = {
    "id": "asst_abc123abc123abc123abc123",
    "object": "assistant",
    "created_at": 1_700_000_000,
    "name": "bench",
    "description": None,
    "model": "gpt-4o",
    "instructions": None,
    "tools": [],
    "tool_resources": {},
    "metadata": {},
    "top_p": 1.0,
    "temperature": 1.0,
    "reasoning_effort": None,
    "response_format": "auto",
}


def canned(request: httpx2.Request) -> httpx2.Response:
    return httpx2.Response(
        200, content=json.dumps(CANNED).encode(), headers={"content-type": "application/json"}
    )


def sdk_round(client: openai.OpenAI) -> None:
    created = client.beta.assistants.create(model="gpt-4o", name="bench")
    client.beta.assistants.retrieve(created.id)


def median_seconds(fn: Callable[[], None], rounds: int) -> float:
    for _ in range(20):  # warm caches (pydantic models, routing, SQLite statements)
        fn()
    samples = []
    for _ in range(rounds):
        started = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


def in_process(rounds: int) -> None:
    app = EmulatorApp()
    emulated = openai.OpenAI(api_key="sk-bench", base_url=BASE, http_client=http_client(app), max_retries=0)
    mocked = openai.OpenAI(
        api_key="sk-bench",
        base_url=BASE,
        http_client=httpx2.Client(transport=httpx2.MockTransport(canned)),
        max_retries=0,
    )
    # Interleave the two so machine noise hits both alike.
    emu, mock = [], []
    for _ in range(5):
        emu.append(median_seconds(lambda: sdk_round(emulated), rounds // 5))
        mock.append(median_seconds(lambda: sdk_round(mocked), rounds // 5))
    emu_ms, mock_ms = statistics.median(emu) * 1000, statistics.median(mock) * 1000
    added = emu_ms - mock_ms
    print(f"in-process, median of create+retrieve over {rounds} rounds:")
    print(f"  SDK + MockTransport (SDK's own overhead): {mock_ms:.3f} ms")
    print(f"  SDK + emulator:                           {emu_ms:.3f} ms")
    print(f"  emulator's added cost: {added:.3f} ms = {added / mock_ms:.2f}x the SDK's overhead (goal <= 1x)")
    app.close()


def real_server(calls: int) -> None:
    server = EmulatorServer().start()
    try:
        client = openai.OpenAI(api_key="sk-bench", base_url=server.base_url, max_retries=0)
        created = client.beta.assistants.create(model="gpt-4o")
        started = time.perf_counter()
        for i in range(calls):
            if i % 2:
                client.beta.assistants.retrieve(created.id)
            else:
                client.beta.assistants.create(model="gpt-4o")
        elapsed = time.perf_counter() - started
        client.close()
    finally:
        server.close()
    print(f"real server on loopback: {calls} sequential SDK calls (create/retrieve alternating)")
    print(f"  {elapsed:.2f} s, {calls / elapsed:.0f} calls/s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rounds", type=int, default=500)
    parser.add_argument("--calls", type=int, default=1000)
    args = parser.parse_args()
    warnings.filterwarnings("ignore", "deprecated", DeprecationWarning)  # client.beta.assistants
    in_process(args.rounds)
    real_server(args.calls)


if __name__ == "__main__":
    main()
