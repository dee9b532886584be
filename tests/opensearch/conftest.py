"""The real OpenSearch node (allstore.local.opensearch_node), started once for this package's tests.

Package scope: the node (and the embedded server beside it) stop when these tests are done, so no
later test sees their ports among the test process's children.

No skip: when the node cannot be fetched or started, every test here errors with the launcher's
reason (CI fetches it first: `make opensearch-node`). The node's folder is under /tmp, which the
node's user (`nobody` when the tests run as root) can reach.
"""

from __future__ import annotations

import gzip
import json
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from allstore_common.catalogue import product_item

from allstore.data.synthetic import PRODUCTS_FILE, generate_store, write_store
from allstore.local.opensearch_node import OpenSearchNode
from allstore.search import SearchServer


@pytest.fixture(scope="package")
def opensearch_node() -> Iterator[OpenSearchNode]:
    node_dir = Path(tempfile.mkdtemp(prefix="allstore-opensearch-"))
    node = OpenSearchNode(node_dir, port=0)
    try:
        node.start(say=lambda message: None, with_this_process=True)
        yield node
    finally:
        node.stop()
        shutil.rmtree(node_dir, ignore_errors=True)


@pytest.fixture(scope="package")
def opensearch_url(opensearch_node: OpenSearchNode) -> str:
    state = opensearch_node.running()
    assert state is not None, opensearch_node.log_tail()
    return state["url"]


@pytest.fixture(scope="package")
def embedded_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with SearchServer(tmp_path_factory.mktemp("embedded-search"), port=0) as server:
        yield server.url


@pytest.fixture(scope="package")
def catalogue(tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, Any]]:
    """Items-table items of a small synthetic store, as the set-up loader writes them."""
    folder = tmp_path_factory.mktemp("store")
    paths = write_store(generate_store(items=240, interactions=2400, seed=25), folder)
    with gzip.open(paths[PRODUCTS_FILE], "rt", encoding="utf-8") as lines:
        return [
            product_item(json.loads(line), popularity=number % 17).item for number, line in enumerate(lines)
        ]
