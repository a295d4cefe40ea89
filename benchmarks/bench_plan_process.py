"""A no-op `reconcile plan` as a whole process beside a naive SDK script: wall time and peak memory.

What a user times: after an apply, `reconcile plan` in its own process (start-up and imports included)
against the emulator served over loopback HTTP in another process, beside the script a user would write
in thirty lines instead (`NAIVE` below: the `openai` SDK lists every assistant with its paginator, PyYAML
loads the manifests, and name, instructions, model and tools are compared). Both must find nothing to do.

The project: N assistants (N = 10, 1,000, 3,000), each using TOOLS_PER_ASSISTANT function tools of a
shared catalogue of CATALOGUE FunctionTool documents, plus code_interpreter. The plan runs warm (the list
hints of the plan before it), as the usual plan does.

Each N runs `--repeat` pairs (5 by default), plan and script alternately first, and compares the medians
of wall time and of peak memory (the child's max RSS from wait4, taken by a small launcher process: a
child forked from this benchmark would count this process's memory in its own peak). Goals: median plan
wall / median script wall <= 1.0 at every N; plan max RSS at N = 3,000 <= 1.5x the script's. Exit 1
when either is missed.

Run: .venv/bin/python benchmarks/bench_plan_process.py [--quick] [--repeat K] [--sizes 10,1000]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from statistics import median

from _fixtures import function_tool_doc, project_yaml, served_emulator

from reconciler.service import apply, open_workspace

SIZES = (10, 1_000, 3_000)
MEMORY_AT = 3_000
TIME_GOAL = 1.0
MEMORY_GOAL = 1.5
REPEAT = 5
CATALOGUE = 20
TOOLS_PER_ASSISTANT = 2  # as the example's assistant: two function tools and a builtin

# What a user writes to answer "are my assistants as the manifests say?" without a tool. Plain and
# correct, nothing left slow on purpose: the C YAML loader when it is there, the SDK's own paginator at
# its largest page, one pass of comparisons.
NAIVE = '''\
"""Compare the assistants on the platform with the manifests (name, instructions, model, tools)."""
import glob
import sys

import openai
import yaml

root, base_url = sys.argv[1], sys.argv[2]
Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
docs = []
for path in sorted(glob.glob(f"{root}/manifests/**/*.yaml", recursive=True)):
    with open(path, encoding="utf-8") as f:
        docs += [d for d in yaml.load_all(f, Loader=Loader) if d]
functions = {d["metadata"]["name"]: d["spec"] for d in docs if d["kind"] == "FunctionTool"}


def tool(ref):
    if ref not in functions:
        return {"type": ref}
    f = functions[ref]
    fn = {"name": f.get("name", ref), "parameters": f["parameters"], "strict": f.get("strict", False)}
    if f.get("description") is not None:
        fn["description"] = f["description"]
    return {"type": "function", "function": fn}


client = openai.OpenAI(base_url=base_url)
live = {a.name: a for a in client.beta.assistants.list(limit=100)}
differences = 0
for d in docs:
    if d["kind"] != "Assistant":
        continue
    name, spec = d["metadata"]["name"], d["spec"]
    a = live.get(name)
    tools = [tool(t) for t in spec.get("tools", [])]
    if a is None or (a.instructions, a.model) != (spec.get("instructions"), spec["model"]) or [
        t.model_dump(exclude_none=True) for t in a.tools
    ] != tools:
        print(f"{name}: differs")
        differences += 1
print(f"{differences} of {len(live)} assistants differ")
sys.exit(2 if differences else 0)
'''


def tool_doc(t: int) -> str:
    return function_tool_doc(
        f"tool{t:02d}", t, description=f"Tool {t} of the shared catalogue.", since_note=True
    )


def assistant_doc(a: int, per_assistant: int = TOOLS_PER_ASSISTANT) -> str:
    tools = [f"tool{(a + k) % CATALOGUE:02d}" for k in range(per_assistant)]
    return f"""---
