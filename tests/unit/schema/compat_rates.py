"""Exact rates of the compatibility classifier on the corpus, per direction.

A pair counts as exact in a direction when the classifier's answer equals the proven truth (`expect`);
UNKNOWN where the truth is YES or NO is inexact, and YES where the truth is NO is unsound (never allowed).

Run: .venv/bin/python -m tests.unit.schema.compat_rates [pairs.yaml]
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from reconciler.schema.compat import Compat, classify

PAIRS = Path(__file__).parent / "compat_corpus" / "pairs.yaml"


@dataclass
class Rates:
    total: int = 0
    exact: dict[str, int] = field(default_factory=lambda: {"backward": 0, "forward": 0})
    unsound: list[str] = field(default_factory=list)
    inexact: list[str] = field(default_factory=list)

    def rate(self, direction: str) -> float:
        return self.exact[direction] / self.total


def rates(pairs: list[dict[str, Any]]) -> Rates:
    out = Rates(total=len(pairs))
    for pair in pairs:
        truth = dict(zip(("backward", "forward"), map(Compat, pair["expect"].split("/")), strict=True))
        verdict = classify(pair["old"], pair["new"], format_assertion=not pair.get("annotate"))
        for direction, got in (("backward", verdict.backward), ("forward", verdict.forward)):
            if got is truth[direction]:
                out.exact[direction] += 1
            else:
                out.inexact.append(f"{pair['id']} {direction}: {got} (truth {truth[direction]})")
            if got is Compat.YES and truth[direction] is Compat.NO:
                out.unsound.append(f"{pair['id']} {direction}")
    return out


def main() -> int:
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else PAIRS
    result = rates(yaml.safe_load(path.read_text()))
    for direction in ("backward", "forward"):
        exact = result.exact[direction]
        print(f"{direction:8}  {exact}/{result.total} exact = {result.rate(direction):.1%}")
    print(f"unsound YES: {len(result.unsound)}")
    for line in result.inexact:
        print(f"  inexact: {line}")
    return 1 if result.unsound else 0


if __name__ == "__main__":
    raise SystemExit(main())
