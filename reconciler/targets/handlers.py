"""The per-kind resource handler: the generic verbs a platform offers for one kind, as a Terraform provider
offers them per resource type, and the table a target keeps them in, keyed by `Kind`.

Every kind speaks the same five verbs (read all, create, update, delete, recover after a lost create) and
`get` (read one, e.g. to poll a file's ingestion). What a verb needs travels in two small values: `Ref`
names an object (with its parent for objects that live inside another: a vector-store file in its store,
a spend alert in its scope), and `Write` carries the neutral spec of `model.specs` with the references
already resolved to platform ids, plus the metadata with our labels. Writing a new target means writing
a handler for each kind it supports and listing them in a `HandlerTable`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

from reconciler.errors import UserError
from reconciler.model import labels
from reconciler.model.desired import Kind

L = TypeVar("L")

# The assistant spec fields whose names a `Write` carries resolved, as platform ids, in `references`.
VECTOR_STORES = "file_search_vector_stores"
CODE_FILES = "code_interpreter_files"


class Labelled(Protocol):
    @property
    def metadata(self) -> Mapping[str, str]: ...


Obj = TypeVar("Obj", bound=Labelled)


@dataclass(frozen=True)
class Ref:
    """One platform object: its id, and for an object inside another the parent's id (a vector-store
    file's store) or scope (a spend alert's or limit's project id, or `organization`)."""

    id: str
    parent: str = ""


@dataclass(frozen=True)
class Write:
    """What a create or update sends, in neutral terms.

    `spec` is the kind's neutral spec; `references` the platform ids its named references resolved to,
    keyed by the spec field that names them (an assistant's `file_search_vector_stores`); `metadata` the
    user's metadata with our labels (empty for kinds that carry none); `parent` where the object lives
    (a vector-store file's store); `content` an upload's bytes."""

    spec: Mapping[str, Any]
    metadata: Mapping[str, str] = field(default_factory=dict)
    references: Mapping[str, Sequence[str]] = field(default_factory=dict)
    parent: str = ""
    content: bytes = b""


class Handler(Protocol[L]):
    """The verbs of one kind on one platform; `L` is the kind's live object (`model.live`)."""

    kind: Kind

    def read_all(self, parent: str = "") -> list[L]:
        """Every object of the kind (under `parent`, for kinds that live inside another): read all."""
        ...

    def get(self, ref: Ref) -> L:
        """One object; `errors.NotFound` when it is not there."""
        ...

    def create(self, write: Write) -> L: ...

    def update(self, ref: Ref, write: Write) -> L: ...

    def delete(self, ref: Ref) -> None:
        """Deleting what is already gone succeeds: deletes are retried after lost responses."""
        ...

    def recover(self, write: Write) -> list[L]:
        """What a create of `write` whose response was lost may have made: the objects carrying its owner
        and name labels (uploads: its tagged filename and size; a vector-store file: its attachment), or
        for kinds without labels (spend alerts) every object where it would be; the caller tells which,
        if any, is its own."""
        ...


class UnsupportedKind(UserError):
    """A manifest or plan asks a target for a kind it has no handler for."""


@dataclass(frozen=True)
class HandlerTable:
    """A target's handlers by kind: the kinds it supports, and nothing else."""

    target: str
    handlers: Mapping[Kind, Handler[Any]]

    @classmethod
    def of(cls, target: str, *handlers: Handler[Any]) -> HandlerTable:
        return cls(target, {h.kind: h for h in handlers})

    @property
    def kinds(self) -> frozenset[Kind]:
        return frozenset(self.handlers)

    def __getitem__(self, kind: Kind) -> Handler[Any]:
        handler = self.handlers.get(kind)
        if handler is None:
            raise UnsupportedKind(unsupported(self.target, [kind], self.kinds))
        return handler

    def __iter__(self) -> Iterator[Kind]:
        return iter(self.handlers)

    def refuse_unsupported(self, kinds: Sequence[Kind], what: str = "") -> None:
        """One line naming the kinds asked for that this target has no handler for (and `what` asked)."""
        missing = sorted({k for k in kinds if k not in self.handlers})
        if missing:
            raise UnsupportedKind(unsupported(self.target, missing, self.kinds) + what)


def unsupported(target: str, missing: Sequence[Kind], supported: frozenset[Kind]) -> str:
    names = ", ".join(k.value for k in missing)
    offered = ", ".join(sorted(k.value for k in supported)) or "nothing"
    return f"target {target!r} does not support {names} (it supports {offered})"


def labelled_like(found: Sequence[Obj], write: Write) -> list[Obj]:
    """The objects carrying the owner and name labels `write` carries: a labelled kind's `recover`."""
    owner, name = write.metadata.get(labels.OWNER, ""), write.metadata.get(labels.NAME)
    return [o for o in found if labels.is_ours(o.metadata, owner) and o.metadata.get(labels.NAME) == name]
