"""Writing manifests: the inverse of loading, for `reconcile import` (adopting unmanaged objects, or
carrying an Assistants-era export over).

Takes neutral specs (model.specs shapes, as plan.normalise produces them from live objects) and writes
documents a user can review and commit. Names that are not valid document names are made so. Manifests
are written only inside the project root, as every path the project reads lies there.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import yaml

from reconciler.errors import UserError
from reconciler.manifest.paths import is_inside
from reconciler.manifest.spec_base import API_VERSION

SCHEMA_FILE = "schemas/reconciler.schema.json"


def document_name(text: str | None, fallback: str) -> str:
    """A valid document name (letters, digits, `_.-`, at most 64) from a platform name."""
    cleaned = re.sub(r"[^A-Za-z0-9_.-]+", "-", (text or "").strip()).strip("-._")[:64]
    return cleaned or fallback


def _document(kind: str, name: str, spec: dict[str, Any]) -> dict[str, Any]:
    return {"apiVersion": API_VERSION, "kind": kind, "metadata": {"name": name}, "spec": spec}


def assistant_documents(
    name: str, spec: dict[str, Any], store_names: dict[str, str], *, in_place: bool = True
) -> list[dict[str, Any]]:
    """An Assistant document plus one FunctionTool document per function tool it uses. `in_place`: a
    live platform assistant adopted by `import` is updated in place until its owners opt into versions;
    one recreated from an export (a release bundle on the live platform) gets immutable versions."""
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
    response_format = _response_format(spec.get("response_format"))
    if response_format is not None:
        out["responseFormat"] = response_format
    if spec.get("reasoning_effort"):
        out["reasoningEffort"] = spec["reasoning_effort"]
    if spec.get("metadata"):
        out["metadata"] = dict(spec["metadata"])
    if in_place:
        out["versioning"] = "in-place"
    docs.insert(0, _document("Assistant", name, out))
    return docs


def _response_format(wire: Any) -> str | dict[str, Any] | None:
    """The manifest's `responseFormat` for the platform's `response_format`; None for the default."""
    if isinstance(wire, dict):
        kind = wire.get("type")
        if kind == "json_schema" and isinstance(wire.get("json_schema"), dict):
            schema = wire["json_schema"]
            out: dict[str, Any] = {"type": "json_schema", "name": schema.get("name")}
            if schema.get("description"):
                out["description"] = schema["description"]
            # `schema` on the wire; the SDK's model_dump() (not by_alias) spells it `schema_`.
            out["schema"] = schema.get("schema") or schema.get("schema_") or {}
            if schema.get("strict"):
                out["strict"] = True
            return out
        wire = kind
    return wire if isinstance(wire, str) and wire != "auto" else None


def vector_store_document(name: str, spec: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"files": []}
    if spec.get("expires_after_days") is not None:
        out["expiresAfterDays"] = spec["expires_after_days"]
    if spec.get("metadata"):
        out["metadata"] = dict(spec["metadata"])
    return _document("VectorStore", name, out)


def check_write_directory(directory: Path, root: Path) -> None:
    """Refuse a directory for written manifests outside the project root (its real path, so a symlink
    pointing out is refused too); checked before anything is done, so nothing is left half imported."""
    real_root = os.path.realpath(root)
    if not is_inside(os.path.realpath(directory), real_root):
        raise UserError(
            f"{directory}: outside the project root {real_root}; write the manifests inside the project "
            "(e.g. manifests/imported)"
        )


def write_documents(
    directory: Path, filename: str, documents: list[dict[str, Any]], *, root: Path, comment: str = ""
) -> Path:
    """Write documents as one multi-document YAML file with the editor modeline, then `comment` (each
    line as a YAML comment); never overwrites, never writes outside the project root."""
    check_write_directory(directory, root)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / filename
    if path.exists():
        raise UserError(f"{path} exists; not overwriting it")
    schema = os.path.relpath(root.resolve() / SCHEMA_FILE, directory.resolve())
    modeline = f"# yaml-language-server: $schema={Path(schema).as_posix()}\n"
    notes = "".join(f"# {line}".rstrip() + "\n" for line in comment.splitlines())
    text = modeline + notes + yaml.safe_dump_all(documents, sort_keys=False, allow_unicode=True, width=110)
    path.write_text(text, encoding="utf-8")
    return path
