"""Dates as OpenSearch keeps them (issue 21 §1), in the manner of its REST tests (setup, do, match).

From OpenSearch's documentation of the `date` and `date_nanos` field types, the range query and
date math: a date is epoch milliseconds, a date_nanos epoch nanoseconds; `format` (named formats,
Java-style patterns, `a||b`) reads documents and, in a range, its bounds; `gt`/`lte` round up and
`gte`/`lt` round down, missing time parts included. tests/opensearch/test_rest_behaviours.py
sends the same requests to a real node.
"""

from __future__ import annotations

import pytest
from opensearchpy import OpenSearch
from opensearchpy.exceptions import RequestError

MAPPING = {
    "properties": {
        "when": {"type": "date"},
        "nano": {"type": "date_nanos"},
        "local": {"type": "date", "format": "yyyy-MM-dd HH:mm:ss||dd/MM/yyyy||epoch_second"},
    }
}
DOCS = {
    "a": {
        "when": "2018-10-29T12:12:12.987Z",
        "nano": "2018-10-29T12:12:12.123456789Z",
        "local": "2018-10-29 12:12:12",
    },
    "b": {
        "when": "2018-10-29T12:12:12.986Z",
        "nano": "2018-10-29T12:12:12.123456788Z",
        "local": "30/10/2018",
    },
    "c": {"when": 1540815133000, "nano": "2018-10-30", "local": 1540815133},
}


@pytest.fixture
def dated(client: OpenSearch) -> OpenSearch:
    client.indices.create(index="dated", body={"mappings": MAPPING})
    for doc_id, doc in DOCS.items():
        client.index(index="dated", id=doc_id, body=doc)
    client.indices.refresh(index="dated")
    return client


def ids(client: OpenSearch, query: dict, **body) -> list[str]:
    hits = client.search(index="dated", body={"query": query, "size": 10, **body})["hits"]["hits"]
    return sorted(hit["_id"] for hit in hits)


def test_range_keeps_milliseconds(dated: OpenSearch) -> None:
    assert ids(dated, {"range": {"when": {"gte": "2018-10-29T12:12:12.987Z"}}}) == ["a", "c"]
    assert ids(dated, {"range": {"when": {"gt": "2018-10-29T12:12:12.986Z", "lt": 1540815133000}}}) == ["a"]
    assert ids(dated, {"term": {"when": "2018-10-29T12:12:12.986Z"}}) == ["b"]


def test_sort_values_are_epoch_milliseconds_and_nanoseconds(dated: OpenSearch) -> None:
    hits = dated.search(index="dated", body={"sort": [{"when": "desc"}]})["hits"]["hits"]
    assert [(hit["_id"], hit["sort"]) for hit in hits] == [
        ("c", [1540815133000]),
        ("a", [1540815132987]),
        ("b", [1540815132986]),
    ]
    hits = dated.search(index="dated", body={"sort": [{"nano": "asc"}]})["hits"]["hits"]
    assert [hit["sort"] for hit in hits] == [
        [1540815132123456788],
        [1540815132123456789],
        [1540857600000000000],
    ]


def test_date_nanos_ranges_keep_nanoseconds(dated: OpenSearch) -> None:
    assert ids(dated, {"range": {"nano": {"gte": "2018-10-29T12:12:12.123456789Z"}}}) == ["a", "c"]
    assert ids(dated, {"range": {"nano": {"lt": "2018-10-29T12:12:12.123456789Z"}}}) == ["b"]


def test_the_mapped_format_reads_documents_and_bounds(dated: OpenSearch) -> None:
    assert ids(dated, {"range": {"local": {"gte": "2018-10-29 12:12:13"}}}) == ["b", "c"]
    assert ids(dated, {"range": {"local": {"lte": "29/10/2018"}}}) == ["a", "c"]  # lte rounds the day up
    assert ids(dated, {"range": {"local": {"lt": "29/10/2018"}}}) == []


def test_a_range_may_name_its_own_format_and_time_zone(dated: OpenSearch) -> None:
    query = {
        "range": {"when": {"gte": "29/10/2018 13:12", "format": "dd/MM/yyyy HH:mm", "time_zone": "+01:00"}}
    }
    assert ids(dated, query) == ["a", "b", "c"]
    query = {
        "range": {"when": {"lt": "29/10/2018 12:13", "format": "dd/MM/yyyy HH:mm", "time_zone": "+01:00"}}
    }
    assert ids(dated, query) == []  # 11:13 UTC
    del query["range"]["when"]["time_zone"]
    assert ids(dated, query) == ["a", "b", "c"]


def test_date_math_and_rounding(dated: OpenSearch) -> None:
    assert ids(dated, {"range": {"when": {"gte": "2018-10-29||/d", "lte": "2018-10-29||/d"}}}) == [
        "a",
        "b",
        "c",
    ]
    assert ids(dated, {"range": {"when": {"gt": "2018-10-29||/d"}}}) == []  # rounded up: after the day
    assert ids(dated, {"range": {"when": {"gte": "2018-10-28||+1d", "lt": "2018-10-29T12:12:13Z"}}}) == [
        "a",
        "b",
    ]
    assert ids(dated, {"range": {"when": {"lt": "now-1y"}}}) == ["a", "b", "c"]


def test_unreadable_dates_and_formats_are_refused(client: OpenSearch, dated: OpenSearch) -> None:
    with pytest.raises(RequestError) as refused:
        dated.index(index="dated", id="x", body={"local": "2018-10-29T12:12:12Z"})
    assert refused.value.error == "mapper_parsing_exception"
    with pytest.raises(RequestError) as refused:
        ids(dated, {"range": {"when": {"gte": "yesterday"}}})
    assert refused.value.error == "search_phase_execution_exception"
    assert refused.value.info["error"]["root_cause"][0]["type"] == "parse_exception"
    with pytest.raises(RequestError) as refused:
        client.indices.create(
            index="weeks", body={"mappings": {"properties": {"w": {"type": "date", "format": "week_date"}}}}
        )
    assert refused.value.error == "mapper_parsing_exception" and "week_date" in str(refused.value.info)
