"""GET /search?q=&u=&limit=."""

from collections.abc import Iterator

import pytest

from tests.unit.api.conftest import (
    ITEMS_TABLE,
    api_event,
    asin,
    assert_cors,
    assert_error,
    invoke,
    wiring_parameter,
)
from tests.unit.api.search_double import SearchDouble, SearchDoubleServer

CAMPAIGN = "arn:aws:personalize:us-east-1:123456789012:campaign/personalized-ranking"


@pytest.fixture
def search_double() -> Iterator[tuple[SearchDouble, str]]:
    double = SearchDouble()
    server = SearchDoubleServer(double)
    yield double, server.endpoint
    server.close()


@pytest.fixture
def environment(aws, search_double) -> dict[str, str]:
    _, endpoint = search_double
    return {
        "ITEMS_TABLE": ITEMS_TABLE,
        "SEARCH_ENDPOINT": endpoint,
        "SEARCH_INDEX": "items",
        "WIRING_PARAMETER": wiring_parameter(campaignArn=""),
        "MAX_PROMOTED_RESULTS": "2",
    }


def search(handler, **query: str):
    return invoke(handler, api_event("/search", query=query))


def asins(response) -> list[str]:
    return [item["asin"] for item in response.body["results"]]


def test_sends_fuzzy_multi_field_query_with_boosted_title_phrase(
    items_table, load, environment, search_double
):
    double, _ = search_double
    double.hits = [asin(5), asin(2)]
    response = search(load("search", **environment), q="  trail tent ", limit="10")
    assert response.status == 200
    [request] = double.requests
    assert request.path.split("?")[0] == "/items/_search"
    assert request.body == {
        "from": 0,
        "size": 10,
        "_source": ["asin"],
        "query": {
            "bool": {
                "should": [
                    {
                        "multi_match": {
                            "query": "trail tent",
                            "fields": ["title^3", "brand^2", "category", "description", "feature"],
                            "fuzziness": "AUTO",
                        }
                    },
                    {"match_phrase": {"title": {"query": "trail tent", "boost": 5}}},
                ],
                "minimum_should_match": 1,
            }
        },
    }
    assert_cors(response)


def test_hits_are_hydrated_from_dynamodb_in_search_order(items_table, load, environment, search_double):
    double, _ = search_double
    double.hits = [asin(9), "DELETED", asin(1), asin(4)]
    response = search(load("search", **environment), q="thing")
    assert asins(response) == [asin(9), asin(1), asin(4)]
    assert response.body["results"][0]["title"] == "Camping thing 9"
    assert response.body["results"][0]["price"] == 9.99
    assert not any("Promoted" in item for item in response.body["results"])
    assert "warning" not in response.body
    assert double.requests[0].body["size"] == 25


def test_index_name_comes_from_the_environment(items_table, load, environment, search_double):
    double, _ = search_double
    search(load("search", **{**environment, "SEARCH_INDEX": "products"}), q="x")
    assert double.requests[0].path.startswith("/products/_search")


def test_user_ranking_promotes_top_results_rest_in_search_order(
    items_table, load, environment, search_double, stub_personalize
):
    double, _ = search_double
    double.hits = [asin(1), asin(2), asin(3), asin(4), asin(5)]
    handler = load("search", **{**environment, "WIRING_PARAMETER": wiring_parameter(campaignArn=CAMPAIGN)})
    ranking = [asin(4), asin(2), asin(5), asin(1), asin(3)]
    stub_personalize(handler).add_response(
        "get_personalized_ranking",
        {"personalizedRanking": [{"itemId": item, "score": 0.1} for item in ranking]},
        {"campaignArn": CAMPAIGN, "userId": "u7", "inputList": double.hits},
    )
    response = search(handler, q="thing", u="u7")
    assert asins(response) == [asin(4), asin(2), asin(1), asin(3), asin(5)]
    assert [item.get("Promoted", False) for item in response.body["results"]] == [
        True,
        True,
        False,
        False,
        False,
    ]
    assert "warning" not in response.body


