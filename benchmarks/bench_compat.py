"""Classify a tool-schema change at strict mode's size limits beside deepdiff on the same pair.

The pair: 5,000 object properties over 10 nesting levels (reconciler.schema.generate.schema_at_limits when
present, else a local builder of the same shape); the new schema changes three things in the deepest object
(a leaf given a maxLength, a leaf's type set to plain string, a required nullable property added). Prints the
median of several runs of `classify(old, new)` (both directions, findings included) and of
`deepdiff.DeepDiff(old, new)`, and their ratio beside the goal (classify <= 3x deepdiff).

Run: .venv/bin/python benchmarks/bench_compat.py [--runs N]
"""

from __future__ import annotations

import argparse
import copy
import statistics
import time
from collections.abc import Callable
from typing import Any

from deepdiff import DeepDiff

from reconciler.schema.compat import Compat, classify

PROPERTIES = 5000
DEPTH = 10
GOAL_RATIO = 3.0


def _local_schema(properties: int, depth: int) -> dict[str, Any]:
    leaves = properties - (depth - 1)
    kinds: tuple[dict[str, Any], ...] = (
        {"type": "string"},
        {"type": "integer", "minimum": 0},
        {"type": "number"},
    )
    levels: list[dict[str, Any]] = [{} for _ in range(depth)]
    for i in range(leaves):
        levels[i % depth][f"f{i:04d}"] = dict(kinds[i % len(kinds)])
    schema: dict[str, Any] | None = None
    for level in reversed(levels):
        if schema is not None:
            level["nested"] = schema
        schema = {
            "type": "object",
            "properties": level,
            "required": list(level),
            "additionalProperties": False,
        }
    assert schema is not None
    return schema


def build_pair() -> tuple[dict[str, Any], dict[str, Any], str]:
    try:
        from reconciler.schema.generate import schema_at_limits

        old, source = schema_at_limits(PROPERTIES, DEPTH), "reconciler.schema.generate.schema_at_limits"
    except ImportError:
        old, source = _local_schema(PROPERTIES, DEPTH), "local builder"
    new = copy.deepcopy(old)
    deepest = new
    while "nested" in deepest["properties"]:
        deepest = deepest["properties"]["nested"]
    props = deepest["properties"]
    first, second = list(props)[:2]
    props[first] = {**props[first], "maxLength": 64}  # STR-03
    props[second] = {**props[second], "type": "string"}  # TYP-04 when the leaf was nullable, else unchanged
    props["added_optional"] = {"type": ["string", "null"]}
    deepest["required"] = [*deepest["required"], "added_optional"]
    return old, new, source


def median_seconds(fn: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    old, new, source = build_pair()
    verdict = classify(old, new)
    # The benchmark is only meaningful if the classifier actually finds the three changes.
    assert (verdict.backward, verdict.forward) == (Compat.NO, Compat.NO), verdict
    print(f"pair: {PROPERTIES} properties, {DEPTH} levels ({source}); findings:")
    for finding in verdict.findings:
        print(f"  {finding}")
    t_classify = median_seconds(lambda: classify(old, new), args.runs)
    t_deepdiff = median_seconds(lambda: DeepDiff(old, new), max(3, args.runs // 2))
    ratio = t_classify / t_deepdiff
    print(f"classify  median {t_classify * 1000:8.1f} ms  (both directions)")
    print(f"DeepDiff  median {t_deepdiff * 1000:8.1f} ms")
    verdict_text = "ok" if ratio <= GOAL_RATIO else "MISSED"
    print(f"ratio classify/deepdiff = {ratio:.2f}x   goal <= {GOAL_RATIO:.0f}x   {verdict_text}")
    return 0 if ratio <= GOAL_RATIO else 1


if __name__ == "__main__":
    raise SystemExit(main())
