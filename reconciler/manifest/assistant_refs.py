"""An `Assistant` document to the desired assistant: tools and vector stores resolved, files read, checks.

References to FunctionTool and VectorStore documents must resolve; built-in tools must be present for the
tool resources they feed; platform limits (tools, vector stores, files, instruction length) are enforced;
the rollout is checked (`rollout_checks`, against these tools and the project's AnalysisTemplates) and built.
An Assistant document that failed to load has its references checked all the same (`check_references`).
"""

from __future__ import annotations

from collections.abc import Collection
from typing import TYPE_CHECKING, Any

from reconciler.manifest import checks, rollout_checks
from reconciler.manifest.documents import Broken, Document
from reconciler.manifest.paths import CODE_INTERPRETER_EXTENSIONS
from reconciler.manifest.rollout_build import build_rollout
from reconciler.manifest.specs import AcceptBreakingSpec, AssistantSpec, JsonSchemaFormat
from reconciler.manifest.yaml_loader import YMap, YSeq
from reconciler.model import desired as d

if TYPE_CHECKING:
    from reconciler.manifest.build import Builder

BUILTINS = {b.value: b for b in d.BuiltinTool}
MAX_TOOLS = 128
MAX_CODE_INTERPRETER_FILES = 20
MAX_INSTRUCTIONS = 256_000


def build_assistant(builder: Builder, doc: Document, tools: dict[str, d.FunctionTool | None]) -> d.Assistant:
    spec = doc.spec
    assert isinstance(spec, AssistantSpec)
    c, file, root = builder.c, doc.file, doc.root
    checks.exclusive(c, file, root, ["spec"], "instructions", "instructionsFile")
    checks.metadata(c, file, root, ["spec", "metadata"])
    instructions = spec.instructions or ""
    if spec.instructions_file is not None and spec.instructions is None:
        instructions = builder.text(doc, ["spec", "instructionsFile"], spec.instructions_file) or ""
    if len(instructions) > MAX_INSTRUCTIONS:
        c.at(
            file,
            root,
            ["spec"],
            "assistant.instructions-too-long",
            f"instructions are {len(instructions)} characters; at most {MAX_INSTRUCTIONS}",
        )
    stores = builder.stores
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
                message = f"spec.tools[{index}]: {name!r} and {other!r} both define function {tool.name!r}"
                c.at(file, root, path, "tool.duplicate-function-name", message)
            elif tool is not None:
                function_names[tool.name] = name
                functions.append(tool)
        else:
            _no_tool(builder, file, root, index, name)
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
                _no_store(builder, file, root, index, name)
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
            ci_files += builder.files(
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
        # No description is no key (as the platform echoes it), not a null the spec would refuse.
        described = {"description": rf.description} if rf.description is not None else {}
        response_format = {
            "type": "json_schema",
            "json_schema": {
                "name": rf.name,
                **described,
                "schema": dict(rf.json_schema),
                "strict": rf.strict,
            },
        }
    else:
        response_format = spec.response_format
    if spec.rollout is not None:
        # Smoke checks name functions; while a listed tool is unresolved, which it defines is unknown.
        unresolved = any(n not in BUILTINS and tools.get(n) is None for n in spec.tools)
        rollout_checks.rollout(
            c,
            file,
            root,
            spec.rollout,
            functions=None if unresolved else set(function_names),
            templates=builder.templates,
        )
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
        accept_breaking=_reason(spec.accept_breaking),
        accept_findings=_findings(spec.accept_breaking),
        rollout=build_rollout(spec.rollout),
    )


def check_references(builder: Builder, broken: Broken, tools: Collection[str]) -> None:
    """The references of an Assistant document that failed to load, as far as its text can be read: each
    tool, vector store and AnalysisTemplate it names must exist. Its other checks wait until it loads:
    they would judge data the failure may have cut short."""
    spec = broken.root.get("spec") if isinstance(broken.root, YMap) else None
    if not isinstance(spec, YMap):
        return
    named = spec.get("tools")
    if isinstance(named, YSeq):
        for index, name in enumerate(named):
            if isinstance(name, str) and name not in BUILTINS and name not in tools:
                _no_tool(builder, broken.file, broken.root, index, name)
    resources = spec.get("toolResources")
    file_search = resources.get("fileSearch") if isinstance(resources, YMap) else None
    stores = file_search.get("vectorStores") if isinstance(file_search, YMap) else None
    if isinstance(stores, YSeq):
        for index, name in enumerate(stores):
            if isinstance(name, str) and name not in builder.stores:
                _no_store(builder, broken.file, broken.root, index, name)
    rollout_checks.template_references(
        builder.c, broken.file, broken.root, spec.get("rollout"), builder.templates
    )


def _no_tool(builder: Builder, file: str, root: YMap, index: int, name: str) -> None:
    builtins = "built-ins: file_search, code_interpreter"
    message = f"spec.tools[{index}]: no FunctionTool named {name!r} ({builtins})"
    builder.c.at(file, root, ["spec", "tools", index], "ref.dangling", message)


def _no_store(builder: Builder, file: str, root: YMap, index: int, name: str) -> None:
    path: list[str | int] = ["spec", "toolResources", "fileSearch", "vectorStores", index]
    message = f"spec.toolResources.fileSearch.vectorStores[{index}]: no VectorStore named {name!r}"
    builder.c.at(file, root, path, "ref.dangling", message)


def _reason(accept: str | AcceptBreakingSpec | None) -> str | None:
    return accept.reason if isinstance(accept, AcceptBreakingSpec) else accept


def _findings(accept: str | AcceptBreakingSpec | None) -> tuple[d.BreakingFinding, ...] | None:
    """The findings a mapping-form acceptBreaking lists; None for the string form (see plan.acceptance)."""
    if not isinstance(accept, AcceptBreakingSpec):
        return None
    return tuple(d.BreakingFinding(tool=f.tool, pointer=f.pointer, rule=f.rule) for f in accept.findings)