def test_user_without_campaign_keeps_search_order_and_warns(items_table, load, environment, search_double):
    double, _ = search_double
    double.hits = [asin(3), asin(1)]
    response = search(load("search", **environment), q="thing", u="u7")
    assert asins(response) == [asin(3), asin(1)]
    assert "Personalized ranking is not yet configured" in response.body["warning"]
    assert "search-ranking wiring parameter" in response.body["warning"]


def test_ranking_failure_keeps_search_order_and_warns(
    items_table, load, environment, search_double, stub_personalize
):
    double, _ = search_double
    double.hits = [asin(3), asin(1)]
    handler = load("search", **{**environment, "WIRING_PARAMETER": wiring_parameter(campaignArn=CAMPAIGN)})
    stub_personalize(handler).add_client_error(
        "get_personalized_ranking", service_error_code="InvalidInputException", http_status_code=400
    )
    response = search(handler, q="thing", u="u7")
    assert response.status == 200
    assert asins(response) == [asin(3), asin(1)]
    assert "(InvalidInputException)" in response.body["warning"]


def test_no_hits_is_an_empty_list_and_no_ranking_call(
    items_table, load, environment, search_double, stub_personalize
):
    handler = load("search", **{**environment, "WIRING_PARAMETER": wiring_parameter(campaignArn=CAMPAIGN)})
    stub_personalize(handler)
    response = search(handler, q="nothing matches", u="u7")
    assert response.status == 200
    assert response.body == {"results": [], "total": 0}


def test_pages_through_every_hit_with_from_and_total(items_table, load, environment, search_double):
    double, _ = search_double
    double.hits = [asin(number) for number in range(1, 12)]
    handler = load("search", **environment)
    first = search(handler, q="thing", limit="4")
    last = search(handler, q="thing", limit="4", **{"from": "8"})
    assert (asins(first), first.body["total"]) == ([asin(1), asin(2), asin(3), asin(4)], 11)
    assert (asins(last), last.body["total"]) == ([asin(9), asin(10), asin(11)], 11)
    assert [request.body["from"] for request in double.requests] == [0, 8]


def test_only_the_first_page_is_re_ranked(items_table, load, environment, search_double, stub_personalize):
    double, _ = search_double
    double.hits = [asin(1), asin(2), asin(3), asin(4)]
    handler = load("search", **{**environment, "WIRING_PARAMETER": wiring_parameter(campaignArn=CAMPAIGN)})
    stub_personalize(handler)  # no ranking call expected for a later page
    response = search(handler, q="thing", u="u7", limit="2", **{"from": "2"})
    assert asins(response) == [asin(3), asin(4)]
    assert not any("Promoted" in item for item in response.body["results"])


def test_ranked_results_name_the_campaign_that_ranked_them(
    items_table, load, environment, search_double, stub_personalize
):
    double, _ = search_double
    double.hits = [asin(1), asin(2)]
    handler = load("search", **{**environment, "WIRING_PARAMETER": wiring_parameter(campaignArn=CAMPAIGN)})
    stub_personalize(handler).add_response(
        "get_personalized_ranking",
        {"personalizedRanking": [{"itemId": asin(2)}, {"itemId": asin(1)}]},
        {"campaignArn": CAMPAIGN, "userId": "u7", "inputList": double.hits},
    )
    response = search(handler, q="thing", u="u7")
    assert response.body["source"] == {"campaign": CAMPAIGN.rsplit("/", 1)[-1]}


@pytest.mark.parametrize(
    ("query", "fragments"),
    [
        ({}, ["q is required"]),
        ({"q": "   "}, ["q is required"]),
        ({"q": "t" * 300}, ["q is too long"]),
        ({"q": "tent", "limit": "0"}, ["limit"]),
        ({"q": "tent", "u": "u" * 300}, ["u is too long"]),
        ({"q": "tent", "from": "-1"}, ["from must be an integer"]),
        ({"q": "tent", "from": "9990", "limit": "25"}, ["from must be an integer from 0 to 9975"]),
    ],
)
def test_bad_input_is_400_and_never_reaches_search(aws, load, environment, search_double, query, fragments):
    double, _ = search_double
    assert_error(search(load("search", **environment), **query), 400, *fragments)
    assert double.requests == []


