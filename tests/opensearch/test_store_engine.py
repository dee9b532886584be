"""`allstore local up --search opensearch`: the whole store with the real node as its search engine."""

from __future__ import annotations

import re
import shutil
import tempfile
from pathlib import Path

import pytest
import requests
from opensearchpy import OpenSearch
from typer.testing import CliRunner

from allstore.cli import app
from allstore.local.store import LocalStore, StoreError, StoreOptions
from tests.integration.conftest import web_dir  # noqa: F401 - fixture used here


@pytest.fixture(scope="module")
def state_dir() -> Path:
    folder = Path(tempfile.mkdtemp(prefix="allstore-store-opensearch-"))
    folder.chmod(0o755)  # under root the node runs as nobody, inside this folder
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def test_the_store_indexes_and_searches_in_a_real_node(state_dir, web_dir):  # noqa: F811
    options = StoreOptions(
        state_dir=state_dir,
        port=0,
        data="small",
        train=False,
        web_dir=web_dir,
        max_workers=2,
        search="opensearch",
    )
    store = LocalStore(options)
    url = store.start()
    try:
        node = store.servers.opensearch
        assert node is not None and store.servers.search is None
        node_url = node.running()["url"]
        client = OpenSearch(hosts=[node_url], timeout=30)
        client.indices.refresh(index="items")
        items = store.clients("dynamodb").scan(
            TableName=store.provisioner.lookup("ItemsTable", None), Select="COUNT"
        )
        assert client.count(index="items")["count"] == items["Count"]  # the stream indexed every product
        title = client.search(index="items", body={"size": 1, "_source": ["title"]})["hits"]["hits"][0]
        response = requests.get(f"{url}Prod/search", params={"q": title["_source"]["title"]}, timeout=60)
        assert response.status_code == 200, response.text
        assert response.json()["results"][0]["asin"] == title["_id"]
    finally:
        store.stop()
    assert node.running() is None  # stopped with the store


def test_a_store_indexed_in_one_engine_is_not_restarted_on_another(state_dir, web_dir):  # noqa: F811
    options = StoreOptions(state_dir=state_dir, port=0, data="small", train=False, web_dir=web_dir)
    with pytest.raises(StoreError, match="indexed in the opensearch search engine"):
        LocalStore(options).start()


def test_search_url_points_the_store_at_a_running_opensearch(tmp_path, web_dir, opensearch_url):  # noqa: F811
    client = OpenSearch(hosts=[opensearch_url], timeout=30)
    if client.indices.exists(index="items"):
        client.indices.delete(index="items")
    options = StoreOptions(
        state_dir=tmp_path,
        port=0,
        data="small",
        train=False,
        web_dir=web_dir,
        search_url=opensearch_url + "/",
    )
    store = LocalStore(options)
    url = store.start()
    try:
        assert store.servers.search is None and store.servers.opensearch is None
        client.indices.refresh(index="items")
        hit = client.search(index="items", body={"size": 1, "_source": ["title"]})["hits"]["hits"][0]
        response = requests.get(f"{url}Prod/search", params={"q": hit["_source"]["title"]}, timeout=60)
        assert response.status_code == 200, response.text
        assert response.json()["results"][0]["asin"] == hit["_id"]
    finally:
        store.stop()
        client.indices.delete(index="items")
    assert client.cluster.health()["status"] == "green"  # the store left the node running


@pytest.mark.parametrize(
    ("arguments", "complaint"),
    [
        (["--search", "elastic"], "not a search engine"),
        (["--search-url", "https://search.example:443"], "not http://host[:port]"),
        (["--search-url", "http://127.0.0.1:9200/items"], "not http://host[:port]"),
        (["--search", "opensearch", "--search-url", "http://127.0.0.1:9200"], "not both"),
    ],
)
def test_search_options_are_checked_before_anything_starts(tmp_path, arguments, complaint):
    result = CliRunner().invoke(app, ["local", "up", "--state-dir", str(tmp_path / "state"), *arguments])
    assert result.exit_code == 2
    assert complaint in " ".join(re.sub("[│╭╮╰╯─]", " ", result.output).split())  # without rich's box
    assert not (tmp_path / "state").exists()
