"""Target for the Responses-era platform (what OpenAI serves since the Assistants API was switched off on
2026-08-26): files, vector stores with their files, and spend controls on the platform, with the same
wire, handlers and read machinery as Assistants v2, since those endpoints did not change. Assistant
versions are release bundles in our store (`targets.bundles`): this target never sends a request to
`/assistants` or `/threads`. With `materialize` (`materialize: agents`) each new bundle also gets its
platform agent (`targets.agents`), labelled for `owner`.
"""

from __future__ import annotations

from collections.abc import Collection

import openai

from reconciler.model.desired import Kind
from reconciler.model.live import LiveState
from reconciler.targets.agents import AgentMaterializer
from reconciler.targets.assistants_v2 import AssistantsV2Target
from reconciler.targets.base import RequestStats
from reconciler.targets.bundles import BundleHandler
from reconciler.targets.handlers import HandlerTable
from reconciler.targets.smoke_calls import ResponseSmoke
from reconciler.targets.tuning import ReadTuning


class ResponsesTarget(AssistantsV2Target):
    """The platform objects of Assistants v2 minus the assistants: their versions are bundles."""

    versions_on_platform = False

    def __init__(
        self,
        client: openai.OpenAI,
        *,
        name: str,
        project_id: str,
        stats: RequestStats | None = None,
        admin_key_env: str = "OPENAI_ADMIN_KEY",
        materialize: bool = False,
        owner: str = "",
    ) -> None:
        super().__init__(client, name=name, project_id=project_id, stats=stats, admin_key_env=admin_key_env)
        # Deletes look for agents even with the setting off: versions made while it was on have one.
        sweeper = AgentMaterializer(client, owner) if owner or materialize else None
        self.agents = sweeper if materialize else None
        bundles = BundleHandler(self.agents, sweeper=sweeper)
        self.handlers = HandlerTable(name, {**self.handlers.handlers, Kind.ASSISTANT: bundles})
        self.smoke = ResponseSmoke(client)  # a version is a bundle: `responses.create` with its arguments

    def read(self, kinds: Collection[Kind], tuning: ReadTuning | None = None) -> LiveState:
        """The platform's objects of `kinds`; assistants are not among them (the store holds bundles)."""
        return super().read([k for k in kinds if k is not Kind.ASSISTANT], tuning)
