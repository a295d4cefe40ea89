"""The project: find its root (nearest `reconcile.yaml` at or above a directory) and read that file.

`reconcile.yaml` holds one document of kind `Project`; without one, the directory itself is the root and
every setting takes its default.
"""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import ValidationError

from reconciler.config import PROJECT_FILE, ProjectConfig
from reconciler.manifest.documents import read_file
from reconciler.manifest.problems import Collector
from reconciler.manifest.specs import ProjectSpec


def find_root(directory: Path) -> Path | None:
    """The nearest directory at or above `directory` holding the project file."""
    current = directory.resolve()
    for candidate in (current, *current.parents):
        if (candidate / PROJECT_FILE).is_file():
            return candidate
    return None


def read_config(root: Path, collector: Collector) -> ProjectConfig:
    """The project file's settings; defaults (and problems in the collector) when it is absent or wrong."""
    path = root / PROJECT_FILE
    if not path.is_file():
        return ProjectConfig(root=root)
    docs = read_file(path, root, collector, project_file=True)
    if len(docs) > 1:
        collector.add(
            PROJECT_FILE, docs[1].pos, "project.documents", f"{PROJECT_FILE} holds one Project document"
        )
    if not docs:
        return ProjectConfig(root=root)
    doc = docs[0]
    spec = doc.spec
    assert isinstance(spec, ProjectSpec)
    if spec.default_target not in spec.targets:
        known = ", ".join(sorted(spec.targets)) or "none"
        message = f"spec.defaultTarget: no target named {spec.default_target!r} (known: {known})"
        collector.at(PROJECT_FILE, doc.root, ["spec", "defaultTarget"], "project.default-target", message)
    manifests = os.path.normpath(root / spec.manifests)
    if Path(spec.manifests).is_absolute() or not (
        manifests == str(root) or manifests.startswith(f"{root}{os.sep}")
    ):
        collector.at(
            PROJECT_FILE,
            doc.root,
            ["spec", "manifests"],
            "path.escape",
            f"spec.manifests: {spec.manifests!r} leaves the project root",
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
                "manifests": spec.manifests,
            }
        )
    except ValidationError as error:  # ProjectSpec mirrors ProjectConfig, so this means they drifted
        collector.pydantic(PROJECT_FILE, doc.root, ["spec"], error)
        return ProjectConfig(root=root)
