"""`allstore local env` answers only for a store that is running now."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from typer.testing import CliRunner

from allstore.cli import app
from allstore.local.credentials import StoreCredentials
from allstore.local.state_file import is_running, read_state, write_state

STATE = {
    "ready": True,
    "stack_name": "allstore",
    "endpoints": {"dynamodb": "http://127.0.0.1:5000"},
    "outputs": {"StagingBucket": "allstore-staging"},
}


def a_finished_process_id() -> int:
    process = subprocess.Popen(["true"])
    process.wait()
    return process.pid


def test_env_prints_exports_for_a_running_store(tmp_path: Path) -> None:
    write_state(tmp_path, {**STATE, "pid": os.getpid()})
    credentials = StoreCredentials.for_state_dir(tmp_path)
    result = CliRunner().invoke(app, ["local", "env", "--state-dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert f"export AWS_ACCESS_KEY_ID={credentials.access_key_id}" in result.output
    assert f"export AWS_SECRET_ACCESS_KEY={credentials.secret_access_key}" in result.output
    assert "export AWS_ENDPOINT_URL_DYNAMODB=http://127.0.0.1:5000" in result.output
    assert "export STAGING_BUCKET=allstore-staging" in result.output


def test_env_refuses_a_stopped_store(tmp_path: Path) -> None:
    write_state(tmp_path, {**STATE, "pid": a_finished_process_id()})
    result = CliRunner().invoke(app, ["local", "env", "--state-dir", str(tmp_path)])
    assert result.exit_code == 1
    assert "not running" in result.output and "export" not in result.output
    assert read_state(tmp_path)["ready"], "the state stays, for the next warm start"


def test_is_running_needs_a_live_process() -> None:
    assert is_running({"pid": os.getpid()})
    assert not is_running({"pid": a_finished_process_id()})
    assert not is_running({}) and not is_running({"pid": "12"})
