"""The identity tag in an upload's name (issue 12, item 2): it names owner, path and content at once,
keeps the extension last, and only a name we gave carries one."""

from __future__ import annotations

import pytest

from reconciler.model import labels

SHA_A, SHA_B = "a" * 64, "b" * 64


def test_the_tag_differs_for_each_owner_path_and_content() -> None:
    base = labels.file_tag("team/prod", "docs/a/policy.md", SHA_A)
    assert len(base) == labels.FILE_TAG_LENGTH
    others = {
        labels.file_tag("team/staging", "docs/a/policy.md", SHA_A),
        labels.file_tag("team/prod", "docs/b/policy.md", SHA_A),
        labels.file_tag("team/prod", "docs/a/policy.md", SHA_B),
    }
    assert base not in others and len(others) == 3


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("docs/policy.md", "policy.rcl-{t}.md"),
        ("docs/data.tar.gz", "data.tar.rcl-{t}.gz"),
        ("docs/README", "README.rcl-{t}"),
        ("docs/.env", ".env.rcl-{t}"),
    ],
)
def test_the_extension_stays_last_and_the_tag_reads_back(path: str, expected: str) -> None:
    tag = labels.file_tag("o/w", path, SHA_A)
    name = labels.tagged_filename(path, tag)
    assert name == expected.format(t=tag)
    assert labels.tag_of(name) == tag


@pytest.mark.parametrize("name", ["policy.md", "policy.rcl-123.md", "policy.rcl-ZZZZZZZZZZZZZZZZ.md", ""])
def test_names_we_did_not_give_carry_no_tag(name: str) -> None:
    assert labels.tag_of(name) is None
