"""OpenSearch behaviours a search program relies on (issue 21), proven on the real node: each test
runs one scenario against both engines and requires the same answers. The unit tests in
tests/unit/search/ pin the same behaviours on the embedded server alone, in more detail."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
from opensearchpy import OpenSearch
from opensearchpy.exceptions import TransportError

from tests.unit.search import test_dates as dates

Scenario = Callable[[OpenSearch], Any]


@pytest.fixture(scope="module")
def engines(embedded_url: str, opensearch_url: str) -> dict[str, OpenSearch]:
    return {
        "embedded": OpenSearch(hosts=[embedded_url], timeout=30, max_retries=0),
        "opensearch": OpenSearch(hosts=[opensearch_url], timeout=30, max_retries=0),
    }


def outcome(client: OpenSearch, request: Scenario) -> Any:
    """The scenario's result, or the error as opensearch-py reports it (exception class, status, type)."""
    try:
        return request(client)
    except TransportError as error:
        info = error.info if isinstance(error.info, dict) else {}
        error_body = info.get("error", {})
        root = (
            [cause.get("type") for cause in error_body.get("root_cause", [])]
            if isinstance(error_body, dict)
            else []
        )
        return {
            "exception": type(error).__name__,
            "status": error.status_code,
            "type": error_body.get("type") if isinstance(error_body, dict) else error_body,
            "root_cause": root,
        }


def agree(engines: dict[str, OpenSearch], indices: list[str], scenario: Scenario) -> Any:
    """Run `scenario` on both engines over fresh `indices`; both must answer the same."""
    results = {}
    for name, client in engines.items():
        for index in indices:
            client.indices.delete(index=index, ignore=[404])
        try:
            results[name] = outcome(client, scenario)
        finally:
            for index in indices:
                client.indices.delete(index=index, ignore=[404])
    assert results["embedded"] == results["opensearch"], results
    return results["opensearch"]


def hit_ids(response: dict[str, Any]) -> list[str]:
    return sorted(hit["_id"] for hit in response["hits"]["hits"])


# ------------------------------------------------------------------------- §1 dates


def test_dates_keep_milliseconds_nanoseconds_formats_and_date_math(engines):
    ranges = [
        {"when": {"gte": "2018-10-29T12:12:12.987Z"}},
        {"when": {"gt": "2018-10-29T12:12:12.986Z", "lt": 1540815133000}},
        {"when": {"gte": "2018-10-29||/d", "lte": "2018-10-29||/d"}},
        {"when": {"gt": "2018-10-29||/d"}},
        {"when": {"gte": "2018-10-28||+1d", "lt": "2018-10-29T12:12:13Z"}},
        {"when": {"lte": "2018-10-29"}},
        {"when": {"lt": "29/10/2018 12:13", "format": "dd/MM/yyyy HH:mm", "time_zone": "+01:00"}},
        {"when": {"gte": "2018-10-29T13:12:12.987", "time_zone": "Europe/Paris"}},
        {"nano": {"gte": "2018-10-29T12:12:12.123456789Z"}},
        {"local": {"gte": "2018-10-29 12:12:13"}},
        {"local": {"lte": "29/10/2018"}},
        {"when": {"gte": "yesterday"}},
    ]

    def scenario(client: OpenSearch) -> Any:
        client.indices.create(index="r-dates", body={"mappings": dates.MAPPING})
        for doc_id, doc in dates.DOCS.items():
            client.index(index="r-dates", id=doc_id, body=doc)
        client.indices.refresh(index="r-dates")
        found = [
            outcome(client, lambda c, r=r: hit_ids(c.search(index="r-dates", body={"query": {"range": r}})))
            for r in ranges
        ]
        sorted_hits = {
            field: [
                (hit["_id"], hit["sort"])
                for hit in client.search(index="r-dates", body={"sort": [{field: "desc"}]})["hits"]["hits"]
            ]
            for field in ("when", "nano", "local")
        }
        term = hit_ids(
            client.search(index="r-dates", body={"query": {"term": {"when": "2018-10-29T12:12:12.986Z"}}})
        )
        malformed = outcome(
            client, lambda c: c.index(index="r-dates", id="x", body={"local": "2018-10-29T12:12:12Z"})
        )
        return found, sorted_hits, term, malformed

    found, sorted_hits, _term, _malformed = agree(engines, ["r-dates"], scenario)
    assert found[0] == ["a", "c"] and sorted_hits["when"][1] == ("a", [1540815132987])