@pytest.mark.parametrize(
    ("status", "error_type", "expected_status", "fragment"),
    [
        (503, "unavailable", 503, "busy"),
        (429, "too_many_requests", 503, "busy"),
        (404, "index_not_found_exception", 503, "index does not exist"),
        (500, "search_phase_execution_exception", 502, "search_phase_execution_exception"),
    ],
)
def test_search_errors_are_502_or_503(
    items_table, load, environment, search_double, status, error_type, expected_status, fragment
):
    double, _ = search_double
    double.error_status, double.error_type = status, error_type
    assert_error(search(load("search", **environment), q="tent"), expected_status, fragment)


def test_unreachable_search_is_503(items_table, load, environment):
    environment = {**environment, "SEARCH_ENDPOINT": "http://127.0.0.1:9"}
    assert_error(search(load("search", **environment), q="tent"), 503, "could not be reached")


def test_missing_search_endpoint_is_500_that_names_the_setting(items_table, load, environment):
    environment = {**environment, "SEARCH_ENDPOINT": ""}
    assert_error(search(load("search", **environment), q="tent"), 500, "misconfigured", "SEARCH_ENDPOINT")


def test_unexpected_error_is_a_500_without_details(items_table, load, environment, search_double):
    double, _ = search_double
    double.hits = [asin(1)]
    environment = {**environment, "MAX_PROMOTED_RESULTS": "five"}
    response = search(load("search", **environment), q="thing", u="u1")
    assert_error(response, 500, "Internal error")
    assert "five" not in response.body["message"]


def test_a_misspelt_word_is_named_as_corrected(items_table, load, environment, search_double):
    double, _ = search_double
    double.hits = [asin(3), asin(1)]
    handler = load("search", **environment)
    assert search(handler, q="camping thnig").body["correctedQuery"] == "camping thing"
    assert "correctedQuery" not in search(handler, q="camping thing").body
    assert "correctedQuery" not in search(handler, q="xyzzy").body  # nothing close in the titles


def test_brand_price_and_sort_become_filter_clauses_and_sort(items_table, load, environment, search_double):
    double, _ = search_double
    double.hits = [asin(2)]
    handler = load("search", **environment)
    query = {
        "q": "tent",
        "brand": ["Peakline", "Groundwork"],
        "minPrice": "10",
        "maxPrice": "99.5",
        "sort": "price-desc",
    }
    assert invoke(handler, api_event("/search", query=query)).status == 200
    body = double.requests[-1].body
    assert body["query"]["bool"]["filter"] == [
        {"terms": {"brand.keyword": ["Peakline", "Groundwork"]}},
        {"range": {"price": {"gte": 10.0, "lte": 99.5}}},
    ]
    assert body["sort"] == [{"price": {"order": "desc"}}, "_score"]
    search(handler, q="tent", sort="relevance", maxPrice="5")
    body = double.requests[-1].body
    assert "sort" not in body and body["query"]["bool"]["filter"] == [{"range": {"price": {"lte": 5.0}}}]


@pytest.mark.parametrize(
    ("query", "named"),
    [
        ({"sort": "cheapest"}, "sort must be one of relevance, popularity, price-asc, price-desc"),
        ({"minPrice": "ten"}, "minPrice must be a non-negative number"),
        ({"maxPrice": "-1"}, "maxPrice must be a non-negative number"),
        ({"maxPrice": "nan"}, "maxPrice must be a non-negative number"),
        ({"minPrice": "20", "maxPrice": "10"}, "minPrice (20) must not be more than maxPrice (10)"),
        ({"brand": "b" * 300}, "brand is too long"),
    ],
)
def test_bad_refinement_is_400_naming_the_parameter(aws, load, environment, search_double, query, named):
    double, _ = search_double
    assert_error(search(load("search", **environment), q="tent", **query), 400, named)
    assert double.requests == []