apiVersion: reconciler.dev/v1
kind: Assistant
metadata:
  name: assistant-{a:04d}
spec:
  model: gpt-5.5-2026-04-23
  description: Generated assistant {a}.
  instructions: You are assistant number {a}. Use your tools and answer briefly.
  tools: [{", ".join([*tools, "code_interpreter"])}]
  temperature: 0.2
  metadata:
    team: bench
"""


def write_project(root: Path, n: int, url: str, per_assistant: int = TOOLS_PER_ASSISTANT) -> None:
    manifests = root / "manifests"
    manifests.mkdir(parents=True, exist_ok=True)
    (root / "reconcile.yaml").write_text(project_yaml(served_url=url))
    if per_assistant:
        (manifests / "tools.yaml").write_text("".join(tool_doc(t) for t in range(CATALOGUE)))
    (manifests / "assistants.yaml").write_text("".join(assistant_doc(a, per_assistant) for a in range(n)))


@dataclass(frozen=True)
class Run:
    wall: float  # seconds
    cpu: float  # user + system seconds of the child
    rss_mb: float  # the child's peak resident set


@dataclass
class Pair:
    n: int
    plan: list[Run] = field(default_factory=list)
    naive: list[Run] = field(default_factory=list)

    @staticmethod
    def med(runs: list[Run], what: str) -> float:
        return median(getattr(r, what) for r in runs)


# Starts each measured process from a small interpreter of its own. The kernel counts the memory a child
# shared with its parent before `exec` in the child's peak RSS (exec records the old address space's high
# water mark), so a child forked straight from this benchmark, which holds an applied project, would
# report at least this process's size. The launcher is a few MB, far below either process measured.
LAUNCHER = """
import json, os, sys, time
start = time.perf_counter()
pid = os.fork()
if pid == 0:
    os.execv(sys.argv[1], sys.argv[1:])
_, status, usage = os.wait4(pid, 0)
wall = time.perf_counter() - start
print(json.dumps({"code": os.waitstatus_to_exitcode(status), "wall": wall,
                  "cpu": usage.ru_utime + usage.ru_stime, "rss_kb": usage.ru_maxrss}))
