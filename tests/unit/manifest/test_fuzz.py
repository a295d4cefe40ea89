"""Random YAML and random mutations of the examples: success or our own errors, never another exception."""

from __future__ import annotations

import contextlib
import shutil
import tempfile
from datetime import date
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reconciler.errors import ReconcilerError
from reconciler.manifest import load_project, validate_project
from reconciler.manifest.yaml_loader import load_documents

from .conftest import REPO

EXAMPLES = sorted((REPO / "manifests").glob("*.yaml"))
AS_OF = date(2026, 11, 25)

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False),
    st.text(max_size=20),
    st.sampled_from(
        [
            "Assistant",
            "FunctionTool",
            "VectorStore",
            "AnalysisTemplate",
            "tool-health",
            "result.canary < result.stable",
            "reconciler.dev/v1",
            "../../etc/passwd",
            "/etc/passwd",
            "file_search",
            "*.md",
        ]
    ),
)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=20,
)
KEYS = [
    "apiVersion",
    "kind",
    "metadata",
    "name",
    "spec",
    "model",
    "tools",
    "files",
    "parameters",
    "strict",
    "chunking",
    "type",
    "toolResources",
    "fileSearch",
    "vectorStores",
    "metadata",
    "thresholdUSD",
    "rollout",
    "steps",
    "analysis",
    "smoke",
    "expect",
    "metrics",
    "provider",
    "successCondition",
]


def _check(directory: Path) -> None:
    report = validate_project(directory, strict=True, as_of=AS_OF)
    assert report.ok == (report.desired is not None)
    with contextlib.suppress(ReconcilerError):
        load_project(directory, as_of=AS_OF)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=200))
def test_any_text_loads_or_reports(text: str) -> None:
    _docs, issues = load_documents(text)
    assert all(i.line >= 1 and i.column >= 1 for i in issues)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(values, min_size=1, max_size=3))
def test_random_documents(documents: list[Any]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        Path(tmp, "m.yaml").write_text(yaml.safe_dump_all(documents))
        _check(Path(tmp))


def _mutate(node: Any, path: list[int], new: Any, key: str) -> Any:
    """Replace, delete or add something at a pseudo-random place chosen by `path`."""
    if not path:
        return new
    step, rest = path[0], path[1:]
    if isinstance(node, dict) and node:
        keys = list(node)
        chosen = keys[step % len(keys)]
        copy = dict(node)
        if step % 7 == 0:
            del copy[chosen]
        elif step % 7 == 1:
            copy[key] = new
        else:
            copy[chosen] = _mutate(node[chosen], rest, new, key)
        return copy
    if isinstance(node, list) and node:
        copy = list(node)
        index = step % len(node)
        copy[index] = _mutate(node[index], rest, new, key)
        return copy
    return new


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from(EXAMPLES),
    st.lists(st.integers(min_value=0, max_value=50), min_size=1, max_size=6),
    values,
    st.sampled_from(KEYS),
)
def test_mutated_examples(example: Path, path: list[int], new: Any, key: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        shutil.copytree(REPO / "manifests", root / "manifests")
        data = yaml.safe_load(example.read_text())
        (root / "manifests" / example.name).write_text(yaml.safe_dump(_mutate(data, path, new, key)))
        _check(root / "manifests")


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(EXAMPLES), st.integers(min_value=0, max_value=5000), st.text(max_size=8))
def test_text_mutations_of_examples(example: Path, offset: int, insert: str) -> None:
    text = example.read_text()
    cut = offset % (len(text) + 1)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        shutil.copytree(REPO / "manifests", root / "manifests")
        (root / "manifests" / example.name).write_text(text[:cut] + insert + text[cut + len(insert) :])
        _check(root / "manifests")
