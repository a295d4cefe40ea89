"""Checked documents to `DesiredState`: names made unique, references resolved, files read and hashed.

Every dangling reference, duplicate name or refused path is a problem in the collector; the state built
alongside is only used when the collector ends without errors. Documents that failed to load take part
as names (`Broken`), so that a reference to one is not reported as a second problem. Assistants are built
in `assistant_refs.py`, AnalysisTemplates (not platform objects: the planner never reads them) in
`analysis_checks.py`.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

from reconciler.manifest import checks
from reconciler.manifest.analysis_checks import build_template
from reconciler.manifest.assistant_refs import build_assistant, check_references
from reconciler.manifest.cost_build import build_costs
from reconciler.manifest.documents import Broken, Document
from reconciler.manifest.paths import (
    FILE_SEARCH_EXTENSIONS,
    PathIssue,
    ResolvedFile,
    read_text_confined,
    resolve,
    sha256,
)
from reconciler.manifest.problems import Collector
from reconciler.manifest.spec_base import Spec
from reconciler.manifest.specs import (
    FunctionToolSpec,
    SpendAlertSpec,
    SpendLimitSpec,
    VectorStoreSpec,
)
from reconciler.manifest.upcast_build import tool_migrations
from reconciler.manifest.yaml_loader import YMap, load_documents
from reconciler.model import desired as d
from reconciler.model.rollouts import AnalysisTemplate

EMPTY_PARAMETERS: dict[str, Any] = {"type": "object", "properties": {}}


def cents(dollars: float) -> int:
    """Whole cents from a dollar amount already checked to have at most two decimals."""
    return int(Decimal(repr(float(dollars))) * 100)


def same_named(spec: Spec, kind: type[d.Resource]) -> dict[str, Any]:
    """The manifest fields the desired model holds under the same name, taken as they are: those the
    field table (`model.fields`) converts (dollars to cents, `notify.email` to emails) are set by hand."""
    return {name: value for name, value in spec if name in kind.model_fields}


class Builder:
    def __init__(self, root: Path, collector: Collector) -> None:
        self.root = root
        self.c = collector
        self._hashes: dict[Path, str] = {}
        self.stores: set[str] = set()
        # AnalysisTemplates by name, for the rollouts that use them (None: the document failed to load).
        self.templates: dict[str, AnalysisTemplate | None] = {}

    def build(
        self, docs: list[Document], broken: Sequence[Broken] = (), project: Document | None = None
    ) -> d.DesiredState:
        """The desired state of `docs`. Documents in `broken` exist but failed to load: a reference to
        one is not dangling, and an Assistant among them has its references checked. `project`, the
        project file's document, gives the cost settings' project-wide part."""
        unique = self._unique(docs)
        self.stores = {doc.name for doc in unique if doc.kind == "VectorStore"}
        self.stores |= {b.name for b in broken if b.kind == "VectorStore" and b.name is not None}
        tools: dict[str, d.FunctionTool | None] = {
            b.name: None for b in broken if b.kind == "FunctionTool" and b.name is not None
        }
        tools |= {doc.name: self._function_tool(doc) for doc in unique if doc.kind == "FunctionTool"}
        built = {doc.name: build_template(self.c, doc) for doc in unique if doc.kind == "AnalysisTemplate"}
        self.templates = {
            b.name: None for b in broken if b.kind == "AnalysisTemplate" and b.name is not None
        } | built
        for failed in broken:
            if failed.kind == "Assistant":
                check_references(self, failed, tools)
        out: dict[str, dict[str, Any]] = {
            k: {} for k in ("assistants", "function_tools", "vector_stores", "spend_alerts", "spend_limits")
        }
        out["analysis_templates"] = built
        out["tool_migrations"] = {}
        for doc in unique:
            if doc.kind == "FunctionTool":
                tool = tools[doc.name]
                if tool is not None:
                    out["function_tools"][doc.name] = tool
                    migrations = tool_migrations(self.c, doc, tool.name)
                    if migrations:
                        out["tool_migrations"][tool.name] = migrations
            elif doc.kind == "VectorStore":
                out["vector_stores"][doc.name] = self._vector_store(doc)
            elif doc.kind == "Assistant":
                out["assistants"][doc.name] = build_assistant(self, doc, tools)
            elif isinstance(doc.spec, SpendAlertSpec):
                s = doc.spec
                out["spend_alerts"][doc.name] = d.SpendAlert(
                    name=doc.name,
                    threshold_cents=cents(s.threshold_usd),
                    emails=tuple(s.notify.email),
                    **same_named(s, d.SpendAlert),
                )
            elif isinstance(doc.spec, SpendLimitSpec):
                s2 = doc.spec
                out["spend_limits"][doc.name] = d.SpendLimit(
                    name=doc.name, amount_cents=cents(s2.amount_usd), **same_named(s2, d.SpendLimit)
                )
        sources = {doc.key: doc.source for doc in unique}
        assistants = (doc for doc in unique if doc.kind == "Assistant")
        return d.DesiredState(**out, costs=build_costs(self.c, assistants, project), sources=sources)

    def _unique(self, docs: list[Document]) -> list[Document]:
        seen: dict[str, Document] = {}
        for doc in docs:
            first = seen.get(doc.key)
            if first is not None:
                message = (
                    f"duplicate {doc.kind} named {doc.name!r} (first defined at {first.file}:{first.pos[0]})"
                )
                self.c.at(doc.file, doc.root, ["metadata", "name"], "name.duplicate", message)
            else:
                seen[doc.key] = doc
        return list(seen.values())

    # --- files ---------------------------------------------------------------------------------------

    def files(
        self,
        doc: Document,
        path: list[str | int],
        raw: str,
        *,
        glob: bool,
        allowed: frozenset[str] | None,
        tool: str = "",
    ) -> list[d.SourceFile]:
        found = resolve(raw, doc.directory, self.root, allow_glob=glob)
        if isinstance(found, PathIssue):
            self.c.at(doc.file, doc.root, path, found.code, found.message)
            return []
        out: list[d.SourceFile] = []
        for item in found:
            if allowed is not None and item.path.suffix.lower() not in allowed:
                message = f"{item.relative}: {tool} cannot index {item.path.suffix or 'extensionless'} files"
                self.c.at(doc.file, doc.root, path, "file.unsupported-type", message)
                continue
            out.append(d.SourceFile(path=item.relative, sha256=self._hash(item), size=item.size))
        return out

    def _hash(self, item: ResolvedFile) -> str:
        if item.path not in self._hashes:
            self._hashes[item.path] = sha256(item.path)
        return self._hashes[item.path]

    def text(self, doc: Document, path: list[str | int], raw: str) -> str | None:
        found = resolve(raw, doc.directory, self.root)
        if isinstance(found, PathIssue):
            self.c.at(doc.file, doc.root, path, found.code, found.message)
            return None
        text = read_text_confined(found[0].path, self.root)
        if isinstance(text, PathIssue):
            self.c.at(doc.file, doc.root, path, text.code, f"{raw!r}: {text.message}")
            return None
        return text

    # --- kinds ---------------------------------------------------------------------------------------

    def _function_tool(self, doc: Document) -> d.FunctionTool | None:
        spec = doc.spec
        assert isinstance(spec, FunctionToolSpec)
        checks.exclusive(self.c, doc.file, doc.root, ["spec"], "parameters", "parametersFile")
        name = spec.name or doc.name
        if spec.name is None and not _is_function_name(name):
            self.c.at(
                doc.file,
                doc.root,
                ["metadata", "name"],
                "tool.name",
                f"function name {name!r} must match ^[a-zA-Z0-9_-]{{1,64}}$; set spec.name",
            )
        parameters: dict[str, Any] = (
            dict(spec.parameters) if spec.parameters is not None else EMPTY_PARAMETERS
        )
        if spec.parameters is not None:
            checks.json_schema(
                self.c,
                doc.file,
                doc.root,
                ["spec", "parameters"],
                spec.parameters,
                strict=spec.strict,
                what="spec.parameters",
            )
        elif spec.parameters_file is not None:
            loaded = self._schema_file(doc, spec.parameters_file, strict=spec.strict)
            if loaded is None:
                return None
            parameters = loaded
        return d.FunctionTool(
            name=name, description=spec.description, parameters=parameters, strict=spec.strict
        )

    def _schema_file(self, doc: Document, raw: str, *, strict: bool) -> dict[str, Any] | None:
        """A JSON or YAML schema file, checked with locations inside that file."""
        where: list[str | int] = ["spec", "parametersFile"]
        text = self.text(doc, where, raw)
        if text is None:
            return None
        found = resolve(raw, doc.directory, self.root)
        assert not isinstance(found, PathIssue)
        file = found[0].relative
        docs, issues = load_documents(text)
        for issue in issues:
            self.c.add(file, (issue.line, issue.column), issue.code, issue.message)
        if issues:
            return None
        if len(docs) != 1 or not isinstance(docs[0].root, YMap):
            self.c.at(doc.file, doc.root, where, "schema.file", f"{raw!r} must hold one JSON Schema object")
            return None
        checks.json_schema(self.c, file, docs[0].root, [], docs[0].root, strict=strict, what="parameters")
        return dict(docs[0].root)

    def _vector_store(self, doc: Document) -> d.VectorStore:
        spec = doc.spec
        assert isinstance(spec, VectorStoreSpec)
        checks.metadata(self.c, doc.file, doc.root, ["spec", "metadata"])
        files: dict[str, d.SourceFile] = {}
        for index, item in enumerate(spec.files):
            path: list[str | int] = ["spec", "files", index]
            raw = item if isinstance(item, str) else item.path
            attrs = {} if isinstance(item, str) else item.attributes
            if not isinstance(item, str):
                checks.attributes(self.c, doc.file, doc.root, [*path, "attributes"])
                path = [*path, "path"]
            for source in self.files(
                doc, path, raw, glob=True, allowed=FILE_SEARCH_EXTENSIONS, tool="file_search"
            ):
                files[source.path] = source.model_copy(update={"attributes": attrs}) if attrs else source
        chunking = d.Chunking()
        if not isinstance(spec.chunking, str):
            checks.chunking(self.c, doc.file, doc.root, spec.chunking)
            chunking = d.Chunking(
                type=spec.chunking.type,
                max_chunk_size_tokens=spec.chunking.max_chunk_size_tokens,
                chunk_overlap_tokens=spec.chunking.chunk_overlap_tokens,
            )
        return d.VectorStore(
            name=spec.name or doc.name,
            protect=spec.protect,
            files=tuple(files.values()),
            chunking=chunking,
            expires_after_days=spec.expires_after_days,
            metadata=dict(spec.metadata),
        )


def _is_function_name(name: str) -> bool:
    import re

    return re.fullmatch(r"[a-zA-Z0-9_-]{1,64}", name) is not None
