"""The project: find its root (nearest `reconcile.yaml` at or above a directory, as git finds `.git`), read
that file, and say where its manifests live.

`reconcile.yaml` holds one document of kind `Project`; without one there is no project (`ProjectNotFound`:
every command says so rather than treat the working directory as one). A project is always planned
whole: `covers` tells a path naming the project (its root, its manifests directory, or a directory
between them) from one naming part of it.
"""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import ValidationError

from reconciler.config import PROJECT_FILE, ProjectConfig
from reconciler.errors import ManifestError, ProjectNotFound, UserError
from reconciler.manifest.documents import Document, read_file
from reconciler.manifest.paths import is_inside
from reconciler.manifest.problems import Collector
from reconciler.manifest.specs import ProjectSpec


def find_root(directory: Path) -> Path | None:
    """The nearest directory at or above `directory` holding the project file.

    Any entry of that name counts, a FIFO or a dangling link included, so that reading it reports the
    problem instead of the search climbing on to some other project above.
    """
    current = directory.resolve()
    for candidate in (current, *current.parents):
        if os.path.lexists(candidate / PROJECT_FILE):
            return candidate
    return None


def project_root(directory: Path) -> Path:
    """The root of the project containing `directory`; `ProjectNotFound` when there is none."""
    root = find_root(directory)
    if root is None:
        raise ProjectNotFound(
            f"no {PROJECT_FILE} in {directory} or any directory above it: run reconcile inside a project "
            f"(a directory holding a {PROJECT_FILE}, see the README) or name one"
        )
    return root


def project_config(directory: Path | None) -> ProjectConfig:
    """The settings of the project containing `directory` (default: the working directory), read from
    the project file alone: no manifest is read. `ManifestError` when the project file is wrong."""
    directory = Path.cwd() if directory is None else directory
    if not directory.is_dir():
        raise UserError(f"{directory}: not a directory")
    collector = Collector()
    config = read_config(project_root(directory.resolve()), collector)
    if collector.errors:
        raise ManifestError(collector.errors)
    return config


SAFE_DIRECTORY_ENV = "RECONCILE_SAFE_DIRECTORY"


def foreign_owner(path: Path) -> str | None:
    """Why the project file at `path` is not to be trusted: another user owns it (git's "dubious
    ownership"). A project file names the URL the API key is sent to, so one planted in a shared parent
    directory would collect the key of anyone running reconcile below it. `RECONCILE_SAFE_DIRECTORY`
    (a project root, or `*`) trusts it anyway, like git's safe.directory."""
    if not hasattr(os, "getuid"):
        return None
    owner = os.lstat(path).st_uid
    if owner == os.getuid():
        return None
    trusted = os.environ.get(SAFE_DIRECTORY_ENV, "")
    if trusted == "*" or (trusted and os.path.realpath(trusted) == os.path.realpath(path.parent)):
        return None
    return (
        f"{path} is owned by uid {owner}, not by you (uid {os.getuid()}): a project file written by someone "
        "else decides where your API keys are sent, so it is not read; if you trust it, set "
        f"{SAFE_DIRECTORY_ENV}={path.parent}"
    )


def manifests_directory(config: ProjectConfig) -> Path | None:
    """The real path of the project's manifests directory; None when it leaves the root (by text or by a
    symlink), which `read_config` reports."""
    root = config.root.resolve()
    if Path(config.manifests).is_absolute():
        return None
    if not is_inside(os.path.normpath(root / config.manifests), str(root)):
        return None
    real = Path(os.path.realpath(root / config.manifests))
    return real if is_inside(str(real), str(root)) else None


def covers(directory: Path, config: ProjectConfig) -> bool:
    """Whether `directory` names the whole project: its root, or a directory holding its manifests."""
    real = os.path.realpath(directory)
    manifests = manifests_directory(config) or config.root.resolve()
    return real == str(config.root.resolve()) or is_inside(str(manifests), real)


def read_config(root: Path, collector: Collector) -> ProjectConfig:
    """The project file's settings; defaults (and problems in the collector) when it is absent or wrong."""
    return read_project_file(root, collector)[0]


def read_project_file(root: Path, collector: Collector) -> tuple[ProjectConfig, Document | None]:
    """The project file's settings, and its document when it loaded (its cost fields are read with the
    manifests, `manifest.cost_build`)."""
    path = root / PROJECT_FILE
    if not os.path.lexists(path):
        return ProjectConfig(root=root), None
    stranger = foreign_owner(path)
    if stranger is not None:
        collector.add(PROJECT_FILE, (1, 1), "project.unsafe-owner", stranger)
        return ProjectConfig(root=root), None
    docs = read_file(path, root, collector, project_file=True)
    if len(docs) > 1:
        collector.add(
            PROJECT_FILE, docs[1].pos, "project.documents", f"{PROJECT_FILE} holds one Project document"
        )
    if not docs:
        return ProjectConfig(root=root), None
    doc = docs[0]
    return _config(root, doc, collector), doc


def _config(root: Path, doc: Document, collector: Collector) -> ProjectConfig:
    spec = doc.spec
    assert isinstance(spec, ProjectSpec)
    if spec.default_target not in spec.targets:
        known = ", ".join(sorted(spec.targets)) or "none"
        message = f"spec.defaultTarget: no target named {spec.default_target!r} (known: {known})"
        collector.at(PROJECT_FILE, doc.root, ["spec", "defaultTarget"], "project.default-target", message)
    manifests = os.path.normpath(root / spec.manifests)
    if Path(spec.manifests).is_absolute() or not is_inside(manifests, str(root)):
        collector.at(
            PROJECT_FILE,
            doc.root,
            ["spec", "manifests"],
            "path.escape",
            f"spec.manifests: {spec.manifests!r} leaves the project root",
        )
    elif not is_inside(os.path.realpath(manifests), os.path.realpath(root)):
        collector.at(
            PROJECT_FILE,
            doc.root,
            ["spec", "manifests"],
            "path.symlink-escape",
            f"spec.manifests: {spec.manifests!r} leads outside the project root through a symlink",
        )
    try:
        return ProjectConfig.model_validate(
            {
                "root": root,
                "name": doc.name,
                "targets": spec.targets,
                "defaultTarget": spec.default_target,
                "state": spec.state,
                "retry": spec.retry,
                "conversations": spec.conversations,
                "manifests": spec.manifests,
            }
        )
    except ValidationError as error:  # ProjectSpec mirrors ProjectConfig, so this means they drifted
        collector.pydantic(PROJECT_FILE, doc.root, ["spec"], error, ProjectConfig)
        return ProjectConfig(root=root)
