"""OpenAI's published OpenAPI document (the subset the emulator serves), vendored as package data.

`openai-subset.oas31-nullable.yaml` is the spec itself (MIT, OpenAI), pinned by upstream commit and
SHA-256 in `provenance.json`; `requests.json` is what request validation needs, derived from it by
`derive.py`. The emulator reads only `requests.json`; the contract tests read the YAML.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

DIRECTORY = Path(__file__).resolve().parent
SPEC_FILE = DIRECTORY / "openai-subset.oas31-nullable.yaml"
PROVENANCE_FILE = DIRECTORY / "provenance.json"
REQUESTS_FILE = DIRECTORY / "requests.json"


@cache
def request_document() -> dict[str, Any]:
    """The derived request schemas (`paths` + `components.schemas`), read once per process."""
    with REQUESTS_FILE.open(encoding="utf-8") as handle:
        document: dict[str, Any] = json.load(handle)
    return document
