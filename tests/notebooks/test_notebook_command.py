"""`allstore local notebook`: JupyterLab on Personalize/ with the variables `allstore local env` prints."""

from __future__ import annotations

import subprocess

from typer.testing import CliRunner

from allstore.local.cli import app as local_app
from tests.notebooks.conftest import NOTEBOOKS, WorkshopStore


def test_starts_jupyterlab_with_the_store_environment(workshop_store: WorkshopStore, monkeypatch) -> None:
    started = {}

    def run(command, env, check):
        started.update(command=command, env=env)
        return subprocess.CompletedProcess(command, 0)

    monkeypatch.setattr(subprocess, "run", run)
    state_dir = str(workshop_store.store.state_dir)
    result = CliRunner().invoke(
        local_app, ["notebook", "--state-dir", state_dir, "--port", "8899", "--", "--allow-root"]
    )

    assert result.exit_code == 0, result.output
    assert started["command"][1:3] == ["-m", "jupyterlab"]
    assert {"--ip=127.0.0.1", "--port=8899", f"--ServerApp.root_dir={NOTEBOOKS}", "--allow-root"} <= set(
        started["command"]
    )
    for name, value in workshop_store.environment.items():
        assert started["env"][name] == value
    assert {"CF_STACK_NAME", "STAGING_BUCKET", "LAMBDA_GETRECS_ARN", "AWS_ENDPOINT_URL_PERSONALIZE"} <= set(
        workshop_store.environment
    )


def test_refuses_without_a_running_store(tmp_path) -> None:
    result = CliRunner().invoke(local_app, ["notebook", "--state-dir", str(tmp_path)])
    assert result.exit_code == 1
    assert "No local store" in result.output
