"""What the runtime hands an application: a `Release` (one immutable version and how to call it) and the
errors a lookup raises besides the pointer errors of `rollout.pointers`."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from reconciler.errors import UserError
from reconciler.model.stored import StopEvent, VersionRecord
from reconciler.plan.bundles import bundle_assistant, version_function_tools
from reconciler.targets.responses_wire import response_params

__all__ = ["NotABundle", "Release", "Route", "Stopped", "VersionGone"]


class NotABundle(UserError):
    """The version is a platform assistant (an Assistants-v2 target): call it by `assistant_id`."""


class VersionGone(UserError):
    """A conversation is pinned to a version that was deleted: the conversation cannot go on with the tools
    it started with, and moving it silently to another version would change them under it."""


class Stopped(UserError):
    """An operator stopped the assistant (`reconcile stop NAME`): serve the application's fallback, not a
    turn, until `reconcile start NAME`. Carries who stopped it, where, when (epoch seconds) and why."""

    def __init__(self, workspace: str, stop: StopEvent) -> None:
        self.workspace = workspace
        self.name = stop.assistant
        self.reason = stop.reason
        self.user = stop.user
        self.host = stop.host
        self.at = stop.at
        when = datetime.fromtimestamp(stop.at, UTC).strftime("%Y-%m-%d %H:%M:%SZ")
        why = f": {stop.reason}" if stop.reason else ""
        super().__init__(
            f"{stop.assistant} is stopped in {workspace} since {when} by {stop.user}@{stop.host}{why}; "
            f"`reconcile start {stop.assistant}` resumes it"
        )


@dataclass(frozen=True)
class Release:
    """One version of an assistant as an application serves it. Immutable; shared between callers."""

    name: str
    version: int
    fingerprint: str
    platform_id: str  # the bundle id, or the platform assistant's id on Assistants v2
    _params: Mapping[str, Any] | None  # None: not a bundle
    # Function tool name -> (parameters, strict), as `plan.bundles.version_function_tools` reads them from
    # the version record; None when unknown (a platform assistant recorded before versions kept tools).
    _tools: Mapping[str, tuple[Mapping[str, Any], bool]] | None = None

    @classmethod
    def of(cls, record: VersionRecord) -> Release:
        bundle = bundle_assistant(record)
        params = response_params(bundle) if bundle is not None else None
        # A deleted bundle is served by no one (`bundle_assistant` gives None): its tools are not offered.
        tools = None if record.deleted and record.bundle else version_function_tools(record)
        return cls(record.assistant, record.number, record.fingerprint, record.platform_id, params, tools)

    @property
    def is_bundle(self) -> bool:
        return self._params is not None

    def function_tools(self) -> dict[str, tuple[Mapping[str, Any], bool]] | None:
        """Function tool name -> (its `parameters` JSON Schema, strict) as this version offers them: from
        the bundle, or from the tools recorded with a platform assistant's version; None for a platform
        assistant recorded before versions kept their tools (the runtime then counts tool calls without
        validating them)."""
        return None if self._tools is None else dict(self._tools)

    def responses_kwargs(self) -> dict[str, Any]:
        """The keyword arguments for `client.responses.create(...)`: model, instructions, tools, sampling,
        reasoning, text format and the metadata that names this version. A fresh copy each call, so the
        caller may add to it (`input`, `conversation`, ...) without touching the cached release."""
        if self._params is None:
            raise NotABundle(
                f"{self.name} version {self.version} is a platform assistant ({self.platform_id}), not a "
                "release bundle: call it by Router.assistant_id on an Assistants-v2 target"
            )
        return copy.deepcopy(dict(self._params))


@dataclass(frozen=True)
class Route:
    """Where one turn goes (`Router.route`): the conversation to send it to (a migrated conversation's
    copy) and the release that serves it; `moved_from` is the conversation the application asked about
    when that is not `conversation`, so it can update its own record of the id."""

    conversation: str
    release: Release
    moved_from: str | None = None
