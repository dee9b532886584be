"""`allstore local up --search opensearch`: the whole store with the real node as its search engine,
reached only through the store's loopback front (the node itself checks no Host)."""

from __future__ import annotations

import gzip
import json
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests
from opensearchpy import OpenSearch
from typer.testing import CliRunner

from allstore.cli import app
from allstore.local.opensearch_node import BROWSER_BLOCKED_PORTS, MAIN_CLASS
from allstore.local.store import LocalStore, StoreError, StoreOptions
from tests.integration.conftest import web_dir  # noqa: F401 - fixture used here
from tests.security.conftest import raw_exchange
from tests.security.sockets import children_ports, descendants, process_ports
from tests.signing import search_auth, signed_search_client

LOOPBACK_HEX = ("0100007F", "0000000000000000FFFF00000100007F")  # 127.0.0.1 as /proc/net/tcp{,6} shows it


@pytest.fixture(scope="module")
def state_dir() -> Path:
    folder = Path(tempfile.mkdtemp(prefix="allstore-store-opensearch-"))
    folder.chmod(0o755)  # under root the node runs as nobody, inside this folder
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="module")
def opensearch_store(state_dir, web_dir) -> Iterator[LocalStore]:  # noqa: F811
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
    store.start()
    yield store
    if store.servers.gateway is not None:  # not stopped by a test
        store.stop()


def test_the_store_indexes_and_searches_in_a_real_node(opensearch_store):
    store = opensearch_store
    node = store.servers.opensearch
    assert node is not None and store.servers.search is None
    client = signed_search_client(search_url(store), store.credentials)
    client.indices.refresh(index="items")
    items = store.clients("dynamodb").scan(
        TableName=store.provisioner.lookup("ItemsTable", None), Select="COUNT"
    )
    assert client.count(index="items")["count"] == items["Count"]  # the stream indexed every product
    title = client.search(index="items", body={"size": 1, "_source": ["title"]})["hits"]["hits"][0]
    response = requests.get(f"{store.url}Prod/search", params={"q": title["_source"]["title"]}, timeout=60)
    assert response.status_code == 200, response.text
    assert response.json()["results"][0]["asin"] == title["_id"]


def search_url(store: LocalStore) -> str:
    """The search endpoint the store gave its functions."""
    return "http://" + store.provisioner.lookup("SearchDomain", "DomainEndpoint")


def test_the_node_is_reached_only_through_the_stores_front(opensearch_store):
    """The node answers any Host, so the store advertises its front instead, which answers only its
    own; the node's own ports are ones browsers refuse to connect to, bound to 127.0.0.1."""
    store = opensearch_store
    node_state = store.servers.opensearch.running()
    advertised = search_url(store)
    assert advertised == store.servers.opensearch_front.url != node_state["url"]
    node_ports = process_ports(node_state["pid"])
    assert len(node_ports) == 2, node_ports  # HTTP and transport
    assert node_ports <= set(BROWSER_BLOCKED_PORTS), node_ports
    bound = children_ports()
    assert all(bound[port] in LOOPBACK_HEX for port in node_ports), bound

    other_nodes = {pid for pid in descendants(os.getpid()) if is_opensearch(pid) and pid != node_state["pid"]}
    own = {
        urlsplit(url).port for url in (store.url, store.endpoints["dynamodb"], store.endpoints["personalize"])
    }
    for port in own | set(children_ports(exclude=other_nodes)) - node_ports:
        assert raw_status(port, "evil.example")[0] == 403, port  # every other port refuses a rebound name
    front = urlsplit(advertised).port
    status, body = raw_status(front, f"evil.example:{front}")
    assert status == 403 and json.loads(body)["error"]["type"] == "security_exception", body
    assert raw_status(front, f"127.0.0.1:{front}")[0] == 403  # its own Host, unsigned
    signed = requests.get(advertised, auth=search_auth(store.credentials), timeout=30)
    assert signed.status_code == 200 and signed.json()["version"]["number"] == node_state["version"]
    page = requests.get(f"{advertised}/items/_search", headers={"Origin": "https://evil.example"}, timeout=30)
    assert page.status_code == 403 and "Access-Control-Allow-Origin" not in page.headers


def test_the_front_forwards_bodies_as_the_node_reads_them(opensearch_store):
    advertised = search_url(opensearch_store)
    lines = [{"index": {"_index": "front-check", "_id": "1"}}, {"title": "héllo tent"}]
    lines += [{"index": {"_index": "front-check", "_id": "2"}}, {"title": "stove"}]
    bulk = gzip.compress(b"".join(json.dumps(line).encode() + b"\n" for line in lines))
    answer = requests.post(
        f"{advertised}/_bulk?refresh=true",
        data=bulk,
        headers={"Content-Type": "application/x-ndjson", "Content-Encoding": "gzip"},
        auth=search_auth(opensearch_store.credentials),  # signs the gzip bytes sent
        timeout=60,
    )
    assert answer.status_code == 200 and answer.json()["errors"] is False, answer.text
    client = signed_search_client(
        advertised, opensearch_store.credentials, http_compress=True
    )  # gzip both ways
    hits = client.search(index="front-check", body={"query": {"match": {"title": "héllo"}}})["hits"]["hits"]
    assert [hit["_id"] for hit in hits] == ["1"] and hits[0]["_source"]["title"] == "héllo tent"
    assert client.indices.exists(index="front-check") and not client.indices.exists(index="nothing")
    missing = requests.get(
        f"{advertised}/nothing/_search", auth=search_auth(opensearch_store.credentials), timeout=30
    )
    assert missing.status_code == 404 and missing.json()["error"]["type"] == "index_not_found_exception"
    client.indices.delete(index="front-check")
    port = urlsplit(advertised).port
    too_big = raw_exchange(
        port,
        f"POST /_bulk HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Length: {200 * 1024 * 1024}\r\n\r\n".encode(),
    )
    assert too_big.split()[1] == b"413", too_big[:200]  # refused before 200 MB are sent


def is_opensearch(pid: int) -> bool:
    try:
        return MAIN_CLASS.encode() in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False


def raw_status(port: int, host: str) -> tuple[int, bytes]:
    raw = raw_exchange(
        port, f"GET / HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode(), timeout=30
    )
    head, _, body = raw.partition(b"\r\n\r\n")
    return int(head.split()[1]), body


def test_a_store_indexed_in_one_engine_is_not_restarted_on_another(opensearch_store, state_dir, web_dir):  # noqa: F811
    node = opensearch_store.servers.opensearch
    opensearch_store.stop()
    assert node.running() is None  # stopped with the store
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
