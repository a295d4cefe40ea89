"""`classify(old, new)`: run the subset engine in both directions and merge what each found into one Verdict.

Backward (caller-compatible) asks V(old) ⊆ V(new); forward (handler-compatible) asks V(new) ⊆ V(old).
A finding is keyed by (pointer, rule); each direction adds its own result, YES where it found nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from reconciler.schema.compat.normal import Document, UnresolvableRef, canonical
from reconciler.schema.compat.subset import Check, Issue
from reconciler.schema.compat.verdict import Compat, Finding, Verdict, both

RULE_UNPROVEN = "X-UNPROVEN"  # outside the catalogue: a direction failed without a more specific finding


def is_subset(
    a: Mapping[str, Any] | bool, b: Mapping[str, Any] | bool, *, format_assertion: bool = True
) -> Compat:
    """Is V(a) ⊆ V(b)? YES only when proven; NO when a counterexample is evident; UNKNOWN otherwise."""
    result, _ = _direction(
        Document(a, format_assertion=format_assertion), Document(b, format_assertion=format_assertion), True
    )
    return result


def classify(old: Mapping[str, Any], new: Mapping[str, Any], *, format_assertion: bool = True) -> Verdict:
    """Judge a schema change in both directions.

    `format_assertion` reads `format` as an assertion (the default, and right for strict tools, whose output
    OpenAI constrains to the format); pass False for Draft 2020-12's default reading as an annotation.
    """
    if old is new or (old == new and canonical(old) == canonical(new)):
        return Verdict(Compat.YES, Compat.YES, ())
    old_doc = Document(old, format_assertion=format_assertion)
    new_doc = Document(new, format_assertion=format_assertion)
    backward, b_issues = _direction(old_doc, new_doc, True)
    forward, f_issues = _direction(new_doc, old_doc, False)
    return Verdict(backward, forward, merge(b_issues, f_issues, backward, forward))


def _direction(a: Document, b: Document, a_is_old: bool) -> tuple[Compat, list[Issue]]:
    check = Check(a, b, a_is_old)
    try:
        result = check.run(a.node(a.root, ""), b.node(b.root, ""))
    except (UnresolvableRef, RecursionError) as exc:
        # A broken $ref or pathological nesting: nothing can be proven about this pair.
        return Compat.UNKNOWN, [
            Issue(
                str(exc) if isinstance(exc, UnresolvableRef) else "",
                "REF-07",
                Compat.UNKNOWN,
                f"cannot resolve: {exc!r}"[:200],
            )
        ]
    issues = check.out or []
    if result is not Compat.YES and not any(i.result is not Compat.YES for i in issues):
        issues.append(Issue("", RULE_UNPROVEN, result, "not proven; no single change identified"))
    return result, issues


def merge(
    b_issues: list[Issue], f_issues: list[Issue], backward: Compat, forward: Compat
) -> tuple[Finding, ...]:
    table: dict[tuple[str, str], list[Any]] = {}
    for issues, slot in ((b_issues, 0), (f_issues, 1)):
        for issue in issues:
            row = table.setdefault((issue.pointer, issue.rule), [Compat.YES, Compat.YES, issue.message])
            # A finding never claims more than its direction: it says NO only if the direction does.
            cap = backward if slot == 0 else forward
            result = issue.result if cap is Compat.NO or issue.result is not Compat.NO else Compat.UNKNOWN
            row[slot] = both(row[slot], result)
    return tuple(
        Finding(pointer, rule, row[0], row[1], row[2]) for (pointer, rule), row in sorted(table.items())
    )
