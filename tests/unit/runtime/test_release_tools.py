"""`Release.function_tools` reads a version's function tools through `plan.bundles.version_function_tools`
and gives what it gave before that moved down a layer: the bundle's tools (a function without parameters
as the closed empty schema the bundle sends), a platform assistant's recorded tools, or None when unknown."""

from __future__ import annotations

from typing import Any

from reconciler.model.stored import VersionRecord
from reconciler.plan.bundles import NO_PARAMETERS, version_function_tools
from reconciler.runtime import Release
from tests.unit.runtime.fakes import NAME, bundle


def _record(**fields: Any) -> VersionRecord:
    return VersionRecord(assistant=NAME, number=1, platform_id="p1", fingerprint="f1", **fields)


def test_a_bundles_function_tools_are_its_functions_only() -> None:
    tools = [
        *bundle(1)["tools"],
        {"type": "function", "name": "noargs"},
        {"type": "file_search"},
    ]
    release = Release.of(_record(bundle=bundle(1, tools)))
    got = release.function_tools()
    assert got is not None
    assert set(got) == {"ping", "book", "noargs"}
    assert got["book"] == (tools[1]["parameters"], True)
    assert got["ping"][1] is False
    assert got["noargs"] == (NO_PARAMETERS, False)
    assert got == version_function_tools(_record(bundle=bundle(1, tools)))


def test_a_platform_assistants_recorded_tools_and_unknown_tools() -> None:
    schema = {"type": "object", "properties": {}}
    recorded = _record(tools={"ping": {"parameters": schema, "strict": True}, "bare": {}})
    assert Release.of(recorded).function_tools() == {"ping": (schema, True), "bare": ({}, False)}
    assert Release.of(_record()).function_tools() is None
    assert version_function_tools(_record()) is None


def test_a_deleted_bundle_offers_no_tools_but_still_records_them() -> None:
    gone = _record(bundle=bundle(1), deleted=True)
    assert Release.of(gone).function_tools() is None
    recorded = version_function_tools(gone)
    assert recorded is not None and set(recorded) == {"ping", "book"}
