"""Golden files: every fixture plan rendered in every format, compared byte for byte.

The expected outputs live in tests/golden/render/<fixture>.<txt|json|md>. After a deliberate change to a
renderer, regenerate them with

    UPDATE_GOLDEN=1 .venv/bin/pytest tests/unit/render/test_golden.py

and review the diff of tests/golden/render/ before committing it.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from reconciler.plan.definition import Plan
from reconciler.render.json import render_json
from reconciler.render.markdown import render_markdown
from reconciler.render.text import render_text
from tests.golden_files import assert_matches_golden
from tests.unit.render.plans import FIXTURES

GOLDEN = Path(__file__).resolve().parents[2] / "golden" / "render"
FORMATS: dict[str, Callable[[Plan], str]] = {"txt": render_text, "json": render_json, "md": render_markdown}


@pytest.mark.parametrize("fmt", sorted(FORMATS))
@pytest.mark.parametrize("fixture", sorted(FIXTURES))
def test_output_matches_golden_file(fixture: str, fmt: str) -> None:
    rendered = FORMATS[fmt](FIXTURES[fixture]())
    path = GOLDEN / f"{fixture}.{fmt}"
    assert_matches_golden(rendered, path)


def test_every_golden_file_belongs_to_a_fixture() -> None:
    """A renamed or removed fixture must not leave a stale golden file that no test reads."""
    expected = {f"{name}.{fmt}" for name in FIXTURES for fmt in FORMATS}
    assert {p.name for p in GOLDEN.iterdir()} == expected
