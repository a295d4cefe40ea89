"""The classifier's answer types: a three-valued `Compat`, per-change `Finding`s, and the `Verdict`.

UNKNOWN exists so the classifier can be incomplete without ever being wrong in the dangerous direction:
whatever it cannot prove compatible it reports as UNKNOWN (or NO); every consumer treats UNKNOWN as breaking.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum


class Compat(StrEnum):
    YES = "yes"
    NO = "no"
    UNKNOWN = "unknown"  # could not be proven either way; treated as breaking

    @property
    def ok(self) -> bool:
        return self is Compat.YES


_RANK = {Compat.YES: 0, Compat.UNKNOWN: 1, Compat.NO: 2}


def worst(results: Iterable[Compat]) -> Compat:
    """Conjunction: every part must hold. NO beats UNKNOWN because one proven failure settles the question."""
    out = Compat.YES
    for r in results:
        if _RANK[r] > _RANK[out]:
            out = r
            if out is Compat.NO:
                break
    return out


def both(a: Compat, b: Compat) -> Compat:
    return a if _RANK[a] >= _RANK[b] else b


def best(results: Iterable[Compat]) -> Compat:
    """Disjunction over alternatives each of which alone would suffice (a YES anywhere settles it)."""
    out = Compat.NO
    for r in results:
        if r is Compat.YES:
            return r
        if r is Compat.UNKNOWN:
            out = r
    return out


def weaken(result: Compat) -> Compat:
    """A NO reached under an approximation is no proof: it becomes UNKNOWN; YES stays YES."""
    return Compat.UNKNOWN if result is Compat.NO else result


@dataclass(frozen=True)
class Finding:
    """One change behind a verdict: where (JSON pointer into the schema), which rule, and its effect."""

    pointer: str
    rule: str
    backward: Compat
    forward: Compat
    message: str

    def __str__(self) -> str:
        where = self.pointer or "/"
        return f"{self.rule} at {where}: {self.message} (backward {self.backward}, forward {self.forward})"


POLICIES = ("backward", "forward", "full", "none")


@dataclass(frozen=True)
class Verdict:
    """Both directions of one schema change.

    backward (caller-compatible): V(old) ⊆ V(new), arguments in old threads stay valid.
    forward (handler-compatible): V(new) ⊆ V(old), the old handler accepts what the model now produces.
    """

    backward: Compat
    forward: Compat
    findings: tuple[Finding, ...] = ()

    @property
    def full(self) -> bool:
        return self.backward is Compat.YES and self.forward is Compat.YES

    def satisfies(self, policy: str) -> bool:
        """Whether the change is allowed under a compatibility policy; UNKNOWN never satisfies one."""
        if policy == "none":
            return True
        if policy == "backward":
            return self.backward is Compat.YES
        if policy == "forward":
            return self.forward is Compat.YES
        if policy == "full":
            return self.full
        raise ValueError(f"unknown compatibility policy {policy!r}; expected one of {', '.join(POLICIES)}")

    def breaking_findings(self, policy: str) -> tuple[Finding, ...]:
        """The findings that make this verdict violate `policy` (what a failing plan should name)."""
        want_b = policy in ("backward", "full")
        want_f = policy in ("forward", "full")
        return tuple(
            f
            for f in self.findings
            if (want_b and f.backward is not Compat.YES) or (want_f and f.forward is not Compat.YES)
        )