# ------------------------------------------------------------------------- §2 mapping parameters

PARAMETERS_MAPPING = {
    "_meta": {"owner": "search team"},
    "_source": {"excludes": ["secret"]},
    "date_detection": True,
    "numeric_detection": True,
    "dynamic_templates": [
        {"codes": {"match": "*_code", "match_mapping_type": "string", "mapping": {"type": "keyword"}}}
    ],
    "properties": {
        "title": {
            "type": "text",
            "index_prefixes": {"min_chars": 1, "max_chars": 10},
            "index_phrases": True,
            "norms": True,
            "term_vector": "no",
            "copy_to": "everything",
            "meta": {"unit": "words"},
        },
        "brand": {
            "type": "keyword",
            "copy_to": ["everything"],
            "eager_global_ordinals": True,
            "null_value": "NONE",
        },
        "everything": {"type": "text"},
        "size": {"type": "integer", "ignore_malformed": True},
        "strict_size": {"type": "integer", "coerce": False},
        "price": {"type": "float"},  # scaled_float is in mapper-extras, which the test node lacks
        "tags": {"type": "text", "index_options": "docs"},
        "rank": {"type": "long", "doc_values": False},
        "blob": {"type": "object", "enabled": False},
        "secret": {"type": "keyword"},
    },
}


def test_mapping_parameters_create_the_index_and_act_as_opensearch(engines):
    docs = {
        "1": {
            "title": "blue kayak paddle",
            "brand": "Sea Co",
            "size": 3,
            "strict_size": 3,
            "price": 9.999,
            "tags": "water sport",
            "rank": 1,
            "blob": {"x": "hidden"},
            "secret": "s1",
            "country_code": "FR",
            "added": "2020-01-02",
            "stock": "42",
        },
        "2": {
            "title": "red tent",
            "brand": None,
            "size": "large",
            "price": 120.004,
            "tags": "camping",
            "rank": 2,
        },
    }
    searches = {
        "copy_to": {"match": {"everything": "sea kayak"}},
        "null_value": {"term": {"brand": "NONE"}},
        "ignore_malformed": {"range": {"size": {"gte": 0}}},
        "enabled_false": {"match": {"blob.x": "hidden"}},
        "dynamic_template": {"term": {"country_code": "FR"}},
        "date_detection": {"range": {"added": {"gte": "2020-01-01", "lt": "2020-02-01"}}},
        "numeric_detection": {"range": {"stock": {"gt": 41}}},
        "prefix": {"prefix": {"title": "kay"}},
        "phrase": {"match_phrase": {"title": "kayak paddle"}},
        "phrase_without_positions": {"match_phrase": {"tags": "water sport"}},
    }

    def scenario(client: OpenSearch) -> Any:
        created = client.indices.create(index="r-params", body={"mappings": PARAMETERS_MAPPING})
        for doc_id, doc in docs.items():
            client.index(index="r-params", id=doc_id, body=doc)
        client.indices.refresh(index="r-params")
        found = {
            name: outcome(client, lambda c, q=q: hit_ids(c.search(index="r-params", body={"query": q})))
            for name, q in searches.items()
        }
        mapped = client.indices.get_mapping(index="r-params")["r-params"]["mappings"]["properties"]
        dynamic = {name: mapped[name]["type"] for name in ("country_code", "added", "stock")}
        source = client.get(index="r-params", id="1")["_source"]
        coerce = outcome(client, lambda c: c.index(index="r-params", id="3", body={"strict_size": "4"}))
        sort = outcome(client, lambda c: c.search(index="r-params", body={"sort": [{"rank": "asc"}]}))
        return created["acknowledged"], found, dynamic, sorted(source), coerce, sort

    agree(engines, ["r-params"], scenario)


