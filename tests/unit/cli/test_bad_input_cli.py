"""Issue 12 item 14: the fuzzed inputs that ended in a traceback are each one line with a location, exit 1.

Every case runs `reconcile plan` (errors on stderr) and `reconcile validate` (problems on stdout) through
the real entry point; a few also run in a child process, as a user would.
"""

from __future__ import annotations

import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from reconciler.cli.main import run

HEADER = "apiVersion: reconciler.dev/v1\n"
PROJECT = HEADER + "kind: Project\nmetadata: {name: t}\nspec:\n  manifests: manifests\n"


def _tool(parameters: str) -> str:
    return HEADER + f"kind: FunctionTool\nmetadata: {{name: t}}\nspec:\n  parameters: {parameters}\n"


def _alert(threshold: str) -> str:
    return HEADER + (
        "kind: SpendAlert\nmetadata: {name: a}\n"
        f"spec: {{scope: project, thresholdUSD: {threshold}, notify: {{email: [a@example.com]}}}}\n"
    )


def _project_with(setting: str) -> str:
    return PROJECT + "".join(f"  {line}\n" for line in setting.splitlines())


@dataclass(frozen=True)
class Case:
    files: dict[str, str]
    where: str  # file:line: of the problem
    code: str
    env: dict[str, str] = field(default_factory=dict)


DEEP = 300
CASES = {
    "nesting-300-mappings": Case(
        {"manifests/deep.yaml": _tool("{a: " * DEEP + "1" + "}" * DEEP)},
        "manifests/deep.yaml:5:",
        "yaml.depth",
    ),
    "nesting-300-sequences": Case(
        {"manifests/deep.yaml": _tool("{type: object, enum: " + "[" * DEEP + "]" * DEEP + "}")},
        "manifests/deep.yaml:5:",
        "yaml.depth",
    ),
    "nan-money": Case({"manifests/a.yaml": _alert(".nan")}, "manifests/a.yaml:4:", "yaml.number"),
    "inf-money": Case({"manifests/a.yaml": _alert(".inf")}, "manifests/a.yaml:4:", "yaml.number"),
    "overflowing-float-money": Case(
        {"manifests/a.yaml": _alert("1.0e+999")}, "manifests/a.yaml:4:", "yaml.number"
    ),
    "5000-digit-money": Case({"manifests/a.yaml": _alert("9" * 5000)}, "manifests/a.yaml:4:", "yaml.number"),
    "5000-digit-schema-bound": Case(
        {"manifests/t.yaml": _tool("{type: object, maxProperties: " + "7" * 5000 + "}")},
        "manifests/t.yaml:5:",
        "yaml.number",
    ),
    "nul-in-file-path": Case(
        {
            "manifests/v.yaml": HEADER
            + 'kind: VectorStore\nmetadata: {name: v}\nspec:\n  files: ["a\\0.md"]\n',
            "manifests/a.md": "a\n",
        },
        "manifests/v.yaml:5:",
        "yaml.nul",
    ),
    "nul-in-manifests-setting": Case(
        {"reconcile.yaml": HEADER + 'kind: Project\nmetadata: {name: t}\nspec:\n  manifests: "m\\0"\n'},
        "reconcile.yaml:5:",
        "yaml.nul",
    ),
    "nul-in-state-path": Case(
        {"reconcile.yaml": _project_with('state: "sqlite:///.reconcile/st\\0ate.db"')},
        "reconcile.yaml:6:",
        "yaml.nul",
    ),
    "nul-in-platform-db": Case(
        {"reconcile.yaml": _project_with('targets:\n  local: {type: local, platformDB: "a\\0b.db"}')},
        "reconcile.yaml:7:",
        "yaml.nul",
    ),
    "unclosed-ipv6-base-url": Case(
        {"reconcile.yaml": _project_with('targets:\n  local: {type: openai, baseURL: "http://[::1"}')},
        "reconcile.yaml:7:",
        "field.invalid",
    ),
    "non-utf8-postgres-password": Case(
        {"reconcile.yaml": _project_with('state: "postgresql://postgres:pa%CAss@127.0.0.1:5432/test"')},
        "reconcile.yaml:6:",
        "field.invalid",
    ),
}


