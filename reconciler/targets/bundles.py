"""The assistant handler of a platform that stores no assistant versions (the Responses era): a version
is a release bundle kept in our store, and this handler only shapes it. It sends nothing.

`create` and `update` return the bundle as the platform would have echoed an assistant (the neutral
`LiveAssistant`, with the vector stores and files resolved to platform ids and our labels as metadata), so
an applied manifest compares equal to its bundle on the next plan, exactly as with a platform assistant.
A bundle's id is derived from its labels (owner, name, version, behaviour fingerprint): creating it again
after a crash gives the same id, so there is no lost create to recover and nothing to duplicate. Reading
bundles back is the store's job (`plan.bundles`), never a platform call.

With a `Materializer` (`materialize: agents`, `targets.agents`) a create also ensures the version's one
platform agent and a delete removes it; an update in place never touches it. Without one, nothing is sent.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

from reconciler.errors import NotFound
from reconciler.model import labels
from reconciler.model.canonical import fingerprint
from reconciler.model.desired import Kind
from reconciler.model.live import LiveAssistant
from reconciler.targets import wire
from reconciler.targets.handlers import CODE_FILES, VECTOR_STORES, Ref, Write

BUNDLE_ID_PREFIX = "bndl_"


# The labels a bundle's id is derived from: an object carrying them (a materialised agent) names its bundle.
ID_LABELS = (labels.OWNER, labels.NAME, labels.VERSION, labels.FINGERPRINT)


def bundle_id(write: Write) -> str:
    return bundle_id_of(write.metadata)


def bundle_id_of(metadata: Mapping[str, str]) -> str:
    """The id of the bundle whose labels `metadata` carries (those it was made with)."""
    return BUNDLE_ID_PREFIX + fingerprint({k: metadata.get(k) for k in ID_LABELS}, length=24)


class Materializer(Protocol):
    """What a bundle also makes on the platform (`targets.agents.AgentMaterializer`)."""

    def ensure(self, bundle: LiveAssistant) -> str:
        """The id of the bundle's platform object: the one already there, else a new one."""
        ...

    def remove(self, bundle_id: str) -> None:
        """Delete the bundle's platform objects; none left (or never made) is success."""
        ...


class BundleHandler:
    kind = Kind.ASSISTANT

    def __init__(
        self, materializer: Materializer | None = None, *, sweeper: Materializer | None = None
    ) -> None:
        """`materializer` makes each new version's platform object (`materialize: agents`); `sweeper`
        deletes a version's objects whatever the setting is now, so turning it off leaves no agent
        behind when gc or a destroy retires the versions that have one."""
        self.materializer = materializer
        self.sweeper = sweeper or materializer

    def read_all(self, parent: str = "") -> list[LiveAssistant]:
        return []  # bundles live in the store; the planner reads them from there

    def get(self, ref: Ref) -> LiveAssistant:
        raise NotFound(f"release bundle {ref.id} is read from the state store, not the platform")

    def create(self, write: Write) -> LiveAssistant:
        bundle = self._shape(bundle_id(write), write)
        if self.materializer is not None:
            # Look-first inside: a create retried after a lost response takes what the first one made.
            self.materializer.ensure(bundle)
        return bundle

    def update(self, ref: Ref, write: Write) -> LiveAssistant:
        # Only what is not behaviour changes in place (metadata, name, description): same version, same id.
        # A materialised agent is the version as it was made, and is never updated.
        return self._shape(ref.id, write)

    def delete(self, ref: Ref) -> None:
        """The version's row in the store is flagged deleted by the caller; its agent, if any, goes here."""
        if self.sweeper is not None:
            self.sweeper.remove(ref.id)

    def recover(self, write: Write) -> list[LiveAssistant]:
        # Nothing to find: the bundle is the same on every attempt, and a materialised agent is looked for
        # by `create` itself before it makes one.
        return []

    @staticmethod
    def _shape(platform_id: str, write: Write) -> LiveAssistant:
        params = wire.assistant_params(
            write.spec,
            write.metadata,
            write.references.get(VECTOR_STORES, ()),
            write.references.get(CODE_FILES, ()),
        )
        return wire.live_assistant({**params, "id": platform_id})
