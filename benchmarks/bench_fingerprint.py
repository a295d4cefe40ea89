"""Fingerprint 1,000 assistants with 20 function tools each. Goal: under 1 s.

Builds reconciler.model.desired.Assistant/FunctionTool objects (20 distinct tool shapes, per-assistant
names and instructions), then times `reconciler.model.canonical.fingerprint` over all of them (median of
several runs). Also checks the property that makes the number worth having: key order never changes a
fingerprint and an edit that means something always does.

Run: .venv/bin/python benchmarks/bench_fingerprint.py [--runs N]
"""

from __future__ import annotations

import argparse
import statistics
import time
from typing import Any

from reconciler.model.canonical import fingerprint
from reconciler.model.desired import Assistant, FunctionTool

ASSISTANTS = 1000
TOOLS = 20
GOAL_SECONDS = 1.0


def parameters(t: int) -> dict[str, Any]:
    props = {
        f"arg{i}": {"type": ["string", "integer", "number", "boolean"][i % 4], "description": f"arg {i}"}
        for i in range(6 + t % 5)
    }
    return {"type": "object", "properties": props, "required": sorted(props), "additionalProperties": False}


def build() -> list[Assistant]:
    tools = [
        FunctionTool(name=f"tool_{t:02d}", description=f"Tool {t}", parameters=parameters(t), strict=True)
        for t in range(TOOLS)
    ]
    return [
        Assistant(
            name=f"assistant{a:04d}",
            model="gpt-4o",
            instructions=f"You are assistant {a}.",
            functions=tuple(tools),
            temperature=0.2,
        )
        for a in range(ASSISTANTS)
    ]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    assistants = build()
    # Same tools with every parameters mapping written in reverse key order: same fingerprint.
    flipped = tuple(
        f.model_copy(update={"parameters": dict(reversed(list(f.parameters.items())))})
        for f in assistants[0].functions
    )
    reordered = assistants[0].model_copy(update={"functions": flipped})
    assert fingerprint(reordered) == fingerprint(assistants[0])
    edited = assistants[0].model_copy(update={"instructions": assistants[0].instructions + " Be brief."})
    assert fingerprint(edited) != fingerprint(assistants[0])
    times = []
    for _ in range(args.runs):
        start = time.perf_counter()
        prints = [fingerprint(a) for a in assistants]
        times.append(time.perf_counter() - start)
    assert len(set(prints)) == ASSISTANTS
    median = statistics.median(times)
    status = "ok" if median < GOAL_SECONDS else "MISSED"
    label = f"fingerprint {ASSISTANTS} assistants x {TOOLS} tools"
    print(f"{label}: median {median * 1000:.0f} ms   goal < {GOAL_SECONDS:.0f} s   {status}")
    return 0 if median < GOAL_SECONDS else 1


if __name__ == "__main__":
    raise SystemExit(main())
