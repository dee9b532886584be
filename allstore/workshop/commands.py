"""The workshop's commands: `allstore personalize cleanup` and `allstore local notebook`.

Registered by the `personalize` and `local` sub-apps; the logic lives in `cleanup` and
`environment` so the clean-up notebook and the tests use the same code.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Annotated

import boto3
import typer
from botocore.exceptions import BotoCoreError, ClientError

from allstore.workshop.cleanup import CleanupError, delete_resources, find_resources
from allstore.workshop.environment import local_store_environment
from allstore.workshop.kernel import KERNEL_NAME, write_kernelspec

NOTEBOOKS_DIR = Path(__file__).resolve().parents[2] / "Personalize"


def cleanup(
    stack: Annotated[str, typer.Option(help="The stack whose workshop resources to delete (name prefix).")],
    yes: Annotated[bool, typer.Option("--yes", help="Delete without asking for confirmation.")] = False,
    region: Annotated[
        str | None, typer.Option(help="AWS region (default: your AWS configuration's).")
    ] = None,
    profile: Annotated[str | None, typer.Option(help="AWS named profile.")] = None,
) -> None:
    """Delete every Personalize resource named after STACK (campaigns first, dataset groups last)."""
    try:
        personalize = boto3.session.Session(profile_name=profile, region_name=region).client("personalize")
        plan = find_resources(personalize, stack)
        if not plan.resources:
            typer.echo(f"No Personalize resources named {stack} or {stack}-*: nothing to delete.")
            return
        typer.echo(f"Personalize resources of stack {stack}, in deletion order:")
        for line in plan.describe():
            typer.echo(f"  {line}")
        if not yes:
            typer.confirm(f"Delete these {len(plan.resources)} resources?", abort=True)
        deleted = delete_resources(personalize, plan, report=typer.echo)
    except (CleanupError, ClientError, BotoCoreError, ValueError) as error:
        typer.echo(f"Clean-up failed: {error}", err=True)
        raise typer.Exit(1) from error
    typer.echo(f"Deleted {deleted} Personalize resources of stack {stack}.")


def notebook(
    state_dir: Annotated[Path, typer.Option(help="The running store's state directory.")] = Path(".allstore"),
    port: Annotated[int, typer.Option(help="JupyterLab's port on 127.0.0.1.")] = 8888,
    jupyter_args: Annotated[
        list[str] | None, typer.Argument(help="More JupyterLab options, after `--` (e.g. -- --allow-root).")
    ] = None,
) -> None:
    """Start JupyterLab on the workshop notebooks, pointed at the running local store."""
    environment = {**os.environ, **local_store_environment(state_dir)}
    kernels = write_kernelspec(state_dir.resolve() / "jupyter")  # the notebooks declare conda_python3
    environment["JUPYTER_PATH"] = os.pathsep.join(
        filter(None, [str(kernels), os.environ.get("JUPYTER_PATH")])
    )
    command = [sys.executable, "-m", "jupyterlab", "--ip=127.0.0.1", f"--port={port}", "--no-browser"]
    command += [f"--ServerApp.root_dir={NOTEBOOKS_DIR}", *(jupyter_args or [])]
    typer.echo(
        f"JupyterLab on the notebooks in {NOTEBOOKS_DIR} (kernel {KERNEL_NAME} is this Python), "
        f"using the store in {state_dir}; Ctrl-C stops it."
    )
    try:
        completed = subprocess.run(command, env=environment, check=False)  # noqa: S603 - our own interpreter
    except KeyboardInterrupt:
        return
    raise typer.Exit(completed.returncode)
