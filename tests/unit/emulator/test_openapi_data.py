"""The vendored OpenAPI spec is the pinned upstream file; `requests.json` is what derive.py makes of it."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
from pathlib import Path

import pytest

from reconciler.emulator.openapi import PROVENANCE_FILE, REQUESTS_FILE, SPEC_FILE, request_document
from reconciler.emulator.openapi.derive import derive, load_spec, render

REPO = Path(__file__).resolve().parents[3]


def _shared_copies() -> list[Path]:
    """Where the workspace keeps the shared spec: RECONCILER_OPENAPI_SPEC, ../shared/openapi beside this
    checkout, or beside the main checkout when this is a git worktree of it."""
    roots = [REPO]
    common = subprocess.run(
        ["git", "rev-parse", "--path-format=absolute", "--git-common-dir"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    if common.returncode == 0:
        roots.append(Path(common.stdout.strip()).parent)
    candidates = [root.parent / "shared" / "openapi" / SPEC_FILE.name for root in roots]
    override = os.environ.get("RECONCILER_OPENAPI_SPEC")
    if override:
        path = Path(override)
        candidates.insert(0, path / SPEC_FILE.name if path.is_dir() else path)
    return list(dict.fromkeys(c.resolve() for c in candidates if c.is_file()))


def test_the_vendored_spec_matches_its_recorded_checksum() -> None:
    provenance = json.loads(PROVENANCE_FILE.read_text(encoding="utf-8"))
    data = SPEC_FILE.read_bytes()
    assert provenance["file"] == SPEC_FILE.name
    assert hashlib.sha256(data).hexdigest() == provenance["sha256"]
    assert len(data) == provenance["bytes"]


def test_the_provenance_names_the_commit_the_file_itself_records() -> None:
    provenance = json.loads(PROVENANCE_FILE.read_text(encoding="utf-8"))
    source = load_spec(SPEC_FILE.read_bytes())["info"]["x-subset-source"]
    assert provenance["upstream"]["commit"] == source["commit"]
    assert provenance["upstream"]["repository"].endswith(source["repository"])


def test_the_vendored_spec_equals_the_shared_copy() -> None:
    copies = _shared_copies()
    if not copies:
        pytest.skip("no ../shared/openapi copy of the spec beside this checkout to compare with")
    vendored = SPEC_FILE.read_bytes()
    for copy in copies:
        assert copy.read_bytes() == vendored, f"{copy} differs from {SPEC_FILE}"


def test_requests_json_is_derived_from_the_vendored_spec() -> None:
    # Regenerate with `python -m reconciler.emulator.openapi.derive`.
    assert REQUESTS_FILE.read_text(encoding="utf-8") == render(derive(SPEC_FILE.read_bytes()))


def test_requests_json_records_the_spec_it_came_from() -> None:
    source = request_document()["source"]
    assert source["sha256"] == hashlib.sha256(SPEC_FILE.read_bytes()).hexdigest()


def test_derive_refuses_a_keyword_it_does_not_know() -> None:
    spec = SPEC_FILE.read_text(encoding="utf-8")
    patched = spec.replace("maxProperties: 16", "maxProperties: 16\n        dependentRequired: {}", 1)
    assert patched != spec
    with pytest.raises(ValueError, match="dependentRequired"):
        derive(patched.encode())


def test_derive_drops_annotations_but_keeps_properties_named_like_them() -> None:
    schemas = derive(SPEC_FILE.read_bytes())["components"]["schemas"]
    assistant = schemas["CreateAssistantRequest"]
    assert "description" not in assistant  # the annotation
    assert {"description", "name", "instructions"} <= assistant["properties"].keys()
    # `pattern` is a keyword and also a property of a web-search action: the property stays.
    assert any("pattern" in s.get("properties", {}) for s in schemas.values())
