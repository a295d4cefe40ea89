"""A workspace: one whole project bound to one target and its state store, opened from inside the project.

The target (and with it the SDK) is imported when a workspace is opened, not with this module: the
commands that touch only the state store (`rollback`, `resolve`) import the service without the SDK.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from reconciler.config import ProjectConfig, TargetConfig
from reconciler.manifest import Project, load_project
from reconciler.model import labels
from reconciler.model.desired import DesiredState
from reconciler.store.base import StateStore
from reconciler.store.factory import absolute_dsn, open_store, sqlite_file
from reconciler.targets.base import RequestStats, Target

if TYPE_CHECKING:
    from reconciler.targets.client import Transport

PROJECT_SCOPE = "project"


@dataclass
class Workspace:
    """A project bound to one target and its state store. Close it when done."""

    project: Project
    name: str
    target_config: TargetConfig
    target: Target
    store: StateStore
    stats: RequestStats = field(default_factory=RequestStats)

    @property
    def root(self) -> Path:
        return self.project.config.root

    @property
    def owner(self) -> str:
        """The value of our owner label on this workspace's objects."""
        return labels.owner_value(self.project.config.project_name, self.name)

    def close(self) -> None:
        self.target.close()
        self.store.close()

    def __enter__(self) -> Workspace:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_workspace(
    path: Path | None = None,
    *,
    target: str | None = None,
    transport: Transport | None = None,
    admin_only: bool = False,
) -> Workspace:
    """The whole project containing the working directory (found as git finds a repository), or the one
    whose root or manifests directory `path` names; a path naming only part of one is refused.
    `admin_only`: only the Admin API will be called (the admin key is required, the project key not)."""
    from reconciler.targets.assistants_v2 import AssistantsV2Target
    from reconciler.targets.client import build_client
    from reconciler.targets.responses import ResponsesTarget

    project = load_project(path)
    name, target_config = project.config.target(target)
    stats = RequestStats()
    client = build_client(
        target_config, root=project.config.root, stats=stats, transport=transport, admin_only=admin_only
    )
    flavour: Callable[..., Target] = AssistantsV2Target
    if target_config.api == "responses":
        owner = labels.owner_value(project.config.project_name, name)  # as `Workspace.owner`
        flavour = partial(ResponsesTarget, materialize=target_config.materialize == "agents", owner=owner)
    adapter = flavour(
        client,
        name=name,
        project_id=target_config.project_id,
        stats=stats,
        admin_key_env=target_config.admin_key_env,
    )
    store_dsn = state_dsn(project.config)
    database = sqlite_file(store_dsn)
    if database is not None:
        database.parent.mkdir(parents=True, exist_ok=True)
    store = open_store(store_dsn)
    desired = _resolve_scopes(project.desired, target_config.project_id)
    project = Project(project.config, desired, project.warnings)
    return Workspace(project, name, target_config, adapter, store, stats)


def state_dsn(config: ProjectConfig) -> str:
    """The project's state DSN, a relative SQLite path taken from the project root."""
    return absolute_dsn(config.state, config.root)


def _resolve_scopes(desired: DesiredState, project_id: str) -> DesiredState:
    """`scope: project` in a manifest means the target's own project."""
    alerts = {
        n: a.model_copy(update={"scope": project_id}) if a.scope == PROJECT_SCOPE else a
        for n, a in desired.spend_alerts.items()
    }
    limits = {
        n: s.model_copy(update={"scope": project_id}) if s.scope == PROJECT_SCOPE else s
        for n, s in desired.spend_limits.items()
    }
    return desired.model_copy(update={"spend_alerts": alerts, "spend_limits": limits})
