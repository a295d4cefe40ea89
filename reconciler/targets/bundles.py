"""The assistant handler of a platform that stores no assistant versions (the Responses era): a version
is a release bundle kept in our store, and this handler only shapes it. It sends nothing.

`create` and `update` return the bundle as the platform would have echoed an assistant (the neutral
`LiveAssistant`, with the vector stores and files resolved to platform ids and our labels as metadata), so
an applied manifest compares equal to its bundle on the next plan, exactly as with a platform assistant.
A bundle's id is derived from its labels (owner, name, version, behaviour fingerprint): creating it again
after a crash gives the same id, so there is no lost create to recover and nothing to duplicate. Reading
bundles back is the store's job (`plan.bundles`), never a platform call.
"""

from __future__ import annotations

from reconciler.errors import NotFound
from reconciler.model import labels
from reconciler.model.canonical import fingerprint
from reconciler.model.desired import Kind
from reconciler.model.live import LiveAssistant
from reconciler.targets import wire
from reconciler.targets.handlers import CODE_FILES, VECTOR_STORES, Ref, Write

BUNDLE_ID_PREFIX = "bndl_"


def bundle_id(write: Write) -> str:
    keys = (labels.OWNER, labels.NAME, labels.VERSION, labels.FINGERPRINT)
    return BUNDLE_ID_PREFIX + fingerprint({k: write.metadata.get(k) for k in keys}, length=24)


class BundleHandler:
    kind = Kind.ASSISTANT

    def read_all(self, parent: str = "") -> list[LiveAssistant]:
        return []  # bundles live in the store; the planner reads them from there

    def get(self, ref: Ref) -> LiveAssistant:
        raise NotFound(f"release bundle {ref.id} is read from the state store, not the platform")

    def create(self, write: Write) -> LiveAssistant:
        return self._shape(bundle_id(write), write)

    def update(self, ref: Ref, write: Write) -> LiveAssistant:
        # Only what is not behaviour changes in place (metadata, name, description): same version, same id.
        return self._shape(ref.id, write)

    def delete(self, ref: Ref) -> None:
        """Nothing on the platform: the version's row in the store is flagged deleted by the caller."""

    def recover(self, write: Write) -> list[LiveAssistant]:
        return []  # a create sends nothing, so none can be lost

    @staticmethod
    def _shape(platform_id: str, write: Write) -> LiveAssistant:
        params = wire.assistant_params(
            write.spec,
            write.metadata,
            write.references.get(VECTOR_STORES, ()),
            write.references.get(CODE_FILES, ()),
        )
        return wire.live_assistant({**params, "id": platform_id})
