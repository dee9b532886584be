"""Cluster info and health, index lifecycle, mappings, and OpenSearch's error classes for them."""

from __future__ import annotations

import pytest
import requests
from allstore_common.search_index import INDEX_MAPPING
from opensearchpy import NotFoundError, RequestError

from allstore.search import SearchServer


def test_cluster_info_and_health_look_like_opensearch(client):
    info = client.info()
    assert info["version"]["distribution"] == "opensearch"
    assert info["version"]["number"].startswith("2.")
    assert client.ping() is True
    client.indices.create(index="one")
    health = client.cluster.health()
    assert health["status"] == "green"
    assert health["active_primary_shards"] == 1
    assert client.cluster.health(index="one")["status"] == "green"
    with pytest.raises(NotFoundError):
        client.cluster.health(index="missing")


def test_create_check_and_delete_an_index(client):
    assert client.indices.exists(index="items") is False
    response = client.indices.create(index="items", body=INDEX_MAPPING)
    assert response == {"acknowledged": True, "shards_acknowledged": True, "index": "items"}
    assert client.indices.exists(index="items") is True
    assert client.indices.delete(index="items") == {"acknowledged": True}
    assert client.indices.exists(index="items") is False


def test_get_mapping_returns_the_mapping_given(client):
    client.indices.create(index="items", body=INDEX_MAPPING)
    mapping = client.indices.get_mapping(index="items")["items"]["mappings"]
    assert mapping["properties"] == INDEX_MAPPING["mappings"]["properties"]
    assert mapping["dynamic"] == "false"  # as OpenSearch echoes it


def test_settings_are_accepted_and_echoed_but_not_applied(client):
    client.indices.create(
        index="items",
        body={"settings": {"index": {"number_of_shards": 2, "number_of_replicas": 0}}, "mappings": {}},
    )
    settings = client.indices.get(index="items")["items"]["settings"]["index"]
    assert settings["number_of_shards"] == "2"
    assert settings["provided_name"] == "items"


def test_creating_an_existing_index_is_resource_already_exists(client):
    client.indices.create(index="items")
    with pytest.raises(RequestError) as raised:
        client.indices.create(index="items")
    assert raised.value.error == "resource_already_exists_exception"


@pytest.mark.parametrize("name", ["Items", "_items", "a/b", "a*b", ".."])
def test_invalid_index_names_are_rejected(client, name):
    with pytest.raises(RequestError) as raised:
        client.indices.create(index=name)
    assert raised.value.error == "invalid_index_name_exception"


def test_unknown_field_type_is_a_mapper_parsing_exception_naming_it(client):
    with pytest.raises(RequestError) as raised:
        client.indices.create(
            index="items", body={"mappings": {"properties": {"where": {"type": "geo_point"}}}}
        )
    assert raised.value.error == "mapper_parsing_exception"
    assert "geo_point" in raised.value.info["error"]["reason"]
    assert client.indices.exists(index="items") is False


def test_unknown_mapping_parameter_is_rejected(client):
    with pytest.raises(RequestError) as raised:
        client.indices.create(
            index="items", body={"mappings": {"properties": {"a": {"type": "text", "x": 1}}}}
        )
    assert raised.value.error == "mapper_parsing_exception"


def test_missing_index_is_index_not_found(client):
    for call in (
        lambda: client.indices.delete(index="missing"),
        lambda: client.indices.get_mapping(index="missing"),
        lambda: client.search(index="missing", body={}),
        lambda: client.count(index="missing"),
        lambda: client.get(index="missing", id="1"),
    ):
        with pytest.raises(NotFoundError) as raised:
            call()
        assert raised.value.error == "index_not_found_exception"


def test_put_mapping_adds_fields_and_refuses_changes(client):
    """Issue 21 §6, OpenSearch's merge rules: new fields, sub-fields, `dynamic`, `_meta` and the
    updatable parameters change; types and other parameters cannot; documents written before a
    field was mapped keep it unindexed (OpenSearch does not re-index them)."""
    mappings = {"dynamic": False, "properties": {"title": {"type": "text"}, "code": {"type": "keyword"}}}
    client.indices.create(index="items", body={"mappings": mappings})
    client.index(index="items", id="1", body={"title": "red tent", "colour": "red"}, refresh=True)
    assert client.count(index="items", body={"query": {"term": {"colour": "red"}}})["count"] == 0
    client.indices.put_mapping(index="items", body={"properties": {"colour": {"type": "keyword"}}})
    client.indices.put_mapping(
        index="items",
        body={"properties": {"title": {"type": "text", "fields": {"raw": {"type": "keyword"}}}}},
    )
    client.indices.put_mapping(index="items", body={"dynamic": True, "_meta": {"v": 2}})
    client.indices.put_mapping(
        index="items", body={"properties": {"code": {"type": "keyword", "ignore_above": 5}}}
    )
    client.index(index="items", id="2", body={"title": "red tent", "colour": "red", "size": 3}, refresh=True)
    for query in ({"term": {"colour": "red"}}, {"term": {"title.raw": "red tent"}}, {"term": {"size": 3}}):
        hits = client.search(index="items", body={"query": query})["hits"]["hits"]
        assert [hit["_id"] for hit in hits] == ["2"], query
    client.update(index="items", id="1", body={"doc": {"colour": "red", "note": "rewritten"}}, refresh=True)
    assert client.count(index="items", body={"query": {"term": {"colour": "red"}}})["count"] == 2
    mapping = client.indices.get_mapping(index="items")["items"]["mappings"]
    assert mapping["_meta"] == {"v": 2} and mapping["properties"]["code"]["ignore_above"] == 5
    for change in (
        {"properties": {"title": {"type": "keyword"}}},
        {"properties": {"title": {"type": "text", "index": False}}},
        {"properties": {"title": {"type": "text", "fields": {"raw": {"type": "text"}}}}},
        {"_source": {"enabled": False}},
    ):
        with pytest.raises(RequestError) as raised:
            client.indices.put_mapping(index="items", body=change)
        assert raised.value.error == "illegal_argument_exception", change


