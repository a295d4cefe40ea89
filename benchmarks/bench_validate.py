"""Validate 1,000 assistants with 20 function tools each (21,000 documents) and compare with plain YAML.

Prints the time of `validate_project` beside the time of `yaml.load_all(CSafeLoader)` alone on the same
files, and their ratio. Goal: validation under 2 s.

Two fixtures. Default: 1,000 assistants each using 20 tools from a shared catalogue of 20 FunctionTool
documents (1,020 documents) - tools are usually shared. `--distinct`: each assistant has its own 20 tool
documents (21,000 documents, 10 MB of YAML); there the parameter schemas follow 20 shapes, so the JSON
Schema checks, cached by content, run 20 times and not 20,000. On the distinct fixture, parsing the YAML
alone takes longer than the goal, so the ratio is the figure to watch.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import yaml
from _fixtures import function_tool_doc, project_yaml

from reconciler.manifest import validate_project

ASSISTANTS = 1000
TOOLS = 20
Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def tool_doc(owner: str, t: int) -> str:
    return function_tool_doc(f"{owner}tool{t:02d}", t, description=f"Tool {t} ({owner or 'shared'}).")


def assistant_doc(a: int, owner: str) -> str:
    tools = ", ".join(f"{owner}tool{t:02d}" for t in range(TOOLS))
    return f"""---
apiVersion: reconciler.dev/v1
kind: Assistant
metadata:
  name: assistant-{a:04d}
spec:
  model: gpt-5.5-2026-04-23
  instructions: You are assistant number {a}. Use your tools.
  description: Generated assistant {a}.
  tools: [{tools}]
  temperature: 0.2
  metadata:
    team: bench
"""


def generate(directory: Path, *, distinct: bool) -> list[Path]:
    files = []
    if not distinct:
        catalogue = directory / "tools.yaml"
        catalogue.write_text("".join(tool_doc("", t) for t in range(TOOLS)))
        files.append(catalogue)
    for a in range(ASSISTANTS):
        owner = f"a{a:04d}_" if distinct else ""
        path = directory / f"group{a // 100:02d}" / f"assistant-{a:04d}.yaml"
        path.parent.mkdir(parents=True, exist_ok=True)
        tools = "".join(tool_doc(owner, t) for t in range(TOOLS)) if distinct else ""
        path.write_text(assistant_doc(a, owner) + tools)
        files.append(path)
    return files


def write_project(root: Path, *, distinct: bool) -> list[Path]:
    """reconcile.yaml and the generated manifests under manifests/: a project `validate` accepts."""
    (root / "reconcile.yaml").write_text(project_yaml())
    manifests = root / "manifests"
    manifests.mkdir()
    return generate(manifests, distinct=distinct)


def main() -> int:
    distinct = "--distinct" in sys.argv[1:]
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        files = write_project(root, distinct=distinct)
        size = sum(f.stat().st_size for f in files)
        start = time.perf_counter()
        for f in files:
            list(yaml.load_all(f.read_text(), Loader=Loader))
        baseline = time.perf_counter() - start
        start = time.perf_counter()
        report = validate_project(root, strict=True)
        elapsed = time.perf_counter() - start
        if not report.ok:
            for problem in report.problems[:10]:
                print(problem)
            return 1
        fixture = "20 own tools each" if distinct else "20 tools each from a shared catalogue"
        print(f"{ASSISTANTS} assistants, {fixture}")
        print(
            f"{report.documents} documents in {len(files)} files ({size / 1e6:.1f} MB), "
            f"libyaml: {Loader is not yaml.SafeLoader}"
        )
        print(f"yaml.load_all (CSafeLoader) alone : {baseline:6.2f} s")
        print(f"reconcile validate --strict       : {elapsed:6.2f} s  (goal < 2 s)")
        print(f"ratio validate / yaml             : {elapsed / baseline:6.2f}")
        return 0 if elapsed < 2.0 else 2


if __name__ == "__main__":
    sys.exit(main())
