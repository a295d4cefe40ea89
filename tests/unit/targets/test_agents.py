"""targets.agents and the bundle handler's use of it, through the real SDK on the in-process emulator: one
agent per bundle, found again by its labels (across pages) instead of made twice, never touched by an
update in place, and deleted by the bundle's id only when our owner label is on it."""

from __future__ import annotations

from collections.abc import Iterator

import openai
import pytest

from reconciler.emulator import EmulatorApp, EmulatorConfig
from reconciler.emulator.transport import http_client
from reconciler.model import labels
from reconciler.model.live import LiveAssistant
from reconciler.targets.agents import PAGE, AgentMaterializer
from reconciler.targets.bundles import BundleHandler
from reconciler.targets.handlers import Ref, Write
from tests.unit.targets.test_bundles import _write

OWNER = "demo/local"


@pytest.fixture
def client() -> Iterator[openai.OpenAI]:
    app = EmulatorApp(EmulatorConfig())
    client = openai.OpenAI(api_key="sk-test", base_url="http://127.0.0.1/v1", http_client=http_client(app))
    yield client
    client.close()
    app.close()


def _agents(client: openai.OpenAI) -> dict[str, dict[str, str]]:
    return {a.id: dict(a.metadata) for a in client.beta.agents.list(limit=100)}


class Recording:
    """A materializer that records what the handler asks of it."""

    def __init__(self) -> None:
        self.ensured: list[str] = []
        self.removed: list[str] = []

    def ensure(self, bundle: LiveAssistant) -> str:
        self.ensured.append(bundle.id)
        return "agent_x"

    def remove(self, bundle_id: str) -> None:
        self.removed.append(bundle_id)


def test_the_handler_ensures_on_create_removes_on_delete_and_leaves_updates_alone() -> None:
    agents = Recording()
    handler = BundleHandler(agents)
    made = handler.create(_write())
    write = _write()
    handler.update(Ref(made.id), Write(write.spec, {**write.metadata, "team": "other"}, write.references))
    handler.delete(Ref(made.id))
    assert (agents.ensured, agents.removed) == ([made.id], [made.id])
    assert handler.recover(_write()) == []  # a retried create looks for the agent itself


def test_one_agent_per_bundle_found_again_instead_of_made_twice(client: openai.OpenAI) -> None:
    agents = AgentMaterializer(client, OWNER)
    bundle = BundleHandler().create(_write())
    first = agents.ensure(bundle)
    assert agents.ensure(bundle) == first  # a retried or rerun create takes it
    (metadata,) = _agents(client).values()
    assert metadata[labels.VERSION] == "1" and metadata[labels.OWNER] == OWNER
    other = agents.ensure(BundleHandler().create(_write("2")))
    assert other != first and set(_agents(client)) == {first, other}


def test_an_agent_is_found_beyond_the_first_page(client: openai.OpenAI) -> None:
    for n in range(PAGE):
        client.beta.agents.create(model="gpt-4.1", name=f"filler {n}")
    agents = AgentMaterializer(client, OWNER)
    bundle = BundleHandler().create(_write())
    made = agents.ensure(bundle)
    assert agents.agents_of(bundle.id) == [made]
    agents.remove(bundle.id)
    assert made not in {a.id for a in client.beta.agents.list(limit=100, order="desc")}


def test_remove_takes_only_our_agents_of_that_bundle(client: openai.OpenAI) -> None:
    ours = AgentMaterializer(client, OWNER)
    bundle, sibling = BundleHandler().create(_write()), BundleHandler().create(_write("2"))
    ours.ensure(bundle)
    kept = ours.ensure(sibling)
    # Another owner's agent with the same name, version and fingerprint labels, and a user's own agent
    # carrying our labels but not managed-by: neither is ours to delete.
    foreign = client.beta.agents.create(
        model="gpt-4.1", metadata={**bundle.metadata, labels.OWNER: "someone/else"}
    ).id
    unmanaged = {k: v for k, v in bundle.metadata.items() if k != labels.MANAGED_BY}
    hand_made = client.beta.agents.create(model="gpt-4.1", metadata=unmanaged).id
    ours.remove(bundle.id)
    assert set(_agents(client)) == {kept, foreign, hand_made}
    ours.remove(bundle.id)  # gone already: nothing to do, no error
    assert set(_agents(client)) == {kept, foreign, hand_made}


def test_an_agent_deleted_between_the_listing_and_the_delete_is_already_gone(
    client: openai.OpenAI, monkeypatch: pytest.MonkeyPatch
) -> None:
    agents = AgentMaterializer(client, OWNER)
    bundle = BundleHandler().create(_write())
    made = agents.ensure(bundle)
    listed = agents.agents_of(bundle.id)
    client.beta.agents.delete(made)
    monkeypatch.setattr(agents, "agents_of", lambda bundle_id: listed)
    agents.remove(bundle.id)  # the 404 is success


def test_a_bundle_labelled_for_another_owner_is_refused(client: openai.OpenAI) -> None:
    with pytest.raises(ValueError, match="owner"):
        AgentMaterializer(client, "")
    with pytest.raises(ValueError, match="could not be found again"):
        AgentMaterializer(client, "other/ws").ensure(BundleHandler().create(_write()))
    assert _agents(client) == {}
