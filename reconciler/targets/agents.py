"""`materialize: agents`: one platform agent (the beta Agents API, `client.beta.agents`) per release bundle,
made with the bundle and never updated, so the versions show in OpenAI's dashboard.

Nothing in our store names an agent: the agent carries the bundle's labels (owner, name, version,
fingerprint; `agents_wire.agent_metadata`), and a bundle's id is derived from exactly those
(`bundles.bundle_id_of`), so the agents of a bundle are the ones listed with our owner label whose labels
give its id. Before a create the list is read and an agent already there is taken: a create retried after
a lost response, or rerun after a killed apply, finds the first one instead of making a twin. Deletes
take only agents carrying this target's owner label; one already gone (404) is success. Every list walk is
bounded (`paging.pipelined`: MAX_PAGES pages, a repeated cursor is an error).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import openai

from reconciler.errors import AuthenticationFailed, NotFound
from reconciler.model import labels
from reconciler.model.live import LiveAssistant
from reconciler.targets.agents_wire import agent_params
from reconciler.targets.bundles import bundle_id_of
from reconciler.targets.errors import call
from reconciler.targets.paging import cursor_pages, ignore_missing, pipelined

PAGE = 100  # the largest page `GET /agents` accepts


@dataclass(frozen=True)
class ListedAgent:
    """What a listing needs of an agent: its id and labels."""

    id: str
    metadata: Mapping[str, str]


class AgentMaterializer:
    """Makes, finds and deletes the agent of a bundle, for one owner (`labels.owner_value`)."""

    def __init__(self, client: openai.OpenAI, owner: str) -> None:
        if not owner:
            # Without an owner label an agent could not be told from another project's: never taken
            # back after a crash (a twin each retry), never deletable.
            raise ValueError("materialising agents needs the workspace's owner label")
        self.client = client
        self.owner = owner

    def ensure(self, bundle: LiveAssistant) -> str:
        """The id of the bundle's agent: the one already labelled for it, else a new one."""
        if bundle.metadata.get(labels.OWNER) != self.owner:
            raise ValueError(
                f"bundle {bundle.id} is labelled for owner {bundle.metadata.get(labels.OWNER)!r}, "
                f"not {self.owner!r}: its agent could not be found again"
            )
        found = self.agents_of(bundle.id)
        if found:
            return found[0]
        params = agent_params(bundle)
        made = call(f"create agent for {bundle.id}", lambda: self.client.beta.agents.create(**params))
        return str(made.id)

    def remove(self, bundle_id: str) -> None:
        """Delete every agent of the bundle (normally one); none there is success. A project where the
        Agents API is not served (404) or not allowed (401/403) has none of ours to delete."""
        try:
            found = self.agents_of(bundle_id)
        except (NotFound, AuthenticationFailed):
            return
        for agent_id in found:
            self._delete(agent_id)

    def agents_of(self, bundle_id: str) -> list[str]:
        """The ids of our agents whose labels name `bundle_id`, oldest first."""
        return [
            a.id
            for a in self.listed()
            if labels.is_ours(a.metadata, self.owner) and bundle_id_of(a.metadata) == bundle_id
        ]

    def listed(self) -> list[ListedAgent]:
        """Every agent of the project, oldest first (bounded: `paging.MAX_PAGES` pages of PAGE)."""
        fetch = cursor_pages(self.client.beta.agents.with_raw_response.list, PAGE)
        return pipelined(fetch, _listed, "list agents")

    def _delete(self, agent_id: str) -> None:
        ignore_missing(
            lambda: call(f"delete agent {agent_id}", lambda: self.client.beta.agents.delete(agent_id))
        )


def _listed(item: Any) -> ListedAgent:
    metadata = item.get("metadata") or {}
    return ListedAgent(str(item["id"]), {str(k): str(v) for k, v in metadata.items()})