def test_unknown_route_and_wrong_method_answer_in_opensearch_error_format(server):
    unknown = requests.get(f"{server.url}/_nodes/stats", timeout=5)
    assert unknown.status_code == 400
    assert "no handler found" in unknown.json()["error"]["reason"]
    wrong_method = requests.patch(f"{server.url}/items/_search", timeout=5)
    assert wrong_method.status_code == 405
    assert wrong_method.json()["status"] == 405


def test_malformed_json_body_is_a_parsing_exception(server, client):
    client.indices.create(index="items")
    response = requests.post(
        f"{server.url}/items/_search",
        data=b"{not json",
        headers={"Content-Type": "application/json"},
        timeout=5,
    )
    assert response.status_code == 400
    assert response.json()["error"]["type"] == "parsing_exception"


def test_server_refuses_non_loopback_addresses(tmp_path):
    with pytest.raises(ValueError, match="loopback"):
        SearchServer(tmp_path, host="0.0.0.0")  # noqa: S104 - the address being refused


def test_requests_after_stop_are_refused_with_503(tmp_path):
    server = SearchServer(tmp_path)
    url = server.start()
    session = requests.Session()  # keeps its connection open across stop()
    assert session.get(url, timeout=5).status_code == 200
    server.stop()
    try:
        response = session.get(url, timeout=5)
    except requests.ConnectionError:
        return  # the connection closed first: also a refusal
    assert response.status_code == 503
    assert response.json()["error"]["type"] == "node_closed_exception"


def test_index_lists_wildcards_and_all(client):
    """Issue 21 §5, from OpenSearch's multi-target syntax: `a,b`, `a*`, `_all`, `-a` exclusions,
    and no index at all, for search, count, refresh, mapping and delete."""
    client.index(index="shop-a", id="1", body={"t": "kayak"}, refresh=True)
    client.index(index="shop-b", id="2", body={"t": "kayak paddle"}, refresh=True)
    client.index(index="other", id="3", body={"t": "kayak"}, refresh=True)

    def found(**kwargs):
        return sorted((hit["_index"], hit["_id"]) for hit in client.search(**kwargs)["hits"]["hits"])

    assert found(index="shop-*") == [("shop-a", "1"), ("shop-b", "2")]
    assert found(index="shop-a,other") == [("other", "3"), ("shop-a", "1")]
    assert (
        found(index="_all")
        == found()
        == found(index="*")
        == [("other", "3"), ("shop-a", "1"), ("shop-b", "2")]
    )
    assert found(index="*,-shop-b") == [("other", "3"), ("shop-a", "1")]
    page = client.search(index="shop-*", body={"size": 1, "from": 1, "query": {"match": {"t": "kayak"}}})
    assert (
        page["hits"]["total"]["value"] == 2
        and page["_shards"]["total"] == 2
        and len(page["hits"]["hits"]) == 1
    )
    assert client.count(index="shop-*")["count"] == 2 and client.count()["count"] == 3
    assert set(client.indices.get_mapping(index="shop-*")) == {"shop-a", "shop-b"}
    assert set(client.indices.get_mapping()) == {"shop-a", "shop-b", "other"}
    assert client.indices.refresh(index="_all")["_shards"]["successful"] == 3
    nothing = client.search(index="none-*")
    assert nothing["hits"] == {"total": {"value": 0, "relation": "eq"}, "max_score": 0.0, "hits": []}
    with pytest.raises(NotFoundError):
        client.search(index="shop-a,missing")
    assert (
        client.search(index="shop-a,missing", params={"ignore_unavailable": "true"})["hits"]["total"]["value"]
        == 1
    )
    with pytest.raises(NotFoundError):
        client.search(index="none-*", params={"allow_no_indices": "false"})
    client.indices.delete(index="shop-*")
    assert [client.indices.exists(index=name) for name in ("shop-a", "shop-b", "other")] == [
        False,
        False,
        True,
    ]
