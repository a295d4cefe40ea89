"""Tool-schema compatibility on JSON Schema set semantics (issue 5, item 4).

With V(S) the instances S accepts (Draft 2020-12), a change old -> new is *backward* (caller-compatible) when
V(old) ⊆ V(new) and *forward* (handler-compatible) when V(new) ⊆ V(old). Both are decided by one subset engine
run in each direction over normalised, `$ref`-resolved schemas. The engine may answer UNKNOWN, which callers
treat as breaking; it never answers YES without a proof. Rule ids come from shared/reference/schema-compat.md.
"""

from __future__ import annotations

from reconciler.schema.compat.classify import classify, is_subset
from reconciler.schema.compat.tools import classify_tools
from reconciler.schema.compat.verdict import POLICIES, Compat, Finding, Verdict

__all__ = ["POLICIES", "Compat", "Finding", "Verdict", "classify", "classify_tools", "is_subset"]
