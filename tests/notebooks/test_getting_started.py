"""A user's own getting-started notebook (tests/notebooks/getting_started.ipynb), written as against
AWS, runs unchanged against the local store with only `allstore local env`'s variables (issue 18):
a role with AWS-managed policies, the bucket from SSM, imports, a solution, a campaign with
exploration, filters with a promotion, a batch inference job and clean-up."""

from __future__ import annotations

import os
from pathlib import Path

import nbformat
from nbclient import NotebookClient

from tests.notebooks.conftest import CELL_TIMEOUT, WorkshopStore, _printed

NOTEBOOK = Path(__file__).with_name("getting_started.ipynb")


def test_getting_started_flow(workshop_store: WorkshopStore, tmp_path: Path) -> None:
    ssm = workshop_store.client("ssm")
    ssm.put_parameter(
        Name="/getting-started/bucket",
        Value=workshop_store.environment["STAGING_BUCKET"],
        Type="String",
        Overwrite=True,
    )
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    # Only the store's variables, as `eval "$(allstore local env)"` leaves a shell: no AWS_* of
    # this process, and a kernel of its own (not the workshop's notebook-role checks: this is a
    # user's own account, with its own role).
    environment = {name: value for name, value in os.environ.items() if not name.startswith("AWS_")}
    environment.update(workshop_store.environment, IPYTHONDIR=str(tmp_path / "ipython"))
    NotebookClient(notebook, kernel_name="python3", timeout=CELL_TIMEOUT).execute(env=environment)
    printed = _printed(notebook)
    assert "imported" in printed and "cleaned up" in printed, printed
    assert "promoted 2 of 10" in printed, printed
    assert "'explorationWeight': '0.5'" in printed, printed
    personalize = workshop_store.client("personalize")
    names = [group["name"] for group in personalize.list_dataset_groups()["datasetGroups"]]
    assert "getting-started" not in names, "the notebook's clean-up removed its dataset group"
