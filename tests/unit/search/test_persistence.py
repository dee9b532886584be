"""The data directory keeps indices, mappings, documents and versions across restarts and modes of running."""

from __future__ import annotations

import shutil
import threading

import pytest
import tantivy
from allstore_common.search_index import INDEX_MAPPING
from opensearchpy import helpers

from allstore.search import SearchServer
from allstore.search.index import SearchIndex
from allstore.search.mapping import Mapping
from tests.unit.search.conftest import client_for


def test_everything_survives_a_restart(data_dir):
    first = SearchServer(data_dir)
    client = client_for(first.start())
    client.indices.create(index="items", body=INDEX_MAPPING)
    helpers.bulk(
        client, ({"_index": "items", "_id": f"B{n}", "_source": {"title": f"tent {n}"}} for n in range(50))
    )
    client.index(index="items", id="B0", body={"title": "tent zero"})
    client.index(index="free", id="1", body={"colour": "green"})  # auto-created, dynamically mapped
    client.delete(index="items", id="B1")  # none of these writes were refreshed before stopping
    first.stop()

    second = SearchServer(data_dir)
    client = client_for(second.start())
    try:
        assert client.count(index="items")["count"] == 49
        assert client.get(index="items", id="B0")["_version"] == 2
        assert (
            client.search(index="items", body={"query": {"match": {"title": "zero"}}})["hits"]["hits"][0][
                "_id"
            ]
            == "B0"
        )
        assert (
            client.indices.get_mapping(index="items")["items"]["mappings"]["properties"]
            == INDEX_MAPPING["mappings"]["properties"]
        )
        assert client.count(index="free", body={"query": {"match": {"colour": "green"}}})["count"] == 1
        sequence = client.index(index="items", id="B99", body={"title": "new"})["_seq_no"]
        assert sequence > 50
    finally:
        second.stop()


def test_deleted_index_stays_deleted(data_dir):
    first = SearchServer(data_dir)
    client = client_for(first.start())
    client.indices.create(index="items")
    client.indices.delete(index="items")
    first.stop()
    second = SearchServer(data_dir)
    client = client_for(second.start())
    try:
        assert client.indices.exists(index="items") is False
        client.indices.create(index="items")
    finally:
        second.stop()


def test_two_servers_cannot_share_a_data_directory(server, client, data_dir):
    client.indices.create(index="items")
    with pytest.raises(RuntimeError, match="in use"):
        SearchServer(data_dir).start()


def test_foreground_serve_until_stopped(data_dir):
    server = SearchServer(data_dir)
    ready = threading.Event()
    urls: list[str] = []

    def on_ready(url: str) -> None:
        urls.append(url)
        ready.set()

    serving = threading.Thread(target=server.serve, kwargs={"on_ready": on_ready})
    serving.start()
    assert ready.wait(10)
    client_for(urls[0]).index(index="items", id="1", body={"title": "tent"})
    server.stop()
    serving.join(10)
    assert not serving.is_alive()
    with SearchServer(data_dir) as restarted:
        assert client_for(restarted.url).get(index="items", id="1")["found"] is True


def test_index_written_with_another_schema_is_reindexed_when_opened(data_dir):
    """An index from an older server version (whose mapping → schema rules differed) still opens."""
    mapping = Mapping.parse({"properties": {"title": {"type": "text"}}})
    SearchIndex.create(data_dir / "items", "items", mapping, {}).close()
    generation = data_dir / "items" / "g0"
    shutil.rmtree(generation)
    generation.mkdir()
    older = Mapping.parse(None)  # a schema without the `title` field
    legacy = tantivy.Index(older.schema(), path=str(generation))
    writer = legacy.writer(heap_size=15_000_000, num_threads=1)
    writer.add_document(older.document("1", {"title": "old tent"}, 3, 0))
    writer.commit()
    writer.wait_merging_threads()

    with SearchServer(data_dir) as server:
        client = client_for(server.url)
        hits = client.search(index="items", body={"query": {"match": {"title": "tent"}}})["hits"]["hits"]
        assert [hit["_id"] for hit in hits] == ["1"]
        assert client.get(index="items", id="1")["_version"] == 3
    assert sorted(path.name for path in (data_dir / "items").glob("g*")) == ["g1"]
