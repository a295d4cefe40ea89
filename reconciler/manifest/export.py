"""Writing manifests: the inverse of loading, for `reconcile import` (adopting unmanaged objects).

Takes neutral specs (model.specs shapes, as plan.normalise produces them from live objects) and writes
documents a user can review and commit. Names that are not valid document names are made so.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import yaml

from reconciler.errors import UserError
from reconciler.manifest.specs import API_VERSION

SCHEMA_FILE = "schemas/reconciler.schema.json"


def document_name(text: str | None, fallback: str) -> str:
    """A valid document name (letters, digits, `_.-`, at most 64) from a platform name."""
    cleaned = re.sub(r"[^A-Za-z0-9_.-]+", "-", (text or "").strip()).strip("-._")[:64]
    return cleaned or fallback


def _document(kind: str, name: str, spec: dict[str, Any]) -> dict[str, Any]:
    return {"apiVersion": API_VERSION, "kind": kind, "metadata": {"name": name}, "spec": spec}


def assistant_documents(name: str, spec: dict[str, Any], store_names: dict[str, str]) -> list[dict[str, Any]]:
    """An Assistant document plus one FunctionTool document per function tool it uses."""
    docs: list[dict[str, Any]] = []
    tools: list[str] = []
    for tool in spec.get("tools", []):
        if tool.get("type") != "function":
            tools.append(str(tool.get("type")))
            continue
        tool_name = str(tool["name"])
        body: dict[str, Any] = {"parameters": tool.get("parameters") or {"type": "object", "properties": {}}}
        if tool.get("description"):
            body["description"] = tool["description"]
        if tool.get("strict"):
            body["strict"] = True
        docs.append(_document("FunctionTool", tool_name, body))
        tools.append(tool_name)
    out: dict[str, Any] = {"model": spec["model"]}
    if spec.get("description"):
        out["description"] = spec["description"]
    out["instructions"] = spec.get("instructions") or ""
    out["tools"] = tools
    stores = [store_names.get(s, s) for s in spec.get("file_search_vector_stores", [])]
    if stores:
        out["toolResources"] = {"fileSearch": {"vectorStores": stores}}
    for key, alias, default in (("temperature", "temperature", 1.0), ("top_p", "topP", 1.0)):
        if spec.get(key) is not None and spec[key] != default:
            out[alias] = spec[key]
    if spec.get("reasoning_effort"):
        out["reasoningEffort"] = spec["reasoning_effort"]
    if spec.get("metadata"):
        out["metadata"] = dict(spec["metadata"])
    # An imported assistant is updated in place until its owners opt into versions.
    out["versioning"] = "in-place"
    docs.insert(0, _document("Assistant", name, out))
    return docs


def vector_store_document(name: str, spec: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"files": []}
    if spec.get("expires_after_days") is not None:
        out["expiresAfterDays"] = spec["expires_after_days"]
    if spec.get("metadata"):
        out["metadata"] = dict(spec["metadata"])
    return _document("VectorStore", name, out)


def write_documents(directory: Path, filename: str, documents: list[dict[str, Any]], *, root: Path) -> Path:
    """Write documents as one multi-document YAML file with the editor modeline; never overwrites."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / filename
    if path.exists():
        raise UserError(f"{path} exists; not overwriting it")
    schema = os.path.relpath(root.resolve() / SCHEMA_FILE, directory.resolve())
    modeline = f"# yaml-language-server: $schema={Path(schema).as_posix()}\n"
    text = modeline + yaml.safe_dump_all(documents, sort_keys=False, allow_unicode=True, width=110)
    path.write_text(text, encoding="utf-8")
    return path
