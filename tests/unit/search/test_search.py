"""`_search` and `_count`: every supported query type, paging, `_source` filtering, response shape, errors."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from allstore_common.search_index import INDEX_MAPPING
from opensearchpy import OpenSearch, RequestError, helpers

from allstore.search import SearchServer
from tests.unit.search.conftest import client_for

PRODUCTS = {
    "P01": {"title": "Ultralight Backpacking Tent", "brand": "Trail Co", "category": "Camping", "price": 199.0,
            "description": "Two person tent for backpacking trips", "feature": ["aluminium poles", "rain fly"],
            "popularity": 50, "imUrl": "https://img.example/p01.jpg"},
    "P02": {"title": "Family Camping Tent", "brand": "Outdoor Max", "category": "Camping", "price": 149.0,
            "description": "Roomy tent for six people", "popularity": 30},
    "P03": {"title": "Trail Running Shoes", "brand": "Swift", "category": "Footwear", "price": 89.0,
            "description": "Grippy shoes for running on trails", "feature": ["rock plate"], "popularity": 80},
    "P04": {"title": "Road Running Shoes", "brand": "Swift", "category": "Footwear", "price": 99.0,
            "description": "Cushioned shoes for road running", "popularity": 70},
    "P05": {"title": "Stainless Steel Water Bottle", "brand": "Hydra", "category": "Hydration", "price": 25.0,
            "description": "Keeps water cold for a day", "popularity": 90},
    "P06": {"title": "Insulated Sleeping Bag", "brand": "Trail Co", "category": "Camping", "price": 120.0,
            "description": "Warm bag rated to minus five", "popularity": 20},
    "P07": {"title": "Yoga Mat", "brand": "Zen", "category": "Fitness", "price": 30.0,
            "description": "Non slip mat", "popularity": 60, "genre": "fitness"},
}  # fmt: skip


@pytest.fixture(scope="module")
def products(tmp_path_factory) -> Iterator[OpenSearch]:
    server = SearchServer(tmp_path_factory.mktemp("search"))
    server.start()
    client = client_for(server.url)
    client.indices.create(index="items", body=INDEX_MAPPING)
    helpers.bulk(client, ({"_index": "items", "_id": key, "_source": doc} for key, doc in PRODUCTS.items()))
    client.indices.refresh(index="items")
    yield client
    server.stop()


def ids(products: OpenSearch, query: dict, **body) -> list[str]:
    response = products.search(index="items", body={"query": query, **body})
    return [hit["_id"] for hit in response["hits"]["hits"]]


def test_response_has_opensearch_shape(products):
    response = products.search(index="items", body={"query": {"match": {"title": "tent"}}})
    assert set(response) == {"took", "timed_out", "_shards", "hits"}
    assert response["timed_out"] is False
    assert response["hits"]["total"] == {"value": 2, "relation": "eq"}
    first = response["hits"]["hits"][0]
    assert set(first) == {"_index", "_id", "_score", "_source"}
    assert first["_index"] == "items"
    assert response["hits"]["max_score"] == first["_score"] > 0
    assert first["_source"] == PRODUCTS[first["_id"]]


def test_no_hits_has_null_max_score(products):
    response = products.search(index="items", body={"query": {"match": {"title": "kayak"}}})
    assert response["hits"]["total"]["value"] == 0
    assert response["hits"]["max_score"] is None
    assert response["hits"]["hits"] == []


def test_match_all_and_empty_body_return_everything(products):
    assert len(ids(products, {"match_all": {}}, size=100)) == len(PRODUCTS)
    assert products.search(index="items")["hits"]["total"]["value"] == len(PRODUCTS)
    assert products.search(index="items", body={"query": {"match_none": {}}})["hits"]["total"]["value"] == 0


def test_match_or_by_default_and_with_operator_and(products):
    assert set(ids(products, {"match": {"title": "trail tent"}})) == {"P01", "P02", "P03"}
    assert ids(products, {"match": {"description": {"query": "shoes trails", "operator": "and"}}}) == ["P03"]
    assert set(
        ids(products, {"match": {"title": {"query": "running shoes road", "minimum_should_match": 3}}})
    ) == {"P04"}


def test_match_is_case_insensitive_on_text_and_exact_on_keyword(products):
    assert ids(products, {"match": {"title": "YOGA"}}) == ["P07"]
    assert set(ids(products, {"match": {"category": "Camping"}})) == {"P01", "P02", "P06"}
    assert ids(products, {"match": {"category": "camping"}}) == []


def test_match_with_fuzziness_finds_misspellings(products):
    assert ids(products, {"match": {"title": "sleping"}}) == []
    assert ids(products, {"match": {"title": {"query": "sleping", "fuzziness": "AUTO"}}}) == ["P06"]
    assert ids(products, {"match": {"title": {"query": "bottel", "fuzziness": 2}}}) == ["P05"]
    # AUTO allows no edit for words under 3 letters, one for 3–5, two from 6 on.
    assert ids(products, {"match": {"title": {"query": "mut", "fuzziness": "AUTO"}}}) == ["P07"]


def test_exact_match_outscores_a_fuzzy_one(products):
    hits = ids(products, {"match": {"description": {"query": "road", "fuzziness": "AUTO"}}})
    assert hits[0] == "P04"


def test_match_phrase_needs_the_words_in_order(products):
    assert set(ids(products, {"match_phrase": {"title": "running shoes"}})) == {"P03", "P04"}
    assert ids(products, {"match_phrase": {"title": "shoes running"}}) == []
    assert ids(products, {"match_phrase": {"title": {"query": "trail shoes", "slop": 1}}}) == ["P03"]


def test_match_phrase_prefix_completes_the_last_word(products):
    assert ids(products, {"match_phrase_prefix": {"title": "water bot"}}) == ["P05"]
    assert set(ids(products, {"match_phrase_prefix": {"title": "run"}})) == {"P03", "P04"}


def test_multi_match_best_fields_uses_field_boosts(products):
    # "Trail" is in P03's title and in Trail Co's brand: the title boost decides.
    hits = ids(products, {"multi_match": {"query": "trail", "fields": ["title^3", "brand"]}})
    assert hits[0] == "P03"
    brand_first = ids(products, {"multi_match": {"query": "trail", "fields": ["title", "brand^5"]}})
    assert set(brand_first[:2]) == {"P01", "P06"}


def test_multi_match_fuzzy_across_fields(products):
    hits = ids(
        products,
        {"multi_match": {"query": "insulatd bagg", "fields": ["title", "description"], "fuzziness": "AUTO"}},
    )
    assert hits[0] == "P06"


def test_multi_match_phrase_types(products):
    assert ids(
        products,
        {"multi_match": {"query": "road running", "type": "phrase", "fields": ["title", "description"]}},
    ) == ["P04"]
    assert ids(
        products, {"multi_match": {"query": "stainless st", "type": "phrase_prefix", "fields": ["title"]}}
    ) == ["P05"]
    most = ids(
        products,
        {"multi_match": {"query": "tent", "type": "most_fields", "fields": ["title", "description"]}},
    )
    assert set(most) == {"P01", "P02"}


def test_multi_match_wildcard_fields(products):
    assert set(ids(products, {"multi_match": {"query": "swift", "fields": ["bra*"]}})) == {"P03", "P04"}
    assert set(ids(products, {"multi_match": {"query": "cold"}})) == {"P05"}


def test_fuzzy_query_is_not_analysed(products):
    assert set(ids(products, {"fuzzy": {"title": {"value": "tnet"}}})) == {"P01", "P02"}
    assert ids(products, {"fuzzy": {"title": {"value": "TNET"}}}) == []
    assert set(ids(products, {"fuzzy": {"brand.keyword": {"value": "Swfit", "fuzziness": 2}}})) == {
        "P03",
        "P04",
    }


def test_term_and_terms_on_keyword_numeric_and_ids(products):
    assert ids(products, {"term": {"title.keyword": "Yoga Mat"}}) == ["P07"]
    assert ids(products, {"term": {"title.keyword": "yoga mat"}}) == []
    assert ids(products, {"term": {"title": "yoga"}}) == ["P07"]
    assert ids(products, {"term": {"price": {"value": 25}}}) == ["P05"]
    assert ids(products, {"term": {"popularity": 60}}) == ["P07"]
    assert set(ids(products, {"terms": {"category": ["Fitness", "Hydration"]}})) == {"P05", "P07"}
    assert set(ids(products, {"ids": {"values": ["P01", "P07", "nope"]}})) == {"P01", "P07"}


def test_range_on_numbers(products):
    assert set(ids(products, {"range": {"price": {"gte": 120, "lt": 150}}})) == {"P02", "P06"}
    assert set(ids(products, {"range": {"popularity": {"gt": 70}}})) == {"P03", "P05"}


def test_bool_must_filter_should_must_not(products):
    query = {
        "bool": {
            "must": [{"match": {"description": "tent"}}],
            "filter": [{"term": {"category": "Camping"}}, {"range": {"price": {"lte": 160}}}],
            "must_not": {"term": {"brand.keyword": "Trail Co"}},
        }
    }
    assert ids(products, query) == ["P02"]
    only_filters = products.search(
        index="items", body={"query": {"bool": {"filter": {"term": {"category": "Camping"}}}}}
    )
    assert {hit["_score"] for hit in only_filters["hits"]["hits"]} == {0.0}
    assert len(ids(products, {"bool": {"must_not": {"term": {"category": "Camping"}}}})) == len(PRODUCTS) - 3


def test_bool_should_and_minimum_should_match(products):
    should = [{"match": {"title": "trail"}}, {"match": {"title": "shoes"}}, {"match": {"title": "tent"}}]
    assert set(ids(products, {"bool": {"should": should}})) == {"P01", "P02", "P03", "P04"}
    assert ids(products, {"bool": {"should": should, "minimum_should_match": 2}}) == ["P03"]
    assert ids(products, {"bool": {"should": should, "minimum_should_match": "100%"}}) == []
    with_must = {"bool": {"must": {"term": {"category": "Footwear"}}, "should": should}}
    assert set(ids(products, with_must)) == {"P03", "P04"}


def test_dis_max_takes_the_best_clause_plus_tie_breaker(products):
    clauses = [{"match": {"title": "tent"}}, {"match": {"description": "tent"}}]
    best = products.search(index="items", body={"query": {"dis_max": {"queries": clauses}}})["hits"]["hits"]
    summed = products.search(index="items", body={"query": {"bool": {"should": clauses}}})["hits"]["hits"]
    tied = products.search(
        index="items", body={"query": {"dis_max": {"queries": clauses, "tie_breaker": 1.0}}}
    )
    assert {hit["_id"] for hit in best} == {"P01", "P02"}
    assert best[0]["_score"] < summed[0]["_score"]
    assert tied["hits"]["hits"][0]["_score"] == pytest.approx(summed[0]["_score"])


def test_boost_changes_the_order(products):
    query = {
        "bool": {
            "should": [
                {"match": {"title": {"query": "tent", "boost": 1}}},
                {"term": {"brand.keyword": {"value": "Outdoor Max", "boost": 10}}},
            ]
        }
    }
    assert ids(products, query)[0] == "P02"


def test_size_and_from_page_through_results(products):
    everything = ids(products, {"match_all": {}}, size=100)
    assert ids(products, {"match_all": {}}, size=3) == everything[:3]
    assert ids(products, {"match_all": {}}, size=3, **{"from": 3}) == everything[3:6]
    counted = products.search(index="items", body={"query": {"match_all": {}}, "size": 0})
    assert counted["hits"]["total"]["value"] == len(PRODUCTS)
    assert counted["hits"]["hits"] == []
    assert products.search(index="items", params={"size": "2"})["hits"]["hits"].__len__() == 2


def test_source_filtering(products):
    def first_source(**body):
        response = products.search(index="items", body={"query": {"ids": {"values": ["P01"]}}, **body})
        return response["hits"]["hits"][0].get("_source")

    assert first_source(_source=["title", "price"]) == {"title": PRODUCTS["P01"]["title"], "price": 199.0}
    assert first_source(_source=False) is None
    assert set(first_source(_source={"excludes": ["desc*", "feature"]})) == set(PRODUCTS["P01"]) - {
        "description",
        "feature",
    }
    assert first_source(_source="asin") == {}


def test_count_endpoint(products):
    assert products.count(index="items")["count"] == len(PRODUCTS)
    assert products.count(index="items", body={"query": {"term": {"category": "Camping"}}})["count"] == 3


def test_unmapped_field_matches_nothing(products):
    assert ids(products, {"match": {"colour": "red"}}) == []


def test_field_with_index_false_cannot_be_searched(products):
    with pytest.raises(RequestError) as raised:
        products.search(index="items", body={"query": {"term": {"imUrl": "x"}}})
    assert (
        raised.value.error == "search_phase_execution_exception"
    )  # the shard's failure, as OpenSearch wraps it
    (cause,) = raised.value.info["error"]["root_cause"]
    assert cause["type"] == "query_shard_exception" and "not indexed" in cause["reason"]


@pytest.mark.parametrize(
    ("body", "named"),
    [
        ({"query": {"wildcard": {"title": "te*"}}}, "wildcard"),
        ({"query": {"function_score": {}}}, "function_score"),
        ({"query": {"match_all": {}}, "aggs": {"brands": {"terms": {"field": "brand.keyword"}}}}, "aggs"),
        ({"query": {"match_all": {}}, "sort": [{"price": "asc"}, {"popularity": "desc"}]}, "sort"),
        ({"query": {"match_all": {}}, "sort": [{"price": {"order": "asc", "missing": "_first"}}]}, "missing"),
        ({"query": {"multi_match": {"query": "tent", "type": "cross_fields"}}}, "cross_fields"),
    ],
)
def test_unsupported_features_are_refused_by_name(products, body, named):
    with pytest.raises(RequestError) as raised:
        products.search(index="items", body=body)
    assert named in raised.value.info["error"]["reason"]
    assert "not supported" in raised.value.info["error"]["reason"]


@pytest.mark.parametrize(
    "query",
    [
        {"nonsense": {}},
        {"match": {"title": {"query": "tent", "colour": "red"}}},
        {"match": {"title": "a", "brand": "b"}},
        {"bool": {"must": [{"match_all": {}}], "shoud": []}},
        {"match": {"title": {"query": "tent", "fuzziness": "lots"}}},
        {"multi_match": {"query": "tent", "type": "phrase", "fuzziness": "AUTO"}},
    ],
)
def test_malformed_queries_are_parsing_exceptions(products, query):
    with pytest.raises(RequestError) as raised:
        products.search(index="items", body={"query": query})
    assert raised.value.error == "parsing_exception"


def test_result_window_is_limited(products):
    with pytest.raises(RequestError) as raised:
        products.search(index="items", body={"from": 9_995, "size": 10})
    assert "Result window is too large" in raised.value.info["error"]["root_cause"][0]["reason"]


def test_sort_by_score_is_accepted(products):
    assert ids(products, {"match": {"title": "tent"}}, sort=["_score"]) == ids(
        products, {"match": {"title": "tent"}}
    )


def test_fuzzy_matching_keeps_the_first_letter_and_honours_prefix_length(products):
    # Documented deviation: the first letter must be right (OpenSearch's prefix_length 0 allows it).
    assert ids(products, {"match": {"title": {"query": "xent", "fuzziness": 1}}}) == []
    assert set(ids(products, {"fuzzy": {"title": {"value": "tenp", "prefix_length": 3}}})) == {"P01", "P02"}
    assert ids(products, {"fuzzy": {"title": {"value": "tnet", "prefix_length": 2}}}) == []
    assert (
        ids(products, {"match": {"title": {"query": "tnet", "fuzziness": 1, "fuzzy_transpositions": False}}})
        == []
    )


def test_hits_carry_versions_when_asked(products):
    hit = products.search(index="items", body={"query": {"ids": {"values": ["P01"]}}, "version": True})[
        "hits"
    ]["hits"][0]
    assert hit["_version"] == 1
    hit = products.search(
        index="items", body={"query": {"ids": {"values": ["P01"]}}, "seq_no_primary_term": True}
    )["hits"]["hits"][0]
    assert hit["_primary_term"] == 1
    assert hit["_seq_no"] >= 0


def test_dates_and_keyword_prefixes(client):
    client.indices.create(
        index="orders",
        body={"mappings": {"properties": {"sku": {"type": "keyword"}, "placed": {"type": "date"}}}},
    )
    orders = [
        ("1", "AB-100", "2024-01-05T10:00:00Z"),
        ("2", "AB-200", "2024-02-01"),
        ("3", "CD-300", 1709251200000),
    ]
    for order_id, sku, placed in orders:
        client.index(index="orders", id=order_id, body={"sku": sku, "placed": placed})
    client.indices.refresh(index="orders")

    def found(query):
        return sorted(
            hit["_id"] for hit in client.search(index="orders", body={"query": query})["hits"]["hits"]
        )

    with pytest.raises(RequestError, match="range query on keyword field"):
        found({"range": {"sku": {"gte": "AB-150", "lt": "CD"}}})
    assert found({"prefix": {"sku": "AB-"}}) == ["1", "2"]
    assert found({"range": {"placed": {"gte": "2024-01-31", "lte": "2024-03-01T00:00:00Z"}}}) == ["2", "3"]
    assert found({"term": {"placed": "2024-02-01T00:00:00Z"}}) == ["2"]
    with pytest.raises(RequestError):
        client.index(index="orders", id="4", body={"sku": "X", "placed": "last tuesday"})


@pytest.mark.parametrize(
    "body", [{"size": -1}, {"size": "many"}, {"from": -5}, {"_source": 42}, ["not", "an", "object"]]
)
def test_bad_paging_and_source_values_are_refused(products, body):
    with pytest.raises(RequestError):
        products.search(index="items", body=body)


def test_max_expansions_limits_the_terms_a_fuzzy_word_stands_for(products):
    # "trils" is one edit from "trips" (P01) and from "trails" (P03).
    wide = ids(products, {"fuzzy": {"description": {"value": "trils", "fuzziness": 1}}})
    narrow = ids(
        products, {"fuzzy": {"description": {"value": "trils", "fuzziness": 1, "max_expansions": 1}}}
    )
    assert set(wide) == {"P01", "P03"}
    assert len(narrow) == 1


def test_zero_terms_query_all_matches_everything_for_a_query_of_no_words(products):
    for query_name in ("match", "match_phrase"):
        query = {query_name: {"title": {"query": "!!", "zero_terms_query": "all"}}}
        assert len(ids(products, query, size=100)) == len(PRODUCTS)
        assert ids(products, {query_name: {"title": "!!"}}) == []


def test_case_insensitive_term_is_refused_by_name(products):
    with pytest.raises(RequestError, match="case_insensitive"):
        products.search(
            index="items",
            body={"query": {"term": {"category": {"value": "camping", "case_insensitive": True}}}},
        )


def test_fuzzy_match_on_a_keyword_too_long_to_expand_still_matches_exactly(client):
    long_value = "x" * 80
    client.index(index="codes", id="1", body={"code": long_value}, refresh=True)
    query = {"match": {"code.keyword": {"query": long_value, "fuzziness": "AUTO"}}}
    assert client.count(index="codes", body={"query": query})["count"] == 1


def test_sort_by_a_numeric_field(products):
    by_price = products.search(
        index="items", body={"query": {"match_all": {}}, "sort": [{"price": "asc"}], "size": 3}
    )
    hits = by_price["hits"]["hits"]
    assert [hit["_id"] for hit in hits] == ["P05", "P07", "P03"]
    assert [hit["sort"] for hit in hits] == [[25.0], [30.0], [89.0]]
    assert {hit["_score"] for hit in hits} == {None}
    assert by_price["hits"]["max_score"] is None
    by_popularity = ids(
        products, {"term": {"category": "Camping"}}, sort=[{"popularity": {"order": "desc"}}, "_score"]
    )
    assert by_popularity == ["P01", "P02", "P06"]


def test_sort_puts_documents_without_the_field_last_and_dates_as_epoch_millis(client):
    client.indices.create(index="events", body={"mappings": {"properties": {"at": {"type": "date"}}}})
    for event_id, at in (("1", "2024-03-01T00:00:00Z"), ("2", None), ("3", "2024-01-01T00:00:00Z")):
        client.index(index="events", id=event_id, body={"at": at} if at else {"note": "no date"})
    client.indices.refresh(index="events")
    for order, expected in (("asc", ["3", "1", "2"]), ("desc", ["1", "3", "2"])):
        hits = client.search(index="events", body={"sort": {"at": order}})["hits"]["hits"]
        assert [hit["_id"] for hit in hits] == expected
    hits = client.search(index="events", body={"sort": "at"})["hits"]["hits"]
    assert hits[0]["sort"] == [1704067200000]


def test_sort_on_a_text_or_unknown_field_is_refused(products):
    for field in ("title", "title.keyword", "nope"):
        with pytest.raises(RequestError) as raised:
            products.search(index="items", body={"sort": [field]})
        assert raised.value.error == "search_phase_execution_exception"
        assert raised.value.info["error"]["root_cause"][0]["type"] == "query_shard_exception"


def test_pages_of_tied_hits_neither_overlap_nor_skip(client):
    """Equal scores are ordered as written (Lucene breaks ties by document number) across pages too:
    tantivy picks which tied hits fill a page by its segments, so the order has to be settled over
    the whole tie at a page's edges, not within the page (an overlap showed "Showing 47 of 85")."""

    def write(numbers):
        documents = [
            {"_index": "items", "_id": f"T{n:02}", "_source": {"title": "Pocket knife"}} for n in numbers
        ]
        helpers.bulk(client, documents)
        client.indices.refresh(index="items")

    client.indices.create(index="items", body=INDEX_MAPPING)
    for batch in range(6):  # a segment per refresh; rewrites move documents to a newer one
        write(range(batch, 40, 6))
    write([3, 17])
    written = [f"T{n:02}" for batch in range(6) for n in range(batch, 40, 6) if n not in (3, 17)]
    written += ["T03", "T17"]
    query = {"match": {"title": "pocket"}}
    assert ids(client, query, size=100) == written
    for size in (1, 5, 7, 24):
        pages = [ids(client, query, size=size, **{"from": start}) for start in range(0, 40, size)]
        assert [hit for page in pages for hit in page] == written, f"pages of {size}"
    unpriced = {"sort": [{"price": "asc"}]}  # none has a price: one tie on the sort value
    assert ids(client, {"match_all": {}}, size=9, **{"from": 9}, **unpriced) == written[9:18]