"""


def run_child(argv: list[str], cwd: Path, what: str) -> Run:
    """Run one process to its end: its wall time, CPU and peak RSS alone (wait4's rusage in a launcher)."""
    env = {**os.environ, "OPENAI_API_KEY": "sk-local-emulator", "PYTHONWARNINGS": "ignore"}
    with tempfile.TemporaryFile() as out:
        done = subprocess.run(
            [sys.executable, "-S", "-c", LAUNCHER, *argv],
            cwd=cwd,
            env=env,
            stdout=subprocess.PIPE,
            stderr=out,
            check=False,
        )
        lines = done.stdout.decode(errors="replace").splitlines()
        report = json.loads(lines[-1]) if done.returncode == 0 and lines else {"code": done.returncode}
        if report["code"] != 0:
            out.seek(0)
            tail = "\n".join([*lines[:-1], out.read().decode(errors="replace")])[-2000:]
            raise SystemExit(f"{what} exited {report['code']} (0 means nothing to change):\n{tail}")
    return Run(report["wall"], report["cpu"], report["rss_kb"] / 1024)


def measure(n: int, repeat: int, per_assistant: int = TOOLS_PER_ASSISTANT) -> Pair:
    bin_dir = Path(sys.executable).parent
    with tempfile.TemporaryDirectory(prefix="bench-plan-process-") as tmp:
        root = Path(tmp) / "project"
        naive = Path(tmp) / "naive.py"
        naive.write_text(NAIVE)
        with served_emulator(Path(tmp) / "platform.db") as url:
            write_project(root, n, url, per_assistant)
            os.environ.setdefault("OPENAI_API_KEY", "sk-local-emulator")
            with open_workspace(root, target="served") as ws:
                _, report = apply(ws)
            if report is None or not report.ok:
                raise SystemExit(f"N={n}: the apply failed")
            plan = [str(bin_dir / "reconcile"), "plan", "--target", "served", "--detailed-exitcode"]
            script = [sys.executable, str(naive), str(root), url]
            # Once each before timing: the plan saves its list hints (every later plan is warm, as the
            # usual one is), and both find the server, the OS page cache and .pyc files warm.
            run_child(plan, root, "reconcile plan")
            run_child(script, root, "the naive script")
            pair = Pair(n)
            for i in range(repeat):
                order = [(plan, pair.plan, "reconcile plan"), (script, pair.naive, "the naive script")]
                for argv, runs, what in order if i % 2 == 0 else reversed(order):
                    runs.append(run_child(argv, root, what))
            return pair


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="N = 10 and 1,000 only, 3 pairs")
    parser.add_argument("--repeat", type=int, default=REPEAT, help=f"pairs per N (default {REPEAT})")
    parser.add_argument("--sizes", help="comma-separated N (default 10,1000,3000)")
    parser.add_argument(
        "--tools",
        type=int,
        default=TOOLS_PER_ASSISTANT,
        help=f"catalogue function tools per assistant, 0-{CATALOGUE} (default {TOOLS_PER_ASSISTANT})",
    )
    args = parser.parse_args(argv)
    sizes = tuple(int(s) for s in args.sizes.split(",")) if args.sizes else SIZES
    repeat = max(1, args.repeat)
    if args.quick:
        sizes, repeat = SIZES[:2], min(repeat, 3)
    print("No-op `reconcile plan` as a whole process vs a naive SDK list-and-compare script")
    print(
        f"project: N assistants, each with {args.tools} of {CATALOGUE} catalogue function tools"
        " + code_interpreter; emulator served in its own process (loopback HTTP)"
    )
    print(f"medians of {repeat} pairs per N, run alternately\n")
    print(
        f"{'N':>5} {'plan s':>7} {'naive s':>8} {'ratio':>6} {'plan cpu':>9} {'naive cpu':>10}"
        f" {'plan MB':>8} {'naive MB':>9} {'mem ratio':>10} {'plan range s':>13}"
    )
    time_ok = True
    memory_ok: bool | None = None
    for n in sizes:
        pair = measure(n, repeat, max(0, min(args.tools, CATALOGUE)))
        wall, naive_wall = Pair.med(pair.plan, "wall"), Pair.med(pair.naive, "wall")
        rss, naive_rss = Pair.med(pair.plan, "rss_mb"), Pair.med(pair.naive, "rss_mb")
        ratio, mem_ratio = wall / naive_wall, rss / naive_rss
        time_ok = time_ok and ratio <= TIME_GOAL
        if n == MEMORY_AT:
            memory_ok = mem_ratio <= MEMORY_GOAL
        walls = [r.wall for r in pair.plan]
        print(
            f"{n:>5} {wall:>7.2f} {naive_wall:>8.2f} {ratio:>5.2f}x"
            f" {Pair.med(pair.plan, 'cpu'):>9.2f} {Pair.med(pair.naive, 'cpu'):>10.2f}"
            f" {rss:>8.0f} {naive_rss:>9.0f} {mem_ratio:>9.2f}x {min(walls):>6.2f}-{max(walls):.2f}",
            flush=True,
        )
    print()
    print("plan s / naive s: median wall seconds of the whole process, start-up included;")
    print("cpu: median user + system seconds of the process; MB: median peak RSS (wait4 ru_maxrss)")
    print(f"goal: wall ratio <= {TIME_GOAL} at every N: {'MET' if time_ok else 'MISSED'}")
    if memory_ok is None:
        print(f"goal: plan peak memory at N = {MEMORY_AT:,} <= {MEMORY_GOAL}x the script's: not measured")
    else:
        print(
            f"goal: plan peak memory at N = {MEMORY_AT:,} <= {MEMORY_GOAL}x the script's:"
            f" {'MET' if memory_ok else 'MISSED'}"
        )
    return 0 if time_ok and memory_ok is not False else 1


if __name__ == "__main__":
    sys.exit(main())