# ------------------------------------------------------------------------- §3 parameters


def test_parameters_are_honoured_or_refused_never_ignored(engines):
    def scenario(client: OpenSearch) -> Any:
        client.indices.create(
            index="r-params", body={"settings": {"index": {"refresh_interval": "-1", "max_result_window": 5}}}
        )
        client.index(index="r-params", id="1", body={"t": "a"}, routing="r1", refresh=True)
        client.bulk(
            body=[{"index": {"_index": "r-params", "_id": "2", "routing": "r2"}}, {"t": "a"}], refresh="true"
        )
        client.index(index="r-params", id="3", body={"t": "a"})  # not refreshed, and refresh_interval is -1
        time.sleep(1.5)
        search = lambda **params: client.transport.perform_request("GET", "/r-params/_search", params=params)  # noqa: E731
        answers = {
            "hits": search(size="5"),
            "as_int": search(rest_total_hits_as_int="true", size="0")["hits"],
            "untracked": search(track_total_hits="false", size="0")["hits"],
            "capped": search(track_total_hits="1", size="0")["hits"],
            "stored_fields": [sorted(hit) for hit in search(stored_fields="t", size="5")["hits"]["hits"]],
            "get": client.get(index="r-params", id="1"),
            "not_realtime": client.get(index="r-params", id="3", realtime="false", ignore=[404]),
            "realtime": client.get(index="r-params", id="3")["found"],
        }
        for name, request in {
            "unknown": lambda c: search(colour="red"),
            "unknown_on_write": lambda c: c.transport.perform_request(
                "PUT", "/r-params/_doc/9", params={"colour": "red"}, body={}
            ),
            "pipeline": lambda c: c.index(index="r-params", id="4", body={"t": "a"}, pipeline="nope"),
            "bulk_metadata": lambda c: c.bulk(
                body=[{"index": {"_index": "r-params", "_id": "5", "colour": 1}}, {"t": "b"}]
            ),
            "window": lambda c: search(size="6"),
            "unknown_setting": lambda c: c.indices.create(
                index="r-params-2", body={"settings": {"colour": "red"}}
            ),
        }.items():
            answers[name] = outcome(client, request)
        for answer in (answers["hits"],):
            answer.pop("took")
        return answers

    answers = agree(engines, ["r-params", "r-params-2"], scenario)
    assert answers["hits"]["hits"]["total"]["value"] == 2 and answers["get"]["_routing"] == "r1"


# ------------------------------------------------------------------------- §4 writes to a missing index


def test_updates_create_a_missing_index_and_deletes_do_not(engines):
    def scenario(client: OpenSearch) -> Any:
        upsert = client.update(index="r-up1", id="1", body={"doc": {"a": 1}, "doc_as_upsert": True})
        missing = outcome(client, lambda c: c.update(index="r-up2", id="1", body={"doc": {"a": 1}}))
        deleted = outcome(client, lambda c: c.delete(index="r-up3", id="1"))
        bulk = client.bulk(
            body=[
                {"update": {"_index": "r-up4", "_id": "1"}},
                {"doc": {"a": 1}},
                {"delete": {"_index": "r-up5", "_id": "1"}},
                {"update": {"_index": "r-up6", "_id": "1"}},
                {"doc": {"a": 1}, "upsert": {"a": 0}},
            ]
        )
        items = [
            {action: (item["status"], item.get("result"), item.get("error", {}).get("type"))}
            for entry in bulk["items"]
            for action, item in entry.items()
        ]
        exists = [client.indices.exists(index=f"r-up{n}") for n in range(1, 7)]
        return upsert["result"], missing, deleted, bulk["errors"], items, exists

    agree(engines, [f"r-up{n}" for n in range(1, 7)], scenario)


# ------------------------------------------------------------------------- §5 several indices


