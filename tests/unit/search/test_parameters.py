"""URL parameters, bulk metadata and index settings (issue 21 §3), REST-test style: each is honoured
or refused with a 400 that names it; an unknown one gets OpenSearch's own "unrecognized parameter"
error. Nothing is silently ignored. tests/opensearch/test_rest_behaviours.py checks the shared
cases against the real node."""

from __future__ import annotations

import time

import pytest
from opensearchpy import OpenSearch
from opensearchpy.exceptions import RequestError


def search(client: OpenSearch, index: str = "p", **params: str) -> dict:
    return client.transport.perform_request("GET", f"/{index}/_search", params=params)


def error_of(request) -> dict:
    with pytest.raises(RequestError) as raised:
        request()
    return raised.value.info["error"]


@pytest.fixture
def indexed(client: OpenSearch) -> OpenSearch:
    client.index(index="p", id="1", body={"t": "a"}, routing="r1", refresh=True)
    client.index(index="p", id="2", body={"t": "a"}, refresh=True)
    return client


@pytest.mark.parametrize(
    ("params", "named"),
    [
        ({"scroll": "1m"}, "scroll"),
        ({"q": "a"}, "[q]"),
        ({"filter_path": "hits"}, "filter_path"),
        ({"explain": "true"}, "explain"),
        ({"stored_fields": "_none_"}, "stored_fields"),
    ],
)
def test_parameters_not_implemented_are_refused_by_name(
    indexed: OpenSearch, params: dict, named: str
) -> None:
    error = error_of(lambda: search(indexed, **params))
    assert error["type"] == "illegal_argument_exception" and named in error["reason"]


def test_an_unknown_parameter_is_opensearchs_error(indexed: OpenSearch) -> None:
    error = error_of(lambda: search(indexed, colour="red"))
    assert error["reason"] == "request [/p/_search] contains unrecognized parameter: [colour]"
    error = error_of(lambda: indexed.index(index="p", id="3", body={}, params={"colour": "red"}))
    assert "unrecognized parameter: [colour]" in error["reason"]
    error = error_of(lambda: indexed.index(index="p", id="3", body={}, pipeline="enrich"))
    assert "pipeline" in error["reason"]


def test_totals_as_track_total_hits_and_rest_total_hits_as_int_ask(indexed: OpenSearch) -> None:
    assert search(indexed, rest_total_hits_as_int="true")["hits"]["total"] == 2
    assert "total" not in search(indexed, track_total_hits="false")["hits"]
    assert search(indexed, track_total_hits="1")["hits"]["total"] == {"value": 1, "relation": "gte"}
    body = {"track_total_hits": 5}
    assert indexed.search(index="p", body=body)["hits"]["total"] == {"value": 2, "relation": "eq"}


def test_routing_is_kept_and_required_when_the_mapping_says_so(client: OpenSearch) -> None:
    client.indices.create(index="routed", body={"mappings": {"_routing": {"required": True}}})
    error = error_of(lambda: client.index(index="routed", id="1", body={"t": "a"}))
    assert error["type"] == "routing_missing_exception"
    client.index(index="routed", id="1", body={"t": "a"}, routing="shop-1", refresh=True)
    client.bulk(
        body=[{"index": {"_index": "routed", "_id": "2", "routing": "shop-2"}}, {"t": "b"}], refresh=True
    )
    assert client.get(index="routed", id="1")["_routing"] == "shop-1"
    hits = client.search(index="routed")["hits"]["hits"]
    assert sorted((hit["_id"], hit["_routing"]) for hit in hits) == [("1", "shop-1"), ("2", "shop-2")]
    client.update(index="routed", id="1", body={"doc": {"t": "c"}}, routing="shop-1")
    assert client.get(index="routed", id="1")["_routing"] == "shop-1"


def test_get_realtime_and_refresh(client: OpenSearch) -> None:
    client.indices.create(index="p", body={"settings": {"refresh_interval": "-1"}})
    client.index(index="p", id="1", body={"t": "a"})
    assert client.get(index="p", id="1", realtime="false", ignore=[404])["found"] is False
    assert client.get(index="p", id="1")["found"] is True
    assert client.get(index="p", id="1", realtime="false", refresh="true")["found"] is True


def test_refresh_interval_minus_one_leaves_writes_unsearchable_until_a_refresh(client: OpenSearch) -> None:
    client.indices.create(index="p", body={"settings": {"index": {"refresh_interval": "-1"}}})
    client.index(index="p", id="1", body={"t": "a"})
    time.sleep(1.3)  # longer than the server's one-second refresh
    assert client.count(index="p")["count"] == 0
    client.indices.refresh(index="p")
    assert client.count(index="p")["count"] == 1
    assert client.indices.get(index="p")["p"]["settings"]["index"]["refresh_interval"] == "-1"


def test_settings_are_applied_or_refused(client: OpenSearch) -> None:
    client.indices.create(index="p", body={"settings": {"max_result_window": 3, "codec": "best_compression"}})
    error = error_of(lambda: client.search(index="p", body={"size": 4}))
    assert error["type"] == "search_phase_execution_exception"
    assert (
        error_of(lambda: client.indices.create(index="q", body={"settings": {"colour": 1}}))["type"]
        == "settings_exception"
    )
    error = error_of(
        lambda: client.indices.create(
            index="q", body={"settings": {"analysis": {"analyzer": {"a": {"type": "standard"}}}}}
        )
    )
    assert "index.analysis" in error["reason"]
    error = error_of(
        lambda: client.indices.create(index="q", body={"settings": {"refresh_interval": "soon"}})
    )
    assert "refresh_interval" in error["reason"]


def test_bulk_metadata_and_update_options(indexed: OpenSearch) -> None:
    error = error_of(
        lambda: indexed.bulk(body=[{"index": {"_index": "p", "_id": "9", "colour": 1}}, {"t": "b"}])
    )
    assert error["reason"] == "Action/metadata line [1] contains an unknown parameter [colour]"
    error = error_of(
        lambda: indexed.bulk(body=[{"index": {"_index": "p", "_id": "9", "pipeline": "x"}}, {"t": "b"}])
    )
    assert "pipeline" in error["reason"]
    assert indexed.update(index="p", id="2", body={"doc": {"t": "a"}})["result"] == "noop"
    assert (
        indexed.update(index="p", id="2", body={"doc": {"t": "a"}, "detect_noop": False})["result"]
        == "updated"
    )
