"""`allstore local notebook`: JupyterLab on Personalize/ with the variables `allstore local env` prints."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import nbformat
from jupyter_client.kernelspec import KernelSpecManager
from nbclient import NotebookClient
from typer.testing import CliRunner

from allstore.cli import app
from allstore.workshop.kernel import KERNEL_NAME, write_kernelspec
from tests.notebooks.conftest import NOTEBOOKS, WorkshopStore


def test_starts_jupyterlab_with_the_store_environment(workshop_store: WorkshopStore, monkeypatch) -> None:
    started = {}

    def run(command, env, check):
        started.update(command=command, env=env)
        return subprocess.CompletedProcess(command, 0)

    monkeypatch.setattr(subprocess, "run", run)
    state_dir = str(workshop_store.store.state_dir)
    result = CliRunner().invoke(
        app, ["local", "notebook", "--state-dir", state_dir, "--port", "8899", "--", "--allow-root"]
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
    jupyter_path = started["env"]["JUPYTER_PATH"].split(os.pathsep)[0]
    spec = json.loads((Path(jupyter_path) / "kernels" / "conda_python3" / "kernel.json").read_text())
    assert spec["argv"][0] == sys.executable and spec["language"] == "python"


def test_every_notebook_declares_the_sagemaker_kernel() -> None:
    notebooks = sorted(NOTEBOOKS.glob("**/*.ipynb"))
    assert len(notebooks) >= 7
    for path in notebooks:
        kernelspec = json.loads(path.read_text())["metadata"]["kernelspec"]
        assert kernelspec["name"] == KERNEL_NAME == "conda_python3", path.name


def test_the_local_kernelspec_runs_a_notebook_under_the_declared_name(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("JUPYTER_PATH", str(write_kernelspec(tmp_path / "jupyter")))
    assert KernelSpecManager().get_kernel_spec(KERNEL_NAME).argv[0] == sys.executable
    notebook = nbformat.v4.new_notebook(
        metadata={"kernelspec": {"name": KERNEL_NAME, "display_name": KERNEL_NAME, "language": "python"}}
    )
    notebook.cells.append(nbformat.v4.new_code_cell("import sys, allstore_common\nprint(sys.executable)"))

    NotebookClient(notebook, timeout=60).execute()  # the kernel named in the metadata

    assert notebook.cells[0].outputs[0]["text"].strip() == sys.executable


def test_refuses_without_a_running_store(tmp_path) -> None:
    result = CliRunner().invoke(app, ["local", "notebook", "--state-dir", str(tmp_path)])
    assert result.exit_code == 1
    assert "No local store" in result.output