def test_index_lists_wildcards_and_all(engines):
    names = ["w-a", "w-b", "w-other"]

    def scenario(client: OpenSearch) -> Any:
        for number, name in enumerate(names):
            client.indices.create(index=name, body={"settings": {"number_of_replicas": 0}})
            client.index(index=name, id=str(number), body={"t": "kayak" + " paddle" * number}, refresh=True)

        def found(index: str, **params: str) -> Any:
            """Only this test's documents match, whatever else the engines hold (`_all` is all)."""
            body = {"query": {"ids": {"values": ["0", "1", "2"]}}}
            response = client.transport.perform_request("POST", f"/{index}/_search", params=params, body=body)
            response.pop("took")
            if index in ("_all", "*"):
                response.pop("_shards")  # counts every index the engine holds
            return response

        answers = {
            expression: outcome(client, lambda c, e=expression: found(e))
            for expression in ("w-*", "w-a,w-b", "_all", "*", "w-*,-w-b", "none-*", "w-a,none")
        }
        answers["page"] = found("w-*", size="1", **{"from": "1"})
        answers["ignore_unavailable"] = found("w-a,none", ignore_unavailable="true")["hits"]["total"]
        answers["no_indices"] = outcome(client, lambda c: found("none-*", allow_no_indices="false"))
        answers["count"] = client.count(index="w-*")
        answers["mapping"] = sorted(client.indices.get_mapping(index="w-*"))
        answers["refresh"] = client.indices.refresh(index="w-*")
        answers["exists"] = [client.indices.exists(index=e) for e in ("w-*", "none-*", "w-a,w-b")]
        client.indices.delete(index="w-a,w-b")
        answers["after_delete"] = [client.indices.exists(index=name) for name in names]
        return answers

    agree(engines, names, scenario)


# ------------------------------------------------------------------------- §6 put-mapping


def test_put_mapping_adds_fields_sub_fields_dynamic_and_meta_by_opensearchs_rules(engines):
    def scenario(client: OpenSearch) -> Any:
        mappings = {
            "dynamic": False,
            "properties": {"title": {"type": "text"}, "code": {"type": "keyword", "ignore_above": 10}},
        }
        client.indices.create(index="r-put", body={"mappings": mappings})
        client.index(index="r-put", id="1", body={"title": "red tent", "colour": "red"}, refresh=True)
        put = lambda body: outcome(client, lambda c: c.indices.put_mapping(index="r-put", body=body))  # noqa: E731
        answers = {
            "add_field": put({"properties": {"colour": {"type": "keyword"}}}),
            "add_sub_field": put(
                {"properties": {"title": {"type": "text", "fields": {"raw": {"type": "keyword"}}}}}
            ),
            "dynamic_and_meta": put({"dynamic": True, "_meta": {"v": 2}}),
            "updatable": put({"properties": {"code": {"type": "keyword", "ignore_above": 20}}}),
            "change_type": put({"properties": {"title": {"type": "keyword"}}}),
            "change_parameter": put({"properties": {"title": {"type": "text", "index": False}}}),
            "change_sub_field_type": put(
                {"properties": {"title": {"type": "text", "fields": {"raw": {"type": "text"}}}}}
            ),
        }
        client.index(
            index="r-put", id="2", body={"title": "red tent", "colour": "red", "size": 3}, refresh=True
        )

        def ids(query: dict) -> list[str]:
            return hit_ids(client.search(index="r-put", body={"query": query}))

        answers["colour"] = ids({"term": {"colour": "red"}})  # the document written before stays unindexed
        answers["raw"] = ids({"term": {"title.raw": "red tent"}})
        answers["dynamic"] = ids({"term": {"size": 3}})
        mapping = client.indices.get_mapping(index="r-put")["r-put"]["mappings"]
        answers["mapping"] = (
            mapping.get("_meta"),
            str(mapping.get("dynamic")),
            sorted(mapping["properties"]),
            mapping["properties"]["title"],
            mapping["properties"]["code"],
        )
        return answers

    agree(engines, ["r-put"], scenario)


# ------------------------------------------------------------------------- §7 aliases


