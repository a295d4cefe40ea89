"""Finds manifest files and splits them into documents: `apiVersion`, `kind`, `metadata.name`, `spec`.

A directory is read recursively in sorted order (hidden entries and the project file skipped); each file
may hold several documents. Files are read through `paths.read_confined`: inside the project root, regular,
bounded in size. The envelope is checked here; each kind's `spec` is checked by `specs.py`.

A document that fails to load is still checked as far as it can be read (every problem in one run), and
is named in a `Broken` record, so that checks across documents neither call a reference to it dangling
nor warn about what it might have used.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from reconciler import words
from reconciler.config import PROJECT_FILE
from reconciler.manifest import checks
from reconciler.manifest.paths import PathIssue, is_inside, read_text_confined
from reconciler.manifest.problems import Collector
from reconciler.manifest.spec_base import API_VERSION, NAME_PATTERN, Spec
from reconciler.manifest.specs import SPECS
from reconciler.manifest.yaml_loader import Pos, YMap, load_documents

MANIFEST_SUFFIXES = (".yaml", ".yml")
# The kinds a manifest may hold: the platform objects, and AnalysisTemplate, which only rollouts read.
MANAGED_KINDS = ("Assistant", "FunctionTool", "VectorStore", "SpendAlert", "SpendLimit", "AnalysisTemplate")
_ENVELOPE = ("apiVersion", "kind", "metadata", "spec")
_NAME = re.compile(NAME_PATTERN)


@dataclass(frozen=True)
class Document:
    """One checked document. `file` is POSIX and relative to the project root; `directory` is absolute."""

    file: str
    directory: Path
    kind: str
    name: str
    root: YMap
    spec: Spec
    pos: Pos

    @property
    def key(self) -> str:
        return f"{self.kind}/{self.name}"

    @property
    def source(self) -> str:
        return f"{self.file}:{self.pos[0]}"


@dataclass(frozen=True)
class Broken:
    """A document that failed to load, or a file or directory that could not be read (kind None).

    `kind` and `name` are what the document's text says, when it says them as strings; `root` is the
    data as far as it was read (None for a file or directory)."""

    file: str
    kind: str | None = None
    name: str | None = None
    root: Any = None


def manifest_files(
    directory: Path, root: Path, collector: Collector, broken: list[Broken] | None = None
) -> Iterator[Path]:
    """YAML files below `directory`: a directory's files in sorted order, then its subdirectories.

    Hidden entries and the root's project file are skipped. A symlinked subdirectory is followed when its
    real path stays inside the root, and refused (a problem) when it leads out. Each real directory and
    file is visited once, so a link can neither loop nor read a file twice.
    """
    real_root = os.path.realpath(root)
    seen = {os.path.realpath(root / PROJECT_FILE)}
    stack = [directory]
    while stack:
        current = stack.pop()
        real = os.path.realpath(current)
        if real in seen:
            continue
        seen.add(real)
        try:
            entries = sorted(os.scandir(current), key=lambda e: e.name)
        except OSError as error:
            collector.add(relative(current, root), None, "file.unreadable", f"cannot read: {error.strerror}")
            if broken is not None:
                broken.append(Broken(relative(current, root)))
            continue
        subdirectories: list[Path] = []
        for entry in entries:
            path = current / entry.name
            if entry.name.startswith("."):
                continue
            if _is_directory(entry):
                if is_inside(os.path.realpath(path), real_root):
                    subdirectories.append(path)
                else:
                    message = "directory symlink leads outside the project root; manifests stay inside it"
                    collector.add(relative(path, root), None, "path.symlink-escape", message)
                    if broken is not None:
                        broken.append(Broken(relative(path, root)))
            elif entry.name.endswith(MANIFEST_SUFFIXES):
                real_file = os.path.realpath(path)
                if real_file not in seen:
                    seen.add(real_file)
                    yield path
        stack.extend(reversed(subdirectories))


def _is_directory(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_dir()  # follows a symlink; stat, never open, so a FIFO cannot block it
    except OSError:
        return False


def relative(path: Path, root: Path) -> str:
    return Path(os.path.relpath(path, root)).as_posix()


def read_file(
    path: Path,
    root: Path,
    collector: Collector,
    *,
    project_file: bool = False,
    broken: list[Broken] | None = None,
) -> list[Document]:
    """The valid documents of one file; every problem goes to `collector`, and what failed to load to
    `broken` (a syntax error or an unreadable file as one record without a kind: what it held is unknown)."""
    failed: list[Broken] = [] if broken is None else broken
    file = relative(path, root)
    text = read_text_confined(path, root)
    if isinstance(text, PathIssue):
        collector.add(file, (1, 1), text.code, text.message)
        failed.append(Broken(file))
        return []
    docs, issues = load_documents(text)
    for issue in issues:
        collector.add(file, (issue.line, issue.column), issue.code, issue.message)
    if any(issue.code == "yaml.syntax" for issue in issues):
        failed.append(Broken(file))  # text the parser skipped may hold any document
    out: list[Document] = []
    for doc in docs:
        if not doc.damaged:
            checked = _document(file, path.parent, doc.root, doc.pos, collector, project_file=project_file)
            if checked is not None:
                out.append(checked)
                continue
        else:
            # Checked for its other problems, except where the YAML problem left no value as written.
            found = Collector()
            whole = doc.cut_line == 0  # no syntax error cut it short: its parameters are as written
            _document(
                file,
                path.parent,
                doc.root,
                doc.pos,
                found,
                project_file=project_file,
                fails=True,
                whole=whole,
            )
            collector.problems += [
                p for p in found.problems if not doc.is_unsure(p.location.line, p.location.column)
            ]
        failed.append(_broken(file, doc.root))
    return out


def _broken(file: str, root: Any) -> Broken:
    if not isinstance(root, YMap):
        return Broken(file)
    kind = root.get("kind")
    metadata = root.get("metadata")
    name = metadata.get("name") if isinstance(metadata, YMap) else None
    return Broken(
        file,
        kind if isinstance(kind, str) else None,
        name if isinstance(name, str) and _NAME.match(name) else None,
        root,
    )


def _document(
    file: str,
    directory: Path,
    root: Any,
    pos: Pos,
    collector: Collector,
    *,
    project_file: bool,
    fails: bool = False,
    whole: bool = True,
) -> Document | None:
    """The document, or None when it fails to load (`fails`: a YAML problem fails it whatever this
    finds). One that fails is still checked as far as it can be: a FunctionTool's inline `parameters`
    too, which `build` checks only in documents that load, unless a syntax error cut the document
    (`whole` False), which may leave a schema that only seems wrong (a `required` list cut short)."""
    checked = _checked(file, directory, root, pos, collector, project_file=project_file)
    failed = fails or checked is None
    if failed and whole and isinstance(root, YMap) and root.get("kind") == "FunctionTool":
        _tool_parameters(file, root, collector)
    return checked


def _tool_parameters(file: str, root: YMap, collector: Collector) -> None:
    """The JSON Schema checks of a FunctionTool that failed to load, as `build` makes them of one that
    loads (strict rules only when `strict` is plainly true)."""
    spec = root.get("spec")
    parameters = spec.get("parameters") if isinstance(spec, YMap) else None
    if not isinstance(spec, YMap) or not isinstance(parameters, YMap):
        return
    strict = spec.get("strict") is True
    checks.json_schema(
        collector, file, root, ["spec", "parameters"], parameters, strict=strict, what="spec.parameters"
    )


def _checked(
    file: str, directory: Path, root: Any, pos: Pos, collector: Collector, *, project_file: bool
) -> Document | None:
    if not isinstance(root, YMap):
        collector.add(
            file,
            pos,
            "document.not-mapping",
            "a document must be a mapping with apiVersion, kind, metadata, spec",
        )
        return None
    ok = True
    for key in root:
        if key not in _ENVELOPE:
            message = f"{key}: unknown field{words.did_you_mean(key, _ENVELOPE)}"
            collector.at(file, root, [key], "field.unknown", message, key=True)
            ok = False
    for key in _ENVELOPE:
        if key not in root:
            collector.add(file, root.pos, "field.required", f"{key}: required field is missing")
            ok = False
    if "apiVersion" in root and root["apiVersion"] != API_VERSION:
        message = f"apiVersion: expected {API_VERSION!r}, got {words.value(root['apiVersion'])}"
        collector.at(file, root, ["apiVersion"], "document.api-version", message)
        ok = False
    kind = root.get("kind")
    allowed = ("Project",) if project_file else MANAGED_KINDS
    if "kind" in root and kind not in allowed:
        if kind == "Project":
            message = f"kind: Project belongs in {PROJECT_FILE} at the project root"
        else:
            hint = words.did_you_mean(kind, allowed) if isinstance(kind, str) else ""
            message = f"kind: unknown kind {words.value(kind)} (expected one of {', '.join(allowed)}){hint}"
        collector.at(file, root, ["kind"], "document.kind", message)
        ok = False
    name = _name(file, root, collector)
    spec_data = root.get("spec")
    if "spec" in root and not isinstance(spec_data, YMap):
        collector.at(file, root, ["spec"], "field.type", "spec: must be a mapping")
        ok = False
    if not isinstance(kind, str) or kind not in allowed or not isinstance(spec_data, YMap):
        return None
    # The spec is checked even when the envelope is wrong: one run shows every problem.
    try:
        spec = SPECS[kind].model_validate(spec_data)
    except ValidationError as error:
        collector.pydantic(file, root, ["spec"], error, SPECS[kind])
        return None
    if not ok or name is None:
        return None
    return Document(file, directory, kind, name, root, spec, pos)


def _name(file: str, root: YMap, collector: Collector) -> str | None:
    metadata = root.get("metadata")
    if metadata is None and "metadata" not in root:
        return None
    if not isinstance(metadata, YMap):
        collector.at(file, root, ["metadata"], "field.type", "metadata: must be a mapping with a name")
        return None
    for key in metadata:
        if key != "name":
            message = f"metadata.{key}: unknown field{words.did_you_mean(key, ['name'])}"
            collector.at(file, root, ["metadata", key], "field.unknown", message, key=True)
    name = metadata.get("name")
    if "name" not in metadata:
        collector.at(file, root, ["metadata"], "field.required", "metadata.name: required field is missing")
        return None
    if not isinstance(name, str) or not _NAME.match(name):
        message = f"metadata.name: {words.value(name)} must match {NAME_PATTERN}"
        collector.at(file, root, ["metadata", "name"], "document.name", message)
        return None
    return name
