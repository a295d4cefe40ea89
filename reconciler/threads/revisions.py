"""Tool revisions: the numbers a function tool's `parameters` schemas get over one assistant's versions,
as Confluent Schema Registry numbers a subject's schemas. Revision 1 is the first distinct (schema, strict)
any recorded version offered under that tool name, revision 2 the next distinct one, in the order of the
version numbers they first appeared in; a version that goes back to an earlier schema has the earlier
revision. Migrations (`spec.migrations` of a FunctionTool) are written between these numbers.

Computed from the store's version records, deleted ones included (a deleted version's schema keeps its
number, so numbers never shift). A version whose tools were not recorded (an Assistants-v2 assistant from
before versions kept them) gives no revision and takes no part in the numbering.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

from reconciler.model.canonical import canonical_json
from reconciler.model.stored import VersionRecord
from reconciler.plan.bundles import version_function_tools

__all__ = ["Revision", "ToolRevisions"]


class Revision(NamedTuple):
    """One revision of a tool: its number, schema, strict flag and the version it first appeared in (a
    tuple, so `for revision, schema, strict, first in revisions.revisions(tool)` reads it too)."""

    revision: int
    schema: Mapping[str, Any]
    strict: bool
    first_version: int


def _identity(schema: Mapping[str, Any], strict: bool) -> str:
    # Canonical JSON: key order and 1.0 vs 1 (YAML writes both) do not make a new revision.
    return canonical_json([schema, strict])


class ToolRevisions:
    """Revision numbers of every function tool of one assistant, from its version records."""

    def __init__(self, records: Sequence[VersionRecord]) -> None:
        assistants = {r.assistant for r in records}
        if len(assistants) > 1:
            # Version numbers are per assistant: mixing two would interleave unrelated histories.
            raise ValueError(f"tool revisions are per assistant; got versions of {sorted(assistants)}")
        self._revisions: dict[str, list[Revision]] = {}
        self._by_identity: dict[str, dict[str, int]] = {}
        self._of_version: dict[tuple[str, int], int] = {}
        for record in sorted(records, key=lambda r: r.number):
            tools = version_function_tools(record)
            for tool, (schema, strict) in (tools or {}).items():
                known = self._by_identity.setdefault(tool, {})
                identity = _identity(schema, strict)
                revision = known.get(identity)
                if revision is None:
                    history = self._revisions.setdefault(tool, [])
                    revision = known[identity] = len(history) + 1
                    history.append(Revision(revision, schema, strict, record.number))
                self._of_version[tool, record.number] = revision

    def revision_of(self, tool: str, version_number: int) -> int | None:
        """The revision of `tool` in that version; None when the version lacks the tool, is not recorded,
        or did not record its tools."""
        return self._of_version.get((tool, version_number))

    def revisions(self, tool: str) -> list[Revision]:
        """Every revision of `tool`, in number order."""
        return list(self._revisions.get(tool, ()))

    def next_revision(self, tool: str, schema: Mapping[str, Any], strict: bool) -> int:
        """The number `schema` would have in a new version: its revision if a version offered it before,
        else the next number."""
        known = self._by_identity.get(tool, {})
        return known.get(_identity(schema, strict), len(known) + 1)
