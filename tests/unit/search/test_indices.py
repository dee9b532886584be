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
    mappings = {"dynamic": False, "properties": {"title": {"type": "text"}}}
    client.indices.create(index="items", body={"mappings": mappings})
    client.index(index="items", id="1", body={"title": "red tent", "colour": "red"}, refresh=True)
    assert client.count(index="items", body={"query": {"term": {"colour": "red"}}})["count"] == 0
    client.indices.put_mapping(index="items", body={"properties": {"colour": {"type": "keyword"}}})
    hits = client.search(index="items", body={"query": {"term": {"colour": "red"}}})["hits"]["hits"]
    assert [hit["_id"] for hit in hits] == ["1"]
    with pytest.raises(RequestError):
        client.indices.put_mapping(index="items", body={"properties": {"title": {"type": "keyword"}}})


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


def test_several_indices_in_one_request_are_refused_by_name(client):
    client.indices.create(index="one")
    client.indices.create(index="two")
    for call in (
        lambda: client.search(index="one,two", body={}),
        lambda: client.search(index="on*", body={}),
        lambda: client.search(body={}),
        lambda: client.count(),
    ):
        with pytest.raises(RequestError) as raised:
            call()
        assert "not supported" in raised.value.info["error"]["reason"]
