"""Lint: warnings about manifests that are valid but probably not what the author wants.

Rules: a model not pinned to a dated snapshot, a model that shuts down within six months
(`deprecations`), empty instructions, a function tool without a description, a tool or vector store no
assistant uses, an AnalysisTemplate no rollout uses. `--strict` makes them errors. A model already shut
down is an error without `--strict`: the platform refuses it, so a plan with it could not be applied.
Lint judges only documents that loaded; while a document that might be an Assistant failed to load, what
the assistants use is not known, and no tool, vector store or template is called unused.
"""

from __future__ import annotations

import re
from datetime import date

from reconciler.errors import Severity
from reconciler.manifest import deprecations
from reconciler.manifest.documents import Document
from reconciler.manifest.problems import Collector
from reconciler.manifest.specs import AssistantSpec, FunctionToolSpec

# Dated snapshots: gpt-5.5-2026-04-23, o3-2025-04-16, and the older gpt-4-0613 / gpt-3.5-turbo-0125 style.
_PINNED = re.compile(r"-(\d{4}-\d{2}-\d{2}|\d{4})$")
WARN = Severity.WARNING


def lint(docs: list[Document], collector: Collector, *, as_of: date, uses_known: bool = True) -> None:
    """Warnings about `docs`; `uses_known` False skips the rule that needs every assistant's uses."""
    used_tools: set[str] = set()
    used_stores: set[str] = set()
    used_templates: set[str] = set()
    for doc in docs:
        spec = doc.spec
        if not isinstance(spec, AssistantSpec):
            continue
        _assistant(doc, spec, collector, as_of)
        used_tools.update(spec.tools)
        used_templates.update(_templates(spec))
        if spec.tool_resources is not None and spec.tool_resources.file_search is not None:
            used_stores.update(spec.tool_resources.file_search.vector_stores)
    for doc in docs:
        spec = doc.spec
        if isinstance(spec, FunctionToolSpec) and not (spec.description or "").strip():
            collector.at(
                doc.file,
                doc.root,
                ["spec", "description"],
                "lint.tool-description",
                f"FunctionTool {doc.name!r} has no description; the model chooses tools by it",
                severity=WARN,
            )
        unused = uses_known and (
            (doc.kind == "FunctionTool" and doc.name not in used_tools)
            or (doc.kind == "VectorStore" and doc.name not in used_stores)
            or (doc.kind == "AnalysisTemplate" and doc.name not in used_templates)
        )
        if unused:
            by = "any rollout" if doc.kind == "AnalysisTemplate" else "any assistant"
            collector.at(
                doc.file,
                doc.root,
                ["metadata", "name"],
                "lint.unused",
                f"{doc.kind} {doc.name!r} is not used by {by}",
                severity=WARN,
            )


def _templates(spec: AssistantSpec) -> set[str]:
    """The AnalysisTemplates an assistant's rollout names, in its steps and in the background."""
    rollout = spec.rollout
    if rollout is None:
        return set()
    refs = [step.analysis for step in rollout.steps if step.analysis is not None]
    if rollout.analysis is not None:
        refs.append(rollout.analysis)
    return {t.template_name for ref in refs for t in ref.templates}


def _assistant(doc: Document, spec: AssistantSpec, collector: Collector, as_of: date) -> None:
    where = ["spec", "model"]
    if not _PINNED.search(spec.model):
        message = (
            f"model {spec.model!r} is an alias that moves; pin a dated snapshot (e.g. gpt-5.5-2026-04-23)"
        )
        collector.at(doc.file, doc.root, where, "lint.model-unpinned", message, severity=WARN)
    verdict = deprecations.status(spec.model, as_of)
    if verdict is not None:
        severity = Severity.ERROR if verdict.shut_down else WARN
        collector.at(doc.file, doc.root, where, verdict.code, verdict.message, severity=severity)
    if spec.instructions_file is None and not (spec.instructions or "").strip():
        collector.at(
            doc.file,
            doc.root,
            ["spec", "instructions"],
            "lint.instructions-empty",
            f"Assistant {doc.name!r} has empty instructions",
            severity=WARN,
        )
