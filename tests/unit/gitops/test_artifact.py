"""The saved plan read out of an artifact's zip: the one plan-*.json, refusing paths, sizes and surprises."""

from __future__ import annotations

import io
import zipfile

import pytest

from reconciler.errors import PlanFileError
from reconciler.gitops.artifact import plan_from_zip, safe_name


def zipped(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def test_the_one_plan_is_read() -> None:
    data = zipped({"plan-abc.json": b'{"plan_id": "x"}'})
    assert plan_from_zip(data, source="artifact a") == b'{"plan_id": "x"}'


@pytest.mark.parametrize(
    "name",
    ["../plan-abc.json", "/etc/plan-abc.json", "dir/plan-abc.json", "..\\plan-abc.json", "C:plan-abc.json"],
)
def test_a_member_with_a_path_is_refused(name: str) -> None:
    data = zipped({name: b"{}"})
    with pytest.raises(PlanFileError, match="not a plain file name"):
        plan_from_zip(data, source="artifact a")


def test_a_traversal_member_next_to_the_plan_refuses_the_whole_archive() -> None:
    data = zipped({"plan-abc.json": b"{}", "../../.bashrc": b"evil"})
    with pytest.raises(PlanFileError, match="not a plain file name"):
        plan_from_zip(data, source="artifact a")


def test_an_oversized_plan_is_refused_before_and_while_reading() -> None:
    data = zipped({"plan-abc.json": b" " * 5_000})
    with pytest.raises(PlanFileError, match="5000 bytes, over 1000"):
        plan_from_zip(data, source="artifact a", limit=1_000)
    # A directory entry that lies about the size: the read does not trust it (CRC or bound).
    lying = bytearray(data)
    central = lying.rfind(b"PK\x01\x02")
    lying[central + 24 : central + 28] = (10).to_bytes(4, "little")  # uncompressed size in the directory
    with pytest.raises(PlanFileError, match=r"cannot read plan-abc.json: Bad CRC-32"):
        plan_from_zip(bytes(lying), source="artifact a", limit=1_000)


@pytest.mark.parametrize(
    ("files", "said"),
    [
        ({"readme.txt": b"x"}, "no plan-"),
        ({"plan-a.json": b"{}", "plan-b.json": b"{}"}, "2 plan-"),
        ({f"f{i}.txt": b"" for i in range(40)}, "40 files"),
    ],
)
def test_no_plan_two_plans_or_too_many_files_are_refused(files: dict[str, bytes], said: str) -> None:
    with pytest.raises(PlanFileError, match=said):
        plan_from_zip(zipped(files), source="artifact a")


def test_not_a_zip_is_refused() -> None:
    with pytest.raises(PlanFileError, match="artifact a: not a zip archive"):
        plan_from_zip(b"<html>login</html>", source="artifact a")


def test_safe_names() -> None:
    assert safe_name("plan-x.json")
    assert not any(safe_name(n) for n in ("", ".", "..", "a/b", "a\\b", "c:x", "/x"))
