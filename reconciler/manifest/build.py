"""Checked documents to `DesiredState`: names made unique, references resolved, files read and hashed.

Every dangling reference, duplicate name or refused path is a problem in the collector; the state built
alongside is only used when the collector ends without errors.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

from reconciler.manifest import checks
from reconciler.manifest.documents import Document
from reconciler.manifest.paths import (
    CODE_INTERPRETER_EXTENSIONS,
    FILE_SEARCH_EXTENSIONS,
    PathIssue,
    ResolvedFile,
    resolve,
    sha256,
)
from reconciler.manifest.problems import Collector
from reconciler.manifest.specs import (
    AssistantSpec,
    FunctionToolSpec,
    JsonSchemaFormat,
    SpendAlertSpec,
    SpendLimitSpec,
    VectorStoreSpec,
)
from reconciler.manifest.yaml_loader import YMap, load_documents
from reconciler.model import desired as d

BUILTINS = {b.value: b for b in d.BuiltinTool}
MAX_TOOLS = 128
MAX_CODE_INTERPRETER_FILES = 20
MAX_INSTRUCTIONS = 256_000
EMPTY_PARAMETERS: dict[str, Any] = {"type": "object", "properties": {}}


def cents(dollars: float) -> int:
    """Whole cents from a dollar amount already checked to have at most two decimals."""
    return int(Decimal(repr(float(dollars))) * 100)


class Builder:
    def __init__(self, root: Path, collector: Collector) -> None:
        self.root = root
        self.c = collector
        self._hashes: dict[Path, str] = {}
        self._stores: set[str] = set()

    def build(self, docs: list[Document]) -> d.DesiredState:
        unique = self._unique(docs)
        self._stores = {doc.name for doc in unique if doc.kind == "VectorStore"}
        tools = {doc.name: self._function_tool(doc) for doc in unique if doc.kind == "FunctionTool"}
        out: dict[str, dict[str, Any]] = {
            k: {} for k in ("assistants", "function_tools", "vector_stores", "spend_alerts", "spend_limits")
        }
        for doc in unique:
            if doc.kind == "FunctionTool":
                tool = tools[doc.name]
                if tool is not None:
                    out["function_tools"][doc.name] = tool
            elif doc.kind == "VectorStore":
                out["vector_stores"][doc.name] = self._vector_store(doc)
            elif doc.kind == "Assistant":
                out["assistants"][doc.name] = self._assistant(doc, unique, tools)
            elif isinstance(doc.spec, SpendAlertSpec):
                s = doc.spec
                out["spend_alerts"][doc.name] = d.SpendAlert(
                    name=doc.name,
                    protect=s.protect,
                    scope=s.scope,
                    threshold_cents=cents(s.threshold_usd),
                    interval=s.interval,
                    emails=tuple(s.notify.email),
                    subject_prefix=s.subject_prefix,
                )
            elif isinstance(doc.spec, SpendLimitSpec):
                s2 = doc.spec
                out["spend_limits"][doc.name] = d.SpendLimit(
                    name=doc.name,
                    protect=s2.protect,
                    scope=s2.scope,
                    amount_cents=cents(s2.amount_usd),
                    interval=s2.interval,
                )
        sources = {doc.key: doc.source for doc in unique}
        return d.DesiredState(**out, sources=sources)

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

    def _text(self, doc: Document, path: list[str | int], raw: str) -> str | None:
        found = resolve(raw, doc.directory, self.root)
        if isinstance(found, PathIssue):
            self.c.at(doc.file, doc.root, path, found.code, found.message)
            return None
        try:
            return found[0].path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            self.c.at(doc.file, doc.root, path, "file.encoding", f"{raw!r} is not UTF-8 text")
            return None

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
        text = self._text(doc, where, raw)
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

    def _assistant(
        self, doc: Document, docs: list[Document], tools: dict[str, d.FunctionTool | None]
    ) -> d.Assistant:
        spec = doc.spec
        assert isinstance(spec, AssistantSpec)
        c, file, root = self.c, doc.file, doc.root
        checks.exclusive(c, file, root, ["spec"], "instructions", "instructionsFile")
        checks.metadata(c, file, root, ["spec", "metadata"])
        if spec.rollout is not None:
            checks.rollout(c, file, root, spec.rollout)
        instructions = spec.instructions or ""
        if spec.instructions_file is not None and spec.instructions is None:
            instructions = self._text(doc, ["spec", "instructionsFile"], spec.instructions_file) or ""
        if len(instructions) > MAX_INSTRUCTIONS:
            c.at(
                file,
                root,
                ["spec"],
                "assistant.instructions-too-long",
                f"instructions are {len(instructions)} characters; at most {MAX_INSTRUCTIONS}",
            )
        stores = self._stores
        functions: list[d.FunctionTool] = []
        builtins: list[d.BuiltinTool] = []
        seen: set[str] = set()
        function_names: dict[str, str] = {}
        if len(spec.tools) > MAX_TOOLS:
            c.at(
                file,
                root,
                ["spec", "tools"],
                "assistant.too-many-tools",
                f"spec.tools: {len(spec.tools)} tools; at most {MAX_TOOLS}",
            )
        for index, name in enumerate(spec.tools):
            path: list[str | int] = ["spec", "tools", index]
            if name in seen:
                c.at(file, root, path, "ref.duplicate", f"spec.tools[{index}]: {name!r} is listed twice")
                continue
            seen.add(name)
            if name in BUILTINS:
                builtins.append(BUILTINS[name])
            elif name in tools:
                tool = tools[name]
                if tool is not None and tool.name in function_names:
                    other = function_names[tool.name]
                    message = (
                        f"spec.tools[{index}]: {name!r} and {other!r} both define function {tool.name!r}"
                    )
                    c.at(file, root, path, "tool.duplicate-function-name", message)
                elif tool is not None:
                    function_names[tool.name] = name
                    functions.append(tool)
            else:
                c.at(
                    file,
                    root,
                    path,
                    "ref.dangling",
                    f"spec.tools[{index}]: no FunctionTool named {name!r} "
                    "(built-ins: file_search, code_interpreter)",
                )
        resources = spec.tool_resources
        vector_stores: list[str] = []
        ci_files: list[d.SourceFile] = []
        if resources is not None and resources.file_search is not None:
            base: list[str | int] = ["spec", "toolResources", "fileSearch"]
            if "file_search" not in seen:
                c.at(
                    file,
                    root,
                    base,
                    "ref.tool-missing",
                    "spec.toolResources.fileSearch: add file_search to spec.tools",
                    key=True,
                )
            if len(resources.file_search.vector_stores) > 1:
                c.at(
                    file,
                    root,
                    [*base, "vectorStores"],
                    "assistant.too-many-vector-stores",
                    "spec.toolResources.fileSearch.vectorStores: an assistant takes at most 1 vector store",
                )
            for index, name in enumerate(resources.file_search.vector_stores):
                if name not in stores:
                    c.at(
                        file,
                        root,
                        [*base, "vectorStores", index],
                        "ref.dangling",
                        f"spec.toolResources.fileSearch.vectorStores[{index}]: no VectorStore named {name!r}",
                    )
                vector_stores.append(name)
        if resources is not None and resources.code_interpreter is not None:
            base = ["spec", "toolResources", "codeInterpreter"]
            if "code_interpreter" not in seen:
                c.at(
                    file,
                    root,
                    base,
                    "ref.tool-missing",
                    "spec.toolResources.codeInterpreter: add code_interpreter to spec.tools",
                    key=True,
                )
            for index, raw in enumerate(resources.code_interpreter.files):
                ci_files += self.files(
                    doc,
                    [*base, "files", index],
                    raw,
                    glob=False,
                    allowed=CODE_INTERPRETER_EXTENSIONS,
                    tool="code_interpreter",
                )
            if len(ci_files) > MAX_CODE_INTERPRETER_FILES:
                c.at(
                    file,
                    root,
                    [*base, "files"],
                    "assistant.too-many-files",
                    f"spec.toolResources.codeInterpreter.files: {len(ci_files)} files; "
                    f"at most {MAX_CODE_INTERPRETER_FILES}",
                )
        response_format: str | dict[str, Any] | None = None
        if isinstance(spec.response_format, JsonSchemaFormat):
            rf = spec.response_format
            checks.json_schema(
                c,
                file,
                root,
                ["spec", "responseFormat", "schema"],
                rf.json_schema,
                strict=rf.strict,
                what="spec.responseFormat.schema",
            )
            response_format = {
                "type": "json_schema",
                "json_schema": {
                    "name": rf.name,
                    "description": rf.description,
                    "schema": dict(rf.json_schema),
                    "strict": rf.strict,
                },
            }
        else:
            response_format = spec.response_format
        rollout = d.Rollout()
        if spec.rollout is not None:
            steps = tuple(_step(s.weight, s.pause) for s in spec.rollout.steps)
            rollout = d.Rollout(strategy=spec.rollout.strategy, steps=steps)
        return d.Assistant(
            name=doc.name,
            protect=spec.protect,
            model=spec.model,
            instructions=instructions,
            description=spec.description,
            functions=tuple(functions),
            builtins=tuple(builtins),
            file_search_vector_stores=tuple(vector_stores),
            code_interpreter_files=tuple(ci_files),
            temperature=spec.temperature,
            top_p=spec.top_p,
            response_format=response_format,
            reasoning_effort=spec.reasoning_effort,
            metadata=dict(spec.metadata),
            versioning=spec.versioning,
            compatibility=spec.compatibility,
            accept_breaking=spec.accept_breaking,
            rollout=rollout,
        )


_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def _step(weight: int | None, pause: str | None) -> d.CanaryStep:
    if pause is None:
        return d.CanaryStep(weight=weight)
    if pause == "indefinite":
        return d.CanaryStep(pause_indefinitely=True)
    return d.CanaryStep(pause_seconds=int(pause[:-1]) * _SECONDS[pause[-1]])


def _is_function_name(name: str) -> bool:
    import re

    return re.fullmatch(r"[a-zA-Z0-9_-]{1,64}", name) is not None
