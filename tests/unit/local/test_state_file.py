"""`allstore local env` answers only for a store that is running now, and leaves no client on real AWS."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from pathlib import Path

import boto3
import pytest
from typer.testing import CliRunner

from allstore.cli import app
from allstore.credentials import StoreCredentials
from allstore.local.state_file import is_running, read_state, write_state

STATE = {
    "ready": True,
    "stack_name": "allstore",
    "endpoints": {
        **dict.fromkeys(("dynamodb", "s3", "ssm", "sts", "iam"), "http://127.0.0.1:5000"),
        "personalize": "http://127.0.0.1:5001",
    },
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


def run_env(state_dir: Path) -> subprocess.CompletedProcess[str]:
    """The real command, as `eval "$(allstore local env)"` runs it: stdout and stderr apart."""
    command = [str(Path(sys.executable).with_name("allstore")), "local", "env", "--state-dir", str(state_dir)]
    return subprocess.run(command, capture_output=True, text=True, check=False, timeout=60)


def test_env_leaves_no_client_on_real_aws(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_state(tmp_path, {**STATE, "pid": os.getpid()})
    StoreCredentials.for_state_dir(tmp_path)
    result = run_env(tmp_path)
    assert result.returncode == 0 and result.stderr == "", result.stderr
    exports = dict(
        shlex.split(line.removeprefix("export "))[0].split("=", 1) for line in result.stdout.splitlines()
    )
    assert exports["AWS_ENDPOINT_URL"] == "http://127.0.0.1:5000", "the catch-all is local AWS (moto)"
    assert exports["AWS_ENDPOINT_URL_SSM"] == "http://127.0.0.1:5000"
    assert exports["AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"] == "false"

    # A shell that told the SDKs to ignore configured endpoints, then eval'd the exports.
    monkeypatch.setenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true")
    for name, value in exports.items():
        monkeypatch.setenv(name, value)
    session = boto3.session.Session()
    for service in ("sagemaker", "cloudformation", "sts", "ssm", "iam", "s3"):
        assert session.client(service).meta.endpoint_url == "http://127.0.0.1:5000", service
    assert session.client("personalize").meta.endpoint_url == "http://127.0.0.1:5001"


def damage_state(state_dir: Path) -> None:
    (state_dir / "stack.json").write_text("{not json", encoding="utf-8")


def remove_credentials(state_dir: Path) -> None:
    (state_dir / "credentials.json").unlink()


def forget_endpoints(state_dir: Path) -> None:
    write_state(state_dir, {**STATE, "pid": os.getpid(), "endpoints": {}})


def list_state(state_dir: Path) -> None:
    (state_dir / "stack.json").write_text("[1, 2]", encoding="utf-8")


@pytest.mark.parametrize("damage", [damage_state, remove_credentials, forget_endpoints, list_state])
def test_env_errors_go_to_stderr_with_nothing_on_stdout(tmp_path: Path, damage) -> None:
    write_state(tmp_path, {**STATE, "pid": os.getpid()})
    StoreCredentials.for_state_dir(tmp_path)
    damage(tmp_path)
    result = run_env(tmp_path)
    assert result.returncode == 1
    assert result.stdout == "", "eval runs whatever stdout says"
    assert result.stderr.strip() and "Traceback" not in result.stderr, result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr


def test_env_for_a_directory_without_a_store(tmp_path: Path) -> None:
    result = run_env(tmp_path / "missing")
    assert (result.returncode, result.stdout) == (1, "")
    assert "allstore local up" in result.stderr
