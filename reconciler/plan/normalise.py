"""Live objects to neutral specs, so they compare with desired specs field by field.

The fields, their defaults and normalisation come from `model.fields`, through the same
`fields.neutral_spec` the desired side uses; what is left here is what only live objects need. Platform
ids in references are mapped back to manifest names through the inventory; an id we do not know stays
visible as `id:<id>` so the diff shows it rather than hiding it. The ownership labels are taken out of
metadata, and a label-named object is known by its manifest name.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from reconciler.model import fields, labels
from reconciler.model.live import LiveAssistant, LiveSpendAlert, LiveSpendLimit, LiveVectorStore


def assistant_spec(
    live: LiveAssistant, store_names: Mapping[str, str], file_paths: Mapping[str, str]
) -> dict[str, Any]:
    values = fields.values_of(live)  # by attribute; the references and the labelled fields are set below
    values["name"] = labels_name(live.metadata) or live.name
    values["tools"] = list(live.tools)  # shared dicts (`model.interning`), as the desired spec's are
    values["file_search_vector_stores"] = [
        store_names.get(i, f"id:{i}") for i in live.file_search_vector_store_ids
    ]
    values["code_interpreter_files"] = [file_paths.get(i, f"id:{i}") for i in live.code_interpreter_file_ids]
    values["metadata"] = labels.user_metadata(live.metadata)
    return fields.neutral_spec(fields.ASSISTANT, values)


def labels_name(metadata: Mapping[str, str]) -> str | None:
    return metadata.get(labels.NAME)


def vector_store_spec(live: LiveVectorStore, chunking: Mapping[str, Any]) -> dict[str, Any]:
    # Chunking is a per-attachment setting the platform does not report on the store; it is carried
    # over from the desired spec so that it never shows as a phantom difference.
    values = {
        **fields.values_of(live),
        "name": labels_name(live.metadata) or live.name,
        "metadata": labels.user_metadata(live.metadata),
        "chunking": chunking,
    }
    return fields.neutral_spec(fields.VECTOR_STORE, values)


def spend_alert_spec(live: LiveSpendAlert) -> dict[str, Any]:
    return fields.neutral_spec(fields.SPEND_ALERT, fields.values_of(live))


def spend_limit_spec(live: LiveSpendLimit) -> dict[str, Any]:
    return fields.neutral_spec(fields.SPEND_LIMIT, fields.values_of(live))
