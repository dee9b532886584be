"""Aliases (issue 21 §7), REST-test style, from OpenSearch's alias APIs: created with the index or
by `_aliases` actions and `_alias` endpoints, read through (with filters), written through (the
write index, its index routing), `require_alias`, kept across a restart.
tests/opensearch/test_rest_behaviours.py checks the shared cases against the real node."""

from __future__ import annotations

import pytest
from opensearchpy import NotFoundError, OpenSearch, RequestError

from allstore.search import SearchServer
from tests.unit.search.conftest import client_for


def ids(client: OpenSearch, index: str) -> list[str]:
    return sorted(hit["_id"] for hit in client.search(index=index)["hits"]["hits"])


def test_aliases_read_write_and_persist(data_dir, server: SearchServer, client: OpenSearch) -> None:
    client.indices.create(
        index="v1",
        body={
            "aliases": {"shop": {"is_write_index": True}, "cheap": {"filter": {"range": {"p": {"lt": 10}}}}}
        },
    )
    client.indices.create(index="v2")
    client.index(index="shop", id="1", body={"p": 5}, refresh=True)  # through the write index
    client.index(index="v2", id="2", body={"p": 50}, refresh=True)
    client.indices.update_aliases(
        body={
            "actions": [
                {"add": {"index": "v2", "alias": "shop"}},
                {"add": {"index": "v2", "alias": "solo", "routing": "r"}},
            ]
        }
    )
    assert ids(client, "shop") == ["1", "2"] and ids(client, "cheap") == ["1"]
    assert client.count(index="cheap")["count"] == 1
    written = client.index(index="solo", id="3", body={"p": 1}, refresh=True)
    assert written["_index"] == "v2" and client.get(index="solo", id="3")["_routing"] == "r"
    assert client.index(index="shop", id="4", body={"p": 2})["_index"] == "v1"
    with pytest.raises(NotFoundError) as raised:
        client.index(index="v1", id="5", body={}, params={"require_alias": "true"})
    assert "require_alias" in raised.value.info["error"]["reason"]
    assert client.indices.get_alias(name="solo") == {
        "v2": {"aliases": {"solo": {"index_routing": "r", "search_routing": "r"}}}
    }
    server.stop()
    with SearchServer(data_dir, port=0) as again:
        reopened = client_for(again.url)
        assert ids(reopened, "cheap") == ["1", "4"] and reopened.indices.exists_alias(name="shop")
        reopened.indices.delete_alias(index="v2", name="solo")
        assert not reopened.indices.exists_alias(name="solo")
        reopened.indices.update_aliases(body={"actions": [{"remove_index": {"index": "v2"}}]})
        assert not reopened.indices.exists(index="v2") and ids(reopened, "shop") == ["1", "4"]


def test_alias_rules(client: OpenSearch) -> None:
    client.indices.create(index="a")
    client.indices.create(index="b", body={"aliases": {"both": {}}})
    client.indices.put_alias(index="a", name="both")
    for call, error in (
        (lambda: client.index(index="both", id="1", body={}), "no write index is defined for alias [both]"),
        (lambda: client.get(index="both", id="1"), "has more than one index associated with it"),
        (lambda: client.indices.delete(index="both"), "matches an alias"),
        (
            lambda: client.indices.put_alias(index="a", name="b"),
            "an index exists with the same name as the alias",
        ),
        (
            lambda: client.indices.put_alias(index="a", name="f", body={"filter": {"nope": {}}}),
            "failed to parse filter",
        ),
    ):
        with pytest.raises(RequestError) as raised:
            call()
        assert error in str(raised.value.info), error
    with pytest.raises(NotFoundError) as raised:
        client.indices.delete_alias(index="a", name="none")
    assert raised.value.error == "aliases_not_found_exception"
