"""`allstore personalize serve` starts the service, prints the key pair it answers (made in its state
directory at the first start), answers boto3 signed with it, and stops cleanly on SIGTERM."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
from pathlib import Path

import boto3
import pytest
from botocore.exceptions import ClientError

from allstore.credentials import StoreCredentials

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
        exports = {}
        while not (line := process.stdout.readline()).startswith("Ctrl-C"):
            name, _, value = line.strip().removeprefix("export ").partition("=")
            exports[name] = value
        assert exports["AWS_ENDPOINT_URL_PERSONALIZE"] == match.group(0)
        saved = StoreCredentials.read(tmp_path / "state")
        assert saved.environment() == {key: exports[key] for key in saved.environment()}
        keys = {"aws_access_key_id": saved.access_key_id, "aws_secret_access_key": saved.secret_access_key}
        personalize = boto3.client("personalize", endpoint_url=match.group(0), **keys)
        assert personalize.create_dataset_group(name="from-the-cli")["datasetGroupArn"].endswith(
            "/from-the-cli"
        )
        anyone = boto3.client("personalize", endpoint_url=match.group(0))  # the tests' dummy keys
        with pytest.raises(ClientError, match="UnrecognizedClientException"):
            anyone.list_dataset_groups()
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0
        assert "stopping" in process.stdout.read()
    finally:
        if process.poll() is None:
            process.kill()
    assert list((tmp_path / "state" / "resources" / "dataset-group").glob("*.json"))


def test_serve_stops_on_sigint_when_started_in_the_background(tmp_path: Path) -> None:
    """A script's `allstore personalize serve &` inherits SIGINT ignored from the shell."""
    process = subprocess.Popen(
        [sys.executable, "-c", COMMAND, "personalize", "serve", "--port", "0", "--state-dir", str(tmp_path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN),  # as a shell does
    )
    try:
        assert process.stdout is not None
        while not process.stdout.readline().startswith("Ctrl-C"):
            pass
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=30) == 0
        assert "stopping" in process.stdout.read()
    finally:
        if process.poll() is None:
            process.kill()
