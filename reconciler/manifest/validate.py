"""Validation end to end: project file, manifests, references, files, schemas and lint, every problem at once.

`validate_project` never raises for bad input: it returns a report. `load_project` is what later stages
call: the same work, raising `ManifestError` with every error when there is one. A document that fails to
load is still checked as far as it can be read, and raises no follow-on problem elsewhere (`Broken`).
Both read the whole project containing the path they are given, never a part of it: a plan made from
part of the manifests would destroy the rest. `load_project` refuses a path naming only a part
(`project.covers`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from reconciler.config import PROJECT_FILE, ProjectConfig
from reconciler.errors import Location, ManifestError, Problem, ProjectNotFound, Severity, UserError
from reconciler.manifest.build import Builder
from reconciler.manifest.documents import Broken, Document, manifest_files, read_file
from reconciler.manifest.lint import lint
from reconciler.manifest.problems import Collector
from reconciler.manifest.project import covers, manifests_directory, project_root, read_project_file
from reconciler.manifest.specs import AssistantSpec
from reconciler.model.desired import DesiredState

# Kinds that use no other document: one of them failing to load hides no use of a tool or vector store.
USE_NOTHING = frozenset(
    {"FunctionTool", "VectorStore", "SpendAlert", "SpendLimit", "AnalysisTemplate", "Project"}
)


@dataclass(frozen=True)
class Project:
    """A loaded project: its settings, what its manifests ask for, and the lint warnings."""

    config: ProjectConfig
    desired: DesiredState
    warnings: list[Problem] = field(default_factory=list)


@dataclass(frozen=True)
class ValidationReport:
    """Every problem found (errors and warnings, in file order); `desired` is None when there are errors.
    `narrowed`: the path asked for names only part of the project (the whole of it was validated)."""

    config: ProjectConfig
    problems: list[Problem]
    desired: DesiredState | None
    files: int = 0
    documents: int = 0
    narrowed: bool = False

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity is Severity.ERROR]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity is Severity.WARNING]

    @property
    def ok(self) -> bool:
        return not self.errors


def validate_project(
    path: Path | None = None, *, strict: bool = False, as_of: date | None = None, target: str | None = None
) -> ValidationReport:
    """Validate the whole project containing the directory `path` (default: the working directory).
    `strict` turns lint warnings into errors; `target`, when given, must be declared in the project file."""
    collector = Collector()
    directory = Path.cwd() if path is None else Path(path)
    if not directory.is_dir():
        where = Location(str(path))
        # The location names the path already; the message says only what is wrong with it.
        what = "not a directory" if directory.exists() else "no such file or directory"
        problem = Problem(where, "project.not-a-directory", what)
        return ValidationReport(ProjectConfig(root=directory), [problem], None)
    directory = directory.resolve()
    try:
        root = project_root(directory)
    except ProjectNotFound as missing:
        problem = Problem(Location(PROJECT_FILE), "project.missing", str(missing))
        return ValidationReport(ProjectConfig(root=directory), [problem], None)
    config, project_doc = read_project_file(root, collector)
    if collector.errors:
        # Without a valid project file the manifests directory is unknown: reading from the root would
        # report every YAML file of the repository as a broken manifest. The project file's errors only.
        return ValidationReport(config, sorted(collector.problems, key=lambda p: (p.location, p.code)), None)
    if target is not None and not collector.errors and target not in config.targets:
        known = ", ".join(sorted(config.targets)) or "none"
        message = f"no target named {target!r} in {PROJECT_FILE} (known: {known})"
        collector.add(PROJECT_FILE, None, "project.target", message)
    manifests = manifests_directory(config)
    docs: list[Document] = []
    broken: list[Broken] = []
    files = 0
    if manifests is not None and manifests.is_dir():
        for file in manifest_files(manifests, root, collector, broken):
            files += 1
            docs += read_file(file, root, collector, broken=broken)
    desired = Builder(root, collector).build(docs, broken, project_doc)
    _refuse_in_place_bundles(docs, config, target, collector)
    uses_known = all(b.kind in USE_NOTHING for b in broken)
    lint(docs, collector, as_of=as_of or date.today(), uses_known=uses_known)
    problems = collector.problems
    if strict:
        problems = [Problem(p.location, p.code, p.message, Severity.ERROR) for p in problems]
    problems = sorted(problems, key=lambda p: (p.location, p.code))
    has_errors = any(p.severity is Severity.ERROR for p in problems)
    narrowed = path is not None and not covers(directory, config)
    documents = len(docs) + sum(1 for b in broken if b.root is not None)  # read, loaded or not
    return ValidationReport(config, problems, None if has_errors else desired, files, documents, narrowed)


def _refuse_in_place_bundles(
    docs: list[Document], config: ProjectConfig, target: str | None, collector: Collector
) -> None:
    """`versioning: in-place` where it will be refused: on the target named, or (none named) when every
    target keeps its versions as release bundles (`api: responses`). Plan says it too, for any target."""
    if target is not None and target not in config.targets:
        return  # refused as an unknown target already
    chosen = [config.targets[target]] if target is not None else list(config.targets.values())
    if not chosen or any(t.api != "responses" for t in chosen):
        return
    for doc in docs:
        if isinstance(doc.spec, AssistantSpec) and doc.spec.versioning == "in-place":
            message = (
                "versioning: in-place updates one platform assistant; api: responses keeps every version "
                "as an immutable release bundle (remove it, or use api: assistants-v2)"
            )
            collector.at(doc.file, doc.root, ["spec", "versioning"], "assistant.in-place-bundle", message)


def load_project(path: Path | None = None, *, as_of: date | None = None) -> Project:
    """The project at `path` (default: the one containing the working directory), or `ManifestError`
    carrying every problem (warnings included). `UserError` when `path` names only part of a project,
    `ProjectNotFound` when no project contains it."""
    project_root((Path.cwd() if path is None else Path(path)).resolve())  # ProjectNotFound without one
    report = validate_project(path, strict=False, as_of=as_of)
    if report.narrowed:
        config = report.config
        manifests = os.path.normpath(config.root / config.manifests)
        raise UserError(
            f"{path} is only part of the project at {config.root} (manifests in {manifests}): reconcile "
            "plans the whole project: run it without a path from anywhere inside the project"
        )
    if report.desired is None:
        raise ManifestError(problems=report.problems)
    return Project(report.config, report.desired, report.warnings)