def test_aliases_read_write_and_manage_as_opensearch(engines):
    def scenario(client: OpenSearch) -> Any:
        cheap = {"filter": {"range": {"p": {"lt": 10}}}}
        client.indices.create(index="al-a", body={"aliases": {"al-shop": {}, "al-cheap": cheap}})
        client.indices.create(index="al-b")
        answers: dict[str, Any] = {
            "add": client.indices.update_aliases(
                body={"actions": [{"add": {"index": "al-b", "alias": "al-shop"}}]}
            ),
            "write_multi": outcome(client, lambda c: c.index(index="al-shop", id="1", body={"p": 1})),
            "require_alias_on_index": outcome(
                client,
                lambda c: c.index(index="al-a", id="1", body={"p": 1}, params={"require_alias": "true"}),
            ),
            "require_alias_missing": outcome(
                client,
                lambda c: c.index(index="al-none", id="1", body={"p": 1}, params={"require_alias": "true"}),
            ),
            "alias_named_as_index": outcome(client, lambda c: c.indices.put_alias(index="al-a", name="al-b")),
            "put_alias": client.indices.put_alias(
                index="al-b", name="al-solo", body={"is_write_index": True, "index_routing": "r"}
            ),
        }
        client.index(index="al-a", id="5", body={"p": 5}, refresh=True)
        client.index(index="al-a", id="50", body={"p": 50}, refresh=True)
        answers["write_solo"] = client.index(index="al-solo", id="2", body={"p": 20}, refresh="true")[
            "_index"
        ]
        answers["get_solo"] = client.get(index="al-solo", id="2")
        answers["get_multi"] = outcome(client, lambda c: c.get(index="al-shop", id="1"))
        answers["search_alias"] = hit_ids(client.search(index="al-shop"))
        answers["search_filtered"] = hit_ids(client.search(index="al-cheap"))
        answers["count_filtered"] = client.count(index="al-cheap")["count"]
        answers["search_wildcard"] = hit_ids(client.search(index="al-sh*"))
        answers["get_alias"] = client.indices.get_alias(name="al-shop")
        answers["get_alias_index"] = client.indices.get_alias(index="al-a")
        answers["get_alias_missing"] = client.transport.perform_request(
            "GET", "/_alias/al-zzz", params={"ignore": 404}
        )
        answers["exists_alias"] = [client.indices.exists_alias(name=n) for n in ("al-shop", "al-zzz")]
        answers["get_index"] = client.indices.get(index="al-a")["al-a"]["aliases"]
        answers["delete_via_alias"] = outcome(client, lambda c: c.indices.delete(index="al-shop"))
        answers["bulk_require"] = [
            {action: (item["status"], item.get("error", {}).get("type"), item.get("_index"))}
            for entry in client.bulk(
                body=[
                    {"index": {"_index": "al-a", "_id": "3", "require_alias": True}},
                    {"p": 1},
                    {"index": {"_index": "al-solo", "_id": "4"}},
                    {"p": 1},
                ]
            )["items"]
            for action, item in entry.items()
        ]
        answers["delete_alias"] = client.indices.delete_alias(index="al-b", name="al-solo")
        answers["delete_alias_missing"] = outcome(
            client, lambda c: c.indices.delete_alias(index="al-b", name="al-solo")
        )
        answers["two_writers"] = outcome(
            client,
            lambda c: c.indices.update_aliases(
                body={
                    "actions": [
                        {"add": {"indices": ["al-a", "al-b"], "alias": "al-w", "is_write_index": True}}
                    ]
                }
            ),
        )
        return answers

    agree(engines, ["al-a", "al-b"], scenario)


# ------------------------------------------------------------------------- §8 optimistic concurrency


