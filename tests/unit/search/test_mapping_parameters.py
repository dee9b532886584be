"""Mapping parameters OpenSearch accepts (issue 21 §2), REST-test style: a mapping that creates an
index on AWS creates it here, each parameter honoured or, where it cannot change which documents
match (index_prefixes, index_phrases, norms, term_vector, ...), kept and shown by GET _mapping.
tests/opensearch/test_rest_behaviours.py runs the shared cases against the real node."""

from __future__ import annotations

import pytest
from opensearchpy import OpenSearch
from opensearchpy.exceptions import RequestError


def create(client: OpenSearch, mappings: dict) -> None:
    client.indices.create(index="p", body={"mappings": mappings})


def ids(client: OpenSearch, query: dict) -> list[str]:
    client.indices.refresh(index="p")
    return sorted(hit["_id"] for hit in client.search(index="p", body={"query": query})["hits"]["hits"])


def refused(client: OpenSearch, mappings: dict) -> dict:
    with pytest.raises(RequestError) as raised:
        create(client, mappings)
    return raised.value.info["error"]


def test_accepted_parameters_are_kept_for_get_mapping(client: OpenSearch) -> None:
    title = {
        "type": "text",
        "index_prefixes": {"min_chars": 2, "max_chars": 5},
        "index_phrases": True,
        "norms": True,
        "term_vector": "with_positions",
        "meta": {"unit": "words"},
    }
    create(client, {"_meta": {"v": 2}, "properties": {"title": title}})
    mappings = client.indices.get_mapping(index="p")["p"]["mappings"]
    assert mappings["properties"]["title"] == title and mappings["_meta"] == {"v": 2}


def test_scaled_float_keeps_the_value_rounded_to_its_factor(client: OpenSearch) -> None:
    create(client, {"properties": {"price": {"type": "scaled_float", "scaling_factor": 100}}})
    client.index(index="p", id="1", body={"price": 9.999})
    assert ids(client, {"range": {"price": {"gte": 10}}}) == ["1"]  # stored as 1000 hundredths
    assert client.get(index="p", id="1")["_source"] == {"price": 9.999}  # the source is unchanged


def test_null_value_coerce_and_ignore_malformed(client: OpenSearch) -> None:
    create(
        client,
        {
            "properties": {
                "brand": {"type": "keyword", "null_value": "NONE"},
                "size": {"type": "integer", "ignore_malformed": True},
                "exact": {"type": "integer", "coerce": False},
            }
        },
    )
    client.index(index="p", id="1", body={"brand": None, "size": "large"})
    assert ids(client, {"term": {"brand": "NONE"}}) == ["1"]
    assert ids(client, {"range": {"size": {"gte": 0}}}) == []
    for value in ("4", 4.5):
        with pytest.raises(RequestError) as raised:
            client.index(index="p", id="2", body={"exact": value})
        assert raised.value.error == "mapper_parsing_exception"


def test_copy_to_enabled_false_and_source_excludes(client: OpenSearch) -> None:
    create(
        client,
        {
            "_source": {"excludes": ["secret"]},
            "properties": {
                "title": {"type": "text", "copy_to": "all"},
                "brand": {"type": "keyword", "copy_to": ["all"]},
                "all": {"type": "text"},
                "blob": {"type": "object", "enabled": False},
                "secret": {"type": "keyword"},
            },
        },
    )
    client.index(
        index="p", id="1", body={"title": "kayak", "brand": "Sea", "blob": {"x": "y"}, "secret": "s"}
    )
    assert ids(client, {"match": {"all": "sea kayak"}}) == ["1"]
    assert ids(client, {"match": {"blob.x": "y"}}) == []
    assert ids(client, {"term": {"secret": "s"}}) == ["1"]  # excluded from _source, still indexed
    assert client.get(index="p", id="1")["_source"] == {"title": "kayak", "brand": "Sea", "blob": {"x": "y"}}
    assert "blob" in client.indices.get_mapping(index="p")["p"]["mappings"]["properties"]
    assert "x" not in str(client.indices.get_mapping(index="p")["p"]["mappings"]["properties"]["blob"])


def test_source_disabled_returns_no_source(client: OpenSearch) -> None:
    create(client, {"_source": {"enabled": False}, "properties": {"title": {"type": "text"}}})
    client.index(index="p", id="1", body={"title": "kayak"}, refresh=True)
    assert "_source" not in client.get(index="p", id="1")
    assert "_source" not in client.search(index="p")["hits"]["hits"][0]


