"""A local store for the workshop notebooks: small synthetic data, no training (the notebooks train),
free ports, a temporary state directory; and a runner executing notebooks headless with nbclient."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import nbformat
import pytest
import requests
from nbclient import NotebookClient

from allstore.local.store import LocalStore, StoreOptions
from allstore.local.store_environment import local_store_environment
from allstore.workshop.wiring import wiring
from tests.unit.iam import least_privilege

NOTEBOOKS = Path(__file__).resolve().parents[2] / "Personalize"
CELL_TIMEOUT = 300
if str(NOTEBOOKS) not in sys.path:  # the notebooks' `util` package, for its unit tests
    sys.path.append(str(NOTEBOOKS))


@dataclass
class WorkshopStore:
    store: LocalStore
    url: str
    environment: dict[str, str]  # what `allstore local env` prints for it

    @property
    def stack(self) -> str:
        return self.environment["CF_STACK_NAME"]

    def client(self, service: str) -> Any:
        """A boto3 client configured only by the store's environment, as a notebook's would be."""
        session = boto3.session.Session(
            aws_access_key_id=self.environment["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=self.environment["AWS_SECRET_ACCESS_KEY"],
            region_name=self.environment["AWS_DEFAULT_REGION"],
        )
        variable = "AWS_ENDPOINT_URL_" + service.upper().replace("-", "_")
        return session.client(service, endpoint_url=self.environment[variable])

    def get(self, path: str) -> requests.Response:
        return requests.get(self.url + path.lstrip("/"), timeout=60)

    def wired(self, consumer: str) -> dict[str, str]:
        """What the store's wiring parameter for `consumer` (allstore.workshop.wiring) holds."""
        return wiring(self.client("ssm"), self.stack, consumer)

    def get_when_wired(self, path: str, timeout: float = 45.0) -> requests.Response:
        """GET `path` until its answer has no warning: functions cache their wiring for a while."""
        deadline = time.monotonic() + timeout
        while True:
            response = self.get(path)
            if response.status_code != 200 or "warning" not in response.json() or time.monotonic() > deadline:
                return response
            time.sleep(1)


@pytest.fixture(scope="package")
def workshop_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WorkshopStore]:
    """Stopped, and the process environment restored (the store points in-process S3 clients at
    itself), when this package's tests are done, so later tests see neither."""
    web_dir = tmp_path_factory.mktemp("webui")
    (web_dir / "index.html").write_text("<!doctype html><title>AllStore</title>")
    state_dir = tmp_path_factory.mktemp("workshop-state")
    options = StoreOptions(
        state_dir=state_dir,
        port=0,
        data="small",
        train=False,
        web_dir=web_dir,
        max_workers=2,
        snapshot_interval=3600,
    )
    saved_environment = dict(os.environ)
    store = LocalStore(options)
    try:
        url = store.start()
        yield WorkshopStore(store, url, local_store_environment(state_dir))
    finally:
        store.stop(save=False)
        os.environ.clear()
        os.environ.update(saved_environment)


@pytest.fixture(scope="package")
def run_notebook(workshop_store: WorkshopStore, tmp_path_factory: pytest.TempPathFactory):
    """Execute a notebook (path relative to Personalize/) in its folder with the store's environment;
    `parameters` replace the defaults of the cell tagged "parameters", as papermill would. Returns
    the text the notebook printed."""
    ipython_dir = tmp_path_factory.mktemp("ipython")  # %store keeps its values here between notebooks
    least_privilege.prepare_kernels(ipython_dir)  # the kernels' AWS calls are checked against NotebookRole
    environment = {
        **os.environ,
        **workshop_store.environment,
        "IPYTHONDIR": str(ipython_dir),
        "MPLBACKEND": "Agg",
    }

    def run(relative_path: str, **parameters: Any) -> str:
        path = NOTEBOOKS / relative_path
        notebook = nbformat.read(path, as_version=4)
        if parameters:
            position = next(
                index
                for index, cell in enumerate(notebook.cells)
                if "parameters" in cell.metadata.get("tags", [])
            )
            source = "\n".join(f"{name} = {value!r}" for name, value in parameters.items())
            notebook.cells.insert(position + 1, nbformat.v4.new_code_cell(source))
        client = NotebookClient(
            notebook,
            kernel_name="python3",
            timeout=CELL_TIMEOUT,
            resources={"metadata": {"path": str(path.parent)}},
        )
        client.execute(env=environment)
        return _printed(notebook)

    return run


def _printed(notebook: nbformat.NotebookNode) -> str:
    lines = []
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            if output.get("output_type") == "stream" and output.get("name") == "stdout":
                lines.append(output["text"])
    return "".join(lines)