def test_optimistic_concurrency_and_external_versions(engines):
    def scenario(client: OpenSearch) -> Any:
        client.index(index="r-occ", id="1", body={"a": 1})

        def write(**params: Any) -> Any:
            doc_id = params.pop("id", "1")
            return outcome(client, lambda c: c.index(index="r-occ", id=doc_id, body={"a": 2}, params=params))

        answers = {
            "ok": write(if_seq_no=0, if_primary_term=1),
            "stale": write(if_seq_no=0, if_primary_term=1),
            "missing": write(id="9", if_seq_no=0, if_primary_term=1),
            "no_term": write(if_seq_no=1),
            "internal": write(version=2),
            "external": write(id="2", version=10, version_type="external"),
            "external_stale": write(id="2", version=10, version_type="external"),
            "external_gte": write(id="2", version=10, version_type="external_gte"),
            "bad_type": write(id="3", version=1, version_type="force"),
            "get_version": outcome(client, lambda c: c.get(index="r-occ", id="2", params={"version": 9})),
            "update_stale": outcome(
                client,
                lambda c: c.update(
                    index="r-occ",
                    id="1",
                    body={"doc": {"a": 5}},
                    params={"if_seq_no": 0, "if_primary_term": 1},
                ),
            ),
            "delete_stale": outcome(
                client,
                lambda c: c.delete(index="r-occ", id="1", params={"if_seq_no": 0, "if_primary_term": 1}),
            ),
            "delete_external": outcome(
                client,
                lambda c: c.delete(index="r-occ", id="2", params={"version": 11, "version_type": "external"}),
            ),
        }
        bulk = client.bulk(
            body=[
                {"index": {"_index": "r-occ", "_id": "1", "if_seq_no": 0, "if_primary_term": 1}},
                {"a": 1},
                {"delete": {"_index": "r-occ", "_id": "1", "version": 99, "version_type": "external"}},
            ]
        )
        answers["bulk"] = [
            {action: (item["status"], item.get("_version"), item.get("error", {}).get("type"))}
            for entry in bulk["items"]
            for action, item in entry.items()
        ]
        for answer in answers.values():
            if isinstance(answer, dict):
                answer.pop("_shards", None)  # the node has no replicas; see §9
        return answers

    agree(engines, ["r-occ"], scenario)


# ------------------------------------------------------------------------- §9 response shapes


def test_write_responses_have_opensearchs_shape(engines):
    mappings = {
        "properties": {
            "n": {"type": "integer"},
            "b": {"type": "boolean"},
            "d": {"type": "date"},
            "o": {"type": "object"},
        }
    }

    def scenario(client: OpenSearch) -> Any:
        answers: dict[str, Any] = {}
        for replicas in (0, 1):  # _shards counts the primary and each replica (one node: only the primary)
            name = f"r-shape-{replicas}"
            client.indices.create(
                index=name, body={"settings": {"number_of_replicas": replicas}, "mappings": mappings}
            )
            answers[f"forced_{replicas}"] = client.index(index=name, id="1", body={"n": 1}, refresh="true")
        index = "r-shape-0"
        answers["wait_for"] = client.index(index=index, id="1", body={"n": 1}, refresh="wait_for")
        answers["delete_forced"] = client.delete(index=index, id="1", refresh="true")
        answers["update_source"] = client.update(
            index=index, id="2", body={"doc": {"n": 2}, "doc_as_upsert": True, "_source": True}
        )
        answers["update_source_param"] = client.update(
            index=index, id="2", body={"doc": {"n": 3}}, params={"_source": "n"}
        )
        bulk = client.bulk(
            body=[
                {"index": {"_index": index, "_id": "3", "op_type": "create"}},
                {"n": 3},
                {"create": {"_index": index, "_id": "4"}},
                {"n": 4},
                {"update": {"_index": index, "_id": "3", "_source": True}},
                {"doc": {"n": 4}},
                {"index": {"_index": index, "_id": "5"}},
                {"n": "abc"},
                {"index": {"_index": index, "_id": "6"}},
                {"b": "maybe"},
                {"index": {"_index": index, "_id": "7"}},
                {"d": "soon"},
                {"index": {"_index": index, "_id": "8"}},
                {"o": 5},
            ],
            refresh="true",
        )
        answers["bulk"] = [
            {
                action: {
                    key: value
                    if key != "error"
                    else {"type": value["type"], "caused_by": value.get("caused_by", {}).get("type")}
                    for key, value in item.items()
                }
            }
            for entry in bulk["items"]
            for action, item in entry.items()
        ]
        answers["long_id"] = outcome(client, lambda c: c.index(index=index, id="x" * 600, body={}))
        answers["metadata_field"] = outcome(client, lambda c: c.index(index=index, id="9", body={"_id": "x"}))
        return answers

    agree(engines, ["r-shape-0", "r-shape-1"], scenario)
