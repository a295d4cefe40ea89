"""Carry an Assistants-era export over into manifests: `reconcile import --from-export FILE... --write DIR`.

OpenAI switched the Assistants API off on 2026-08-26; what a team keeps of its assistants is the JSON the
SDK returned for `assistants.list()` and `vector_stores.list()`. This reads such exports
(`manifest.legacy_export`), turns each object into a neutral spec as a live object of the Assistants v2
target is turned (`targets.wire` reads that wire format, `plan.normalise` makes it neutral), and writes it
with the writer the live `import` uses (`manifest.export`). No platform and no state store is touched:
`reconcile plan` then shows every object as a creation on the project's target.

What an export cannot say is said, not guessed: a vector store's files (each written store lists none,
and its file says how to add them), a vector store an assistant uses that the export lacks (left out, with
a warning), code-interpreter files and file_search settings (warnings).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reconciler.errors import UserError
from reconciler.manifest import export
from reconciler.manifest.legacy_export import ASSISTANT, ExportedObject, read_exports
from reconciler.manifest.project import manifests_directory, project_config
from reconciler.model.desired import Kind
from reconciler.plan import normalise
from reconciler.targets import wire
from reconciler.words import count

FILES_NOTE = (
    "an export does not say which files a vector store holds: each VectorStore written lists none "
    "(`files: []`). List the documents under `files:` (paths relative to the manifest, e.g. "
    "`- path: ../files/policy.pdf`) before `reconcile apply`, or the store is created empty."
)


@dataclass(frozen=True)
class Migrated:
    """One object of an export and the manifest file written for it."""

    kind: Kind
    platform_id: str
    name: str
    where: str
    written: Path
    note: str = ""


@dataclass(frozen=True)
class Migration:
    written: list[Migrated]
    warnings: list[str]
    notes: list[str]


@dataclass
class _File:
    kind: Kind
    obj: ExportedObject
    name: str
    filename: str
    documents: list[dict[str, Any]]
    comment: str
    note: str = ""


@dataclass
class _Names:
    """Document names per kind and file names, each given once (`Helper`, then `Helper-asst_...`)."""

    taken: dict[Kind, set[str]] = field(default_factory=dict)
    files: set[str] = field(default_factory=set)

    def name(self, kind: Kind, wanted: str | None, platform_id: str, warnings: list[str]) -> str:
        taken = self.taken.setdefault(kind, set())
        name = export.document_name(wanted, platform_id)
        if name in taken:
            other = f"{name[: 63 - len(platform_id)]}-{platform_id}"
            warnings.append(f"two {kind.value}s are named {name!r}: {platform_id} is written as {other!r}")
            name = other
        taken.add(name)
        return name

    def filename(self, name: str, kind: Kind) -> str:
        # Compared without case: on macOS and Windows `Helper.yaml` and `helper.yaml` are one file.
        filename = f"{name}.yaml"
        if filename.lower() in self.files:
            filename = f"{name}.{'vector-store' if kind is Kind.VECTOR_STORE else 'assistant'}.yaml"
        self.files.add(filename.lower())
        return filename


def import_export(files: Sequence[Path], write_dir: Path, *, directory: Path | None = None) -> Migration:
    """Write the manifests of every assistant and vector store in `files` into `write_dir`, which must lie
    inside the project containing `directory` (default: the working directory). Everything is read and
    converted before the first file is written; an existing file is never overwritten."""
    config = project_config(directory)
    export.check_write_directory(write_dir, config.root)
    read = read_exports(files)
    warnings = list(read.warnings)
    objects = _unique(read.objects, warnings)
    names = _Names()
    store_names: dict[str, str] = {}
    planned = [_store(o, names, store_names, warnings) for o in objects if o.kind != ASSISTANT]
    tools: dict[str, tuple[dict[str, Any], str]] = {}
    planned += [_assistant(o, names, store_names, tools, warnings) for o in objects if o.kind == ASSISTANT]
    for item in planned:
        if (write_dir / item.filename).exists():
            raise UserError(f"{write_dir / item.filename} exists; not overwriting it (nothing was written)")
    written = [
        Migrated(
            item.kind,
            item.obj.id,
            item.name,
            item.obj.where,
            export.write_documents(
                write_dir, item.filename, item.documents, root=config.root, comment=item.comment
            ),
            item.note,
        )
        for item in planned
    ]
    notes = [FILES_NOTE] if any(m.kind is Kind.VECTOR_STORE for m in written) else []
    manifests = manifests_directory(config)
    if written and (manifests is None or not _below(write_dir, manifests)):
        notes.append(
            f"{write_dir} is outside the manifests directory ({config.manifests}): validate and plan read "
            "only that directory, so move the files there"
        )
    return Migration(written, warnings, notes)


def _unique(objects: list[ExportedObject], warnings: list[str]) -> list[ExportedObject]:
    """Each id once, as first found: overlapping exports (two runs of the same listing) are common."""
    first: dict[str, ExportedObject] = {}
    for obj in objects:
        seen = first.setdefault(obj.id, obj)
        if seen is not obj and seen.data != obj.data:
            warnings.append(f"{obj.id} is in {seen.where} and, different, in {obj.where}: the first is used")
    return list(first.values())


def _store(obj: ExportedObject, names: _Names, store_names: dict[str, str], warnings: list[str]) -> _File:
    live = wire.live_vector_store(obj.data)
    name = names.name(Kind.VECTOR_STORE, normalise.labels_name(live.metadata) or live.name, live.id, warnings)
    store_names[live.id] = name
    spec = normalise.vector_store_spec(live, {"type": "auto"})
    total = int((obj.data.get("file_counts") or {}).get("total") or 0)
    held = f"it held {count(total, 'file')} at export time" if total else "it held no file at export time"
    comment = (
        f"Imported from {obj.where} (vector store {live.id}; {held}).\n"
        "An export does not say which files a vector store holds: list them under `files:`, as paths\n"
        "relative to this file, for example\n"
        "  files:\n"
        "    - path: ../files/policy.pdf\n"
        "      attributes: {year: 2026}\n"
        "`reconcile apply` uploads and attaches them; with `files: []` the store is created empty.\n"
        f"If {live.id} still exists on the platform, `reconcile import vector-store {live.id}`\n"
        "adopts it, with its files, instead."
    )
    note = f"{count(total, 'file')} to list under files:" if total else ""
    documents = [export.vector_store_document(name, spec)]
    filename = names.filename(name, Kind.VECTOR_STORE)
    return _File(Kind.VECTOR_STORE, obj, name, filename, documents, comment, note)


def _assistant(
    obj: ExportedObject,
    names: _Names,
    store_names: dict[str, str],
    tools: dict[str, tuple[dict[str, Any], str]],
    warnings: list[str],
) -> _File:
    live = wire.live_assistant(obj.data)
    named = f"{obj.where} ({live.id})"
    for missing in (i for i in live.file_search_vector_store_ids if i not in store_names):
        warnings.append(
            f"{named} uses vector store {missing}, which is not in the export: left out of "
            "toolResources.fileSearch.vectorStores (add that store's export to the command to keep it)"
        )
    kept = tuple(i for i in live.file_search_vector_store_ids if i in store_names)
    live = live.model_copy(update={"file_search_vector_store_ids": kept})
    if live.code_interpreter_file_ids:
        warnings.append(
            f"{named}: its {count(len(live.code_interpreter_file_ids), 'code_interpreter file')} "
            f"({', '.join(live.code_interpreter_file_ids)}) cannot be carried over (an export holds no file "
            "content): list them under toolResources.codeInterpreter.files as project paths"
        )
    if any(t.get("type") == "file_search" and t.get("file_search") for t in obj.data.get("tools") or []):
        warnings.append(f"{named}: its file_search settings (max_num_results, ranking) are not carried over")
    name = names.name(Kind.ASSISTANT, normalise.labels_name(live.metadata) or live.name, live.id, warnings)
    spec = normalise.assistant_spec(live, store_names, {})
    # Created anew (on the live platform, as release bundles): immutable versions, which every flavour takes.
    documents = export.assistant_documents(name, spec, store_names, in_place=False)
    own = [documents[0]]
    for tool in documents[1:]:  # FunctionTool documents: a project has one of each name
        tool_name = tool["metadata"]["name"]
        first = tools.setdefault(tool_name, (tool, named))
        if first[0] is tool:
            own.append(tool)
        elif first[0] != tool:
            raise UserError(
                f"function tool {tool_name!r} of {named} differs from the one of {first[1]}: a project "
                "holds one FunctionTool of a name; make the two agree in the export and import again "
                "(nothing was written)"
            )
    comment = f"Imported from {obj.where} (assistant {live.id})."
    return _File(Kind.ASSISTANT, obj, name, names.filename(name, Kind.ASSISTANT), own, comment)


def _below(path: Path, directory: Path) -> bool:
    resolved, top = path.resolve(), directory.resolve()
    return resolved == top or top in resolved.parents
