"""`allstore personalize serve` starts the service, answers boto3, and stops cleanly on SIGTERM."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
from pathlib import Path

import boto3

COMMAND = "from allstore.cli import app; app()"


def test_serve_until_sigterm(tmp_path: Path) -> None:
    process = subprocess.Popen(
        [
            sys.executable,
            "-c",
            COMMAND,
            "personalize",
            "serve",
            "--port",
            "0",
            "--state-dir",
            str(tmp_path / "state"),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        match = re.search(r"http://127\.0\.0\.1:\d+", line)
        assert match, line
        personalize = boto3.client("personalize", endpoint_url=match.group(0))
        assert personalize.create_dataset_group(name="from-the-cli")["datasetGroupArn"].endswith(
            "/from-the-cli"
        )
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0
        assert "stopping" in process.stdout.read()
    finally:
        if process.poll() is None:
            process.kill()
    assert list((tmp_path / "state" / "resources" / "dataset-group").glob("*.json"))
