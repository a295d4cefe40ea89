"""`classify_tools`: a verdict per function-tool name, including tools added, removed or renamed.

A removed tool breaks callers (old threads hold calls to it) but not the handler direction; an added tool
is the mirror image (the old handler does not know it). A rename, spotted when one removed and one added tool
have identical parameters, is reported on both names with rule TOOL-RENAMED.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from reconciler.schema.compat.classify import classify
from reconciler.schema.compat.normal import canonical
from reconciler.schema.compat.verdict import Compat, Finding, Verdict

# Tool-level rule ids sit outside the schema catalogue, which only speaks about one schema.
TOOL_ADDED = "TOOL-ADDED"
TOOL_REMOVED = "TOOL-REMOVED"
TOOL_RENAMED = "TOOL-RENAMED"


def _split(spec: Mapping[str, Any]) -> tuple[Mapping[str, Any], bool]:
    """Accept either a bare parameters schema or {"parameters": ..., "strict": bool}."""
    if "parameters" in spec and set(spec) <= {"parameters", "strict", "description", "name"}:
        params = spec.get("parameters") or {}
        return params, bool(spec.get("strict", False))
    return spec, False


def classify_tools(
    old: Mapping[str, Mapping[str, Any]], new: Mapping[str, Mapping[str, Any]]
) -> dict[str, Verdict]:
    """Verdict per tool name over the union of old and new tools.

    Formats are read as assertions for a tool that is strict on either side (OpenAI enforces them during
    generation), as annotations otherwise, following Draft 2020-12.
    """
    out: dict[str, Verdict] = {}
    removed = [n for n in old if n not in new]
    added = [n for n in new if n not in old]
    by_params: dict[str, list[str]] = {}
    for name in removed:
        by_params.setdefault(canonical(_split(old[name])[0]), []).append(name)
    renamed_to: dict[str, str] = {}
    for name in added:
        twins = by_params.get(canonical(_split(new[name])[0]))
        if twins:
            renamed_to[twins.pop(0)] = name
    renamed_from = {v: k for k, v in renamed_to.items()}
    for name in old:
        if name in new:
            (po, so), (pn, sn) = _split(old[name]), _split(new[name])
            verdict = classify(po, pn, format_assertion=so or sn)
            if so != sn:
                verdict = _strict_flip(verdict, so, sn)
            out[name] = verdict
        elif name in renamed_to:
            message = f"renamed to {renamed_to[name]!r} (same parameters); old threads still call {name!r}"
            out[name] = _tool(name, TOOL_RENAMED, Compat.NO, Compat.YES, message)
        else:
            out[name] = _tool(
                name, TOOL_REMOVED, Compat.NO, Compat.YES, "tool removed; old threads still call it"
            )
    for name in added:
        if name in renamed_from:
            message = (
                f"renamed from {renamed_from[name]!r} (same parameters); the old handler does not know it"
            )
            out[name] = _tool(name, TOOL_RENAMED, Compat.YES, Compat.NO, message)
        else:
            out[name] = _tool(
                name, TOOL_ADDED, Compat.YES, Compat.NO, "tool added; the old handler does not know it"
            )
    return out


def _tool(name: str, rule: str, backward: Compat, forward: Compat, message: str) -> Verdict:
    return Verdict(backward, forward, (Finding(f"tool:{name}", rule, backward, forward, message),))


def _strict_flip(verdict: Verdict, was: bool, now: bool) -> Verdict:
    """Turning strict on makes the model obey the schema; turning it off lets the model stray from it, so the
    handler can no longer rely on what the schema promises (forward not proven)."""
    if was and not now:
        message = "strict mode turned off: the model's arguments are no longer held to the schema"
        finding = Finding("", "STRICT-OFF", Compat.YES, Compat.UNKNOWN, message)
        forward = Compat.UNKNOWN if verdict.forward is Compat.YES else verdict.forward
        return Verdict(verdict.backward, forward, (*verdict.findings, finding))
    return verdict
