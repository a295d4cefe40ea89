"""`reconcile emulator serve` in its own process answers the SDK, and Ctrl-C stops it cleanly."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import openai
import pytest

pytestmark = [
    pytest.mark.server,
    pytest.mark.filterwarnings("ignore:.*deprecated:DeprecationWarning"),
]
LAUNCH = "from reconciler.cli.main import main; main()"


def _start(*args: str) -> tuple[subprocess.Popen[str], str]:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        [sys.executable, "-c", LAUNCH, "emulator", "serve", "--host", "127.0.0.1", "--port", "0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert process.stdout is not None
    first = process.stdout.readline()  # the server prints its URL once it is bound
    if "http://127.0.0.1:" not in first:
        process.kill()
        pytest.fail(f"no URL printed: {first!r} {process.communicate(timeout=10)}")
    return process, first.split()[-1]


def test_serve_answers_the_sdk_from_another_process_and_stops_on_ctrl_c() -> None:
    process, base_url = _start("--faults", "seed=1", "--ingestion-seconds", "0")
    try:
        client = openai.OpenAI(api_key="sk-anything", base_url=base_url, max_retries=0, timeout=10)
        created = client.beta.assistants.create(model="gpt-4o", name="from-cli")
        assert client.beta.assistants.retrieve(created.id).name == "from-cli"
        client.close()
    finally:
        process.send_signal(signal.SIGINT)
        out, _ = process.communicate(timeout=15)
    assert process.returncode == 0
    assert "stopped" in out


def test_bad_fault_option_is_a_usage_error() -> None:
    result = subprocess.run(
        [sys.executable, "-c", LAUNCH, "emulator", "serve", "--port", "0", "--faults", "bogus=1"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 1
    assert "unknown fault option" in result.stderr


def test_serve_prints_the_faults_and_timings_in_force_and_applies_them() -> None:
    process, base_url = _start(
        "--faults",
        "seed=7,error_rate=0.1,only=files",
        "--run-queued-seconds",
        "60",
        "--run-expires-seconds",
        "900",
    )
    try:
        assert process.stdout is not None
        printed = [process.stdout.readline() for _ in range(3)]
        assert printed[1] == "faults: seed=7,error_rate=0.1,only=files\n"
        assert "run_queued_seconds=60" in printed[2] and "run_expires_seconds=900" in printed[2]
        client = openai.OpenAI(api_key="sk-anything", base_url=base_url, max_retries=0, timeout=10)
        assistant = client.beta.assistants.create(model="gpt-4o")
        thread = client.beta.threads.create()
        run = client.beta.threads.runs.create(thread.id, assistant_id=assistant.id)
        assert client.beta.threads.runs.retrieve(run.id, thread_id=thread.id).status == "queued"
        assert run.expires_at == run.created_at + 900
        client.close()
    finally:
        process.send_signal(signal.SIGINT)
        process.communicate(timeout=15)


@pytest.mark.parametrize(
    ("faults", "message"),
    [
        ("seed=x", "fault option seed: expected a whole number, got 'x'"),
        ("error_rate=2", "fault option error_rate: a rate is a fraction of requests from 0 to 1, got 2"),
        ("only=file", "fault option only: unknown route group 'file'"),
    ],
)
def test_bad_faults_are_one_line(faults: str, message: str) -> None:
    result = subprocess.run(
        [sys.executable, "-c", LAUNCH, "emulator", "serve", "--port", "0", "--faults", faults],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 1
    assert len(result.stderr.strip().splitlines()) == 1
    assert message in result.stderr


def test_db_file_survives_a_restart(tmp_path: object) -> None:
    db = os.path.join(str(tmp_path), "platform.db")
    ids = []
    for _ in range(2):
        process, base_url = _start("--db", db)
        try:
            client = openai.OpenAI(api_key="sk-anything", base_url=base_url, max_retries=0, timeout=10)
            ids.append(client.beta.assistants.create(model="gpt-4o").id)
            listed = [a.id for a in client.beta.assistants.list(order="asc")]
            client.close()
        finally:
            process.send_signal(signal.SIGINT)
            process.communicate(timeout=15)
    assert listed == ids


def test_db_in_a_directory_that_does_not_exist_yet_is_created(tmp_path: Path) -> None:
    db = tmp_path / ".reconcile" / "served.db"  # a fresh clone has no .reconcile/
    process, base_url = _start("--db", str(db))
    try:
        client = openai.OpenAI(api_key="sk-anything", base_url=base_url, max_retries=0, timeout=10)
        client.beta.assistants.create(model="gpt-4o", name="kept")
        client.close()
    finally:
        process.send_signal(signal.SIGINT)
        process.communicate(timeout=15)
    assert db.is_file()


def test_a_port_in_use_is_one_line_not_a_traceback() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = str(taken.getsockname()[1])
        result = subprocess.run(
            [sys.executable, "-c", LAUNCH, "emulator", "serve", "--host", "127.0.0.1", "--port", port],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("error: cannot start the emulator on 127.0.0.1:" + port)
    assert len(result.stderr.strip().splitlines()) == 1