def _write(root: Path, files: dict[str, str]) -> None:
    (root / "manifests").mkdir(parents=True, exist_ok=True)
    (root / "reconcile.yaml").write_text(PROJECT, encoding="utf-8")
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def _one_line(err: str) -> str:
    assert "Traceback" not in err
    assert err.count("\n") == 1 and err.startswith("error: "), err
    # Plain words: the message, not the Python class that carried it ("error: ...").
    assert re.match(r"error: [A-Z][A-Za-z]+(Error|Found|Forward): ", err) is None, err
    return err


@pytest.mark.parametrize("name", sorted(CASES))
def test_bad_input_is_one_line_with_its_location(
    name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    case = CASES[name]
    _write(tmp_path, case.files)
    monkeypatch.chdir(tmp_path)

    assert run(["plan"]) == 1
    out, err = capsys.readouterr()
    line = _one_line(err)
    assert case.where in line and f"[{case.code}]" in line, line
    assert out == ""
    assert "pa%CAss" not in line  # the %CA case: the DSN's password is never quoted

    assert run(["validate"]) == 1
    out, err = capsys.readouterr()
    assert err == ""
    assert any(row.startswith(case.where) and f"[{case.code}]" in row for row in out.splitlines()), out


def test_a_non_ascii_api_key_is_one_line_naming_the_variable(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _write(
        tmp_path,
        {
            "reconcile.yaml": _project_with(
                "defaultTarget: r\ntargets:\n  r: {type: openai, baseURL: 'http://127.0.0.1:9/v1'}"
            )
        },
    )
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-proj-clé-SECRET0123456789abcdef")
    assert run(["plan"]) == 1
    out, err = capsys.readouterr()
    assert "OPENAI_API_KEY" in _one_line(err)
    assert "SECRET" not in out + err


def test_an_unexpected_exception_is_one_line_unless_debug(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A bug is still one line (with a hint to use --debug); --debug adds the traceback."""
    from reconciler import service

    def broken(*_args: object, **_kwargs: object) -> object:
        raise RuntimeError("boom\nsecond line")

    _write(tmp_path, {})
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(service, "open_workspace", broken)
    assert run(["plan"]) == 1
    line = _one_line(capsys.readouterr().err)
    assert (
        line == "error: internal error: RuntimeError: boom second line (run with --debug for the traceback)\n"
    )

    assert run(["--debug", "plan"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("Traceback (most recent call last):")
    assert err.splitlines()[-1] == line.strip()


@pytest.mark.parametrize("name", ["nesting-300-mappings", "5000-digit-money", "unclosed-ipv6-base-url"])
def test_in_a_child_process(name: str, tmp_path: Path) -> None:
    """The installed entry point: exit status 1 and one line on stderr."""
    case = CASES[name]
    _write(tmp_path, case.files)
    done = subprocess.run(
        [sys.executable, "-c", "from reconciler.cli.main import main; main()", "plan"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 1
    assert case.where in _one_line(done.stderr)


def test_error_lines_show_bidi_and_control_characters_escaped(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 12 item 16: an error quoting manifest text cannot reorder the line it is printed on."""
    manifest = HEADER + 'kind: FunctionTool\nmetadata: {name: t}\nspec:\n  "na\\u202eme\\x1b[2J": 1\n'
    _write(tmp_path, {"manifests/t.yaml": manifest})
    monkeypatch.chdir(tmp_path)
    assert run(["plan"]) == 1
    err = capsys.readouterr().err
    assert "spec.na\\u202eme\\x1b[2J: unknown field" in _one_line(err)
    assert run(["validate"]) == 1
    out = capsys.readouterr().out
    assert "spec.na\\u202eme\\x1b[2J: unknown field" in out
    assert "\u202e" not in out + err and "\x1b" not in out + err
