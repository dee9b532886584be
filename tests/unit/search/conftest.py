"""A search server per test on a free loopback port, driven with opensearch-py as the project drives it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from opensearchpy import OpenSearch

from allstore.search import SearchServer

PRODUCTS_INDEX = "items"


def client_for(url: str) -> OpenSearch:
    return OpenSearch(hosts=[url], timeout=10, max_retries=0)


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "search"


@pytest.fixture
def server(data_dir: Path) -> Iterator[SearchServer]:
    search_server = SearchServer(data_dir, port=0)
    search_server.start()
    yield search_server
    search_server.stop()


@pytest.fixture
def client(server: SearchServer) -> OpenSearch:
    return client_for(server.url)