def test_index_options_and_doc_values_are_honoured(client: OpenSearch) -> None:
    create(
        client,
        {
            "properties": {
                "tags": {"type": "text", "index_options": "docs"},
                "rank": {"type": "long", "doc_values": False},
            }
        },
    )
    client.index(index="p", id="1", body={"tags": "water sport", "rank": 1}, refresh=True)
    assert ids(client, {"match": {"tags": "sport"}}) == ["1"]
    with pytest.raises(RequestError) as raised:
        client.search(index="p", body={"query": {"match_phrase": {"tags": "water sport"}}})
    assert raised.value.info["error"]["root_cause"][0]["type"] == "query_shard_exception"
    with pytest.raises(RequestError) as raised:
        client.search(index="p", body={"sort": ["rank"]})
    assert raised.value.info["error"]["root_cause"][0]["type"] == "illegal_argument_exception"


def test_dynamic_mapping_detects_as_opensearch(client: OpenSearch) -> None:
    create(
        client,
        {
            "numeric_detection": True,
            "dynamic_templates": [
                {"codes": {"match": "*_code", "match_mapping_type": "string", "mapping": {"type": "keyword"}}}
            ],
        },
    )
    client.index(
        index="p",
        id="1",
        body={"n": 3, "x": 1.5, "when": "2020-01-02", "stock": "42", "country_code": "FR", "name": "a"},
    )
    properties = client.indices.get_mapping(index="p")["p"]["mappings"]["properties"]
    assert {name: spec["type"] for name, spec in properties.items()} == {
        "n": "long",
        "x": "float",
        "when": "date",
        "stock": "long",
        "country_code": "keyword",
        "name": "text",
    }


@pytest.mark.parametrize(
    ("mappings", "named"),
    [
        ({"properties": {"k": {"type": "keyword", "normalizer": "lowercase"}}}, "normalizer"),
        ({"properties": {"t": {"type": "text", "similarity": "boolean"}}}, "similarity"),
        ({"properties": {"t": {"type": "text", "copy_to": "nowhere"}}}, "copy_to"),
        (
            {
                "dynamic_templates": [
                    {"x": {"match_pattern": "regex", "match": ".*", "mapping": {"type": "keyword"}}}
                ]
            },
            "regex",
        ),
    ],
)
def test_what_cannot_be_honoured_is_refused_by_name(client: OpenSearch, mappings: dict, named: str) -> None:
    error = refused(client, mappings)
    assert error["type"] == "illegal_argument_exception" and named in error["reason"]


@pytest.mark.parametrize(
    "field",
    [
        {"type": "keyword", "meta": {f"k{i}": "v" for i in range(6)}},
        {"type": "keyword", "meta": {"k": 1}},
        {"type": "integer", "null_value": "many"},
        {"type": "text", "index_options": "everything"},
        {"type": "scaled_float"},
    ],
)
def test_invalid_parameter_values_are_mapper_parsing_exceptions(client: OpenSearch, field: dict) -> None:
    assert refused(client, {"properties": {"f": field}})["type"] == "mapper_parsing_exception"


@pytest.mark.parametrize(
    "title",
    [
        {"type": "text", "analyzer": "english"},
        {"type": "text", "search_analyzer": "whitespace"},
        {"type": "text", "norms": False},
        {"type": "text", "boost": 2},
    ],
)
def test_parameters_that_would_change_matches_or_scores_are_refused(client: OpenSearch, title: dict) -> None:
    error = refused(client, {"properties": {"title": title}})
    assert error["type"] == "illegal_argument_exception" and "not supported" in error["reason"]
    assert not client.indices.exists(index="p")


def test_the_standard_analyzer_may_be_named(client: OpenSearch) -> None:
    create(client, {"properties": {"title": {"type": "text", "analyzer": "standard", "boost": 1.0}}})
    client.index(index="p", id="1", body={"title": "Red lantern"}, refresh=True)
    assert ids(client, {"match": {"title": {"query": "lantern", "analyzer": "default"}}}) == ["1"]
    with pytest.raises(RequestError) as raised:
        client.search(index="p", body={"query": {"match": {"title": {"query": "x", "analyzer": "english"}}}})
    assert "[analyzer: english]" in raised.value.info["error"]["reason"]
