"""Re-applying a 1,000-file vector store after changing one file: files and bytes uploaded.

One vector store with 1,000 small Markdown files is applied against an in-process emulator; then one
file's content changes and the project is applied again. We count the uploads (`POST /v1/files`) of the
second apply and the request-body bytes they carried (multipart framing included), beside the changed
file's size. Goals: exactly 1 file uploaded; bytes uploaded ~ the changed file's bytes.

Run: .venv/bin/python benchmarks/bench_file_sync.py [--quick]   (--quick: 200 files)
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from _fixtures import CountingTransport, Emulator, Shape, file_text, store_name, timed, write_project
from bench_plan_calls import summarise_routes

from reconciler.service import apply

FILES = 1000
UPLOAD = "POST /v1/files"


def row(label: str, value: int, note: str = "") -> None:
    print(f"{label:<34} {value:>8}   {note}".rstrip())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help=f"200 files instead of {FILES}")
    args = parser.parse_args(argv)
    files = 200 if args.quick else FILES
    shape = Shape(vector_stores=1, files_per_store=files)
    emulator = Emulator()
    try:
        with tempfile.TemporaryDirectory(prefix="bench-file-sync-") as tmp:
            root = Path(tmp)
            write_project(root, shape)
            all_bytes = sum(p.stat().st_size for p in (root / "manifests" / "files").iterdir())
            first_transport = CountingTransport(emulator.app)
            with emulator.workspace(root, first_transport) as ws, timed() as first:
                _, report = apply(ws)
                first_uploads = ws.stats.by_route.get(UPLOAD, 0)
            if report is None or not report.ok:
                raise SystemExit(f"the first apply failed: {report.failed[:3] if report else 'no report'}")

            changed = root / "manifests" / "files" / f"s0000-f{files // 2:04d}.md"
            changed.write_text(file_text(0, files // 2, edit=1))
            changed_bytes = changed.stat().st_size

            transport = CountingTransport(emulator.app)
            with emulator.workspace(root, transport) as ws, timed() as second:
                plan, report = apply(ws)
                uploads = ws.stats.by_route.get(UPLOAD, 0)
                requests = ws.stats.requests
                routes = summarise_routes(ws.stats.by_route)
            if report is None or not report.ok:
                raise SystemExit(f"the second apply failed: {report.failed[:3] if report else 'no report'}")
            uploaded_bytes = transport.body_bytes.get(UPLOAD, 0)
            sent_bytes = sum(transport.body_bytes.values())
            actions = {str(c.address): c.action.value for c in plan.actionable()}
    finally:
        emulator.close()

    first_upload_bytes = first_transport.body_bytes.get(UPLOAD, 0)
    print(f"Vector store {store_name(0)} with {files} files ({all_bytes:,} bytes), one file changed\n")
    print(f"first apply:  {first[0]:6.2f} s, {first_uploads} files uploaded, {first_upload_bytes:,} bytes")
    print(f"second apply: {second[0]:6.2f} s, {requests} requests ({routes})")
    print(f"plan of the second apply: {len(actions)} changes")
    for address, action in sorted(actions.items()):
        print(f"  {action:8} {address}")
    print()
    row("files uploaded", uploads, "goal 1")
    row("changed file bytes", changed_bytes)
    row("upload request bytes (multipart)", uploaded_bytes, f"{uploaded_bytes / changed_bytes:.1f}x changed")
    row("all request bytes, second apply", sent_bytes, f"{sent_bytes / changed_bytes:.1f}x changed")
    row("bytes a full re-upload would send", all_bytes, f"{all_bytes / changed_bytes:.0f}x (contents only)")
    ok = uploads == 1
    print(f"\ngoal: exactly 1 file uploaded: {'MET' if ok else 'MISSED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
