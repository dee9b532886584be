"""One local store for the whole integration session: small synthetic data, free ports, a temp state dir."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
import requests

from allstore.local.aws import REGION
from allstore.local.store import LocalStore, StoreOptions


@dataclass
class RunningStore:
    """The store under test; `restart()` replaces it with a fresh process-state over the same directory."""

    options: StoreOptions
    store: LocalStore
    url: str

    def get(self, path: str, **params: Any) -> requests.Response:
        return requests.get(self.url + path.lstrip("/"), params=params, timeout=60)

    def client(self, service: str) -> Any:
        """A boto3 client pointed at the store, as `allstore local env` would point one."""
        return boto3.client(
            service,
            endpoint_url=self.store.endpoints[service],
            region_name=REGION,
            aws_access_key_id=self.store.credentials.access_key_id,
            aws_secret_access_key=self.store.credentials.secret_access_key,
        )

    def output(self, name: str) -> str:
        assert self.store.provisioner is not None
        return self.store.provisioner.outputs()[name]

    def restart(self) -> float:
        """Stop (saving state) and start again over the same state directory; returns the start time."""
        self.store.stop()
        started = time.monotonic()
        self.store = LocalStore(self.options)
        self.url = self.store.start()
        return time.monotonic() - started


def eventually(check: Callable[[], Any], timeout: float = 30.0, interval: float = 0.5) -> Any:
    """`check()`'s first truthy result, polling until `timeout`; fails the test with the last value."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"condition not met within {timeout} s (last value: {value!r})")
        time.sleep(interval)


def _aws_variables() -> dict[str, str]:
    return {name: value for name, value in os.environ.items() if name.startswith("AWS_")}


@pytest.fixture(scope="session")
def web_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A stand-in web UI build (the real one needs npm), enough to check static serving and SPA fallback."""
    folder = tmp_path_factory.mktemp("webui-dist")
    (folder / "index.html").write_text("<!doctype html><title>AllStore test UI</title><div id=root></div>")
    (folder / "assets").mkdir()
    (folder / "assets" / "app.js").write_text("console.log('AllStore');")
    return folder


@pytest.fixture(scope="package")  # stopped with its package: moto's state is per process
def running_store(tmp_path_factory: pytest.TempPathFactory, web_dir: Path) -> Iterator[RunningStore]:
    options = StoreOptions(
        state_dir=tmp_path_factory.mktemp("allstore-state"),
        port=0,
        data="small",
        web_dir=web_dir,
        max_workers=2,
        snapshot_interval=3600,
    )
    environment_before = _aws_variables()
    store = LocalStore(options)
    running = RunningStore(options, store, store.start())
    yield running
    running.store.stop(save=False)
    assert _aws_variables() == environment_before, (
        "the store leaves the process's AWS settings as it found them"
    )
