"""Pure data, no I/O: the desired kinds, live objects, ownership labels, canonical JSON and fingerprints."""

from __future__ import annotations

from reconciler.model.canonical import canonical_json, fingerprint, sha256_hex
from reconciler.model.desired import (
    Assistant,
    BuiltinTool,
    Chunking,
    DesiredState,
    FunctionTool,
    Kind,
    ResourceKey,
    SourceFile,
    SpendAlert,
    SpendLimit,
    VectorStore,
)
from reconciler.model.live import (
    LiveAssistant,
    LiveFile,
    LiveSpendAlert,
    LiveSpendLimit,
    LiveState,
    LiveVectorStore,
    LiveVectorStoreFile,
)
from reconciler.model.rollouts import AnalysisTemplate, CanaryStep, Rollout
from reconciler.model.stored import InventoryRecord, PointerMove, StoredState, VersionRecord

__all__ = [
    "AnalysisTemplate",
    "Assistant",
    "BuiltinTool",
    "CanaryStep",
    "Chunking",
    "DesiredState",
    "FunctionTool",
    "InventoryRecord",
    "Kind",
    "LiveAssistant",
    "LiveFile",
    "LiveSpendAlert",
    "LiveSpendLimit",
    "LiveState",
    "LiveVectorStore",
    "LiveVectorStoreFile",
    "PointerMove",
    "ResourceKey",
    "Rollout",
    "SourceFile",
    "SpendAlert",
    "SpendLimit",
    "StoredState",
    "VectorStore",
    "VersionRecord",
    "canonical_json",
    "fingerprint",
    "sha256_hex",
]
