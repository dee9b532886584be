"""GET /items?category=&limit=&nextToken=."""

import base64
import json

import pytest

from tests.unit.api.conftest import (
    CAMPING,
    CATALOGUE,
    ITEMS_TABLE,
    api_event,
    assert_cors,
    assert_error,
    create_items_table,
    invoke,
    make_item,
)

ENVIRONMENT = {"ITEMS_TABLE": ITEMS_TABLE, "CATEGORY_INDEX": "category-index"}


def list_items(handler, **query: str):
    return invoke(handler, api_event("/items", query=query))


def walk(handler, **query: str) -> list[list[str]]:
    """Follow nextToken to the end; the asins of each page."""
    pages = []
    while True:
        response = list_items(handler, **query)
        assert response.status == 200, response.body
        pages.append([item["asin"] for item in response.body["results"]])
        if "nextToken" not in response.body:
            return pages
        query["nextToken"] = response.body["nextToken"]


def by_popularity(items):
    return [item["asin"] for item in sorted(items, key=lambda item: -item["popularity"])]


def test_category_pages_cover_the_category_most_popular_first(items_table, load):
    handler = load("list_items", **ENVIRONMENT)
    pages = walk(handler, category=CAMPING, limit="4")
    assert [len(page) for page in pages][:2] == [4, 2]
    camping = [item for item in CATALOGUE if item["category"] == CAMPING]
    assert [asin for page in pages for asin in page] == by_popularity(camping)


def test_first_category_page_says_how_many_items_the_category_has(items_table, load):
    handler = load("list_items", **ENVIRONMENT)
    first = list_items(handler, category=CAMPING, limit="4")
    second = list_items(handler, category=CAMPING, limit="4", nextToken=first.body["nextToken"])
    assert first.body["total"] == len([item for item in CATALOGUE if item["category"] == CAMPING])
    assert "total" not in second.body
    assert "total" not in list_items(handler, limit="4").body
    assert list_items(handler, category="Nothing here").body == {"results": [], "total": 0}


def test_without_category_all_items_most_popular_first(items_table, load):
    handler = load("list_items", **ENVIRONMENT)
    pages = walk(handler, limit="5")
    assert [asin for page in pages for asin in page] == by_popularity(CATALOGUE)


def test_default_limit_is_25(aws, load):
    create_items_table([make_item(n, CAMPING, n) for n in range(1, 31)], "thirty-items")
    response = list_items(
        load("list_items", **{**ENVIRONMENT, "ITEMS_TABLE": "thirty-items"}), category=CAMPING
    )
    assert len(response.body["results"]) == 25
    assert "nextToken" in response.body
    assert_cors(response)


def test_unknown_category_is_an_empty_page(items_table, load):
    response = list_items(load("list_items", **ENVIRONMENT), category="Nothing")
    assert response.status == 200
    assert response.body == {"results": [], "total": 0}


@pytest.mark.parametrize("limit", ["0", "101", "-1", "ten", "2.5", "1e2", " "])
def test_bad_limit_is_400(aws, load, limit):
    assert_error(list_items(load("list_items", **ENVIRONMENT), limit=limit), 400, "limit")


def token(key: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(key).encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "next_token",
    [
        "not base64 !!",
        token(["a", "list"]),
        token({"asin": "B1"}),  # key attributes missing
        token({"asin": "B1", "category": "Cycling", "popularity": "3"}),  # another category's key
        token({"asin": "B1", "category": CAMPING, "popularity": "many"}),
        token({"asin": "B1", "category": CAMPING, "popularity": "NaN"}),
        token({"asin": 1, "category": CAMPING, "popularity": "3"}),
        "A" * 5000,
    ],
)
def test_bad_next_token_is_400(aws, load, next_token):
    response = list_items(load("list_items", **ENVIRONMENT), category=CAMPING, nextToken=next_token)
    assert_error(response, 400, "nextToken is not valid")


def test_category_token_is_rejected_without_category(items_table, load):
    handler = load("list_items", **ENVIRONMENT)
    first = list_items(handler, category=CAMPING, limit="2")
    response = list_items(handler, nextToken=first.body["nextToken"])
    assert_error(response, 400, "nextToken is not valid")


def test_over_long_category_is_400(items_table, load):
    assert_error(
        list_items(load("list_items", **ENVIRONMENT), category="c" * 300), 400, "category", "too long"
    )


@pytest.mark.outside_the_role("a misconfigured index, which the role does not name either")
def test_missing_index_is_502(items_table, load):
    handler = load("list_items", ITEMS_TABLE=ITEMS_TABLE, CATEGORY_INDEX="no-such-index")
    assert_error(list_items(handler, category=CAMPING), 502, "Query")


def test_blank_category_means_all_items(items_table, load):
    response = list_items(load("list_items", **ENVIRONMENT), category="  ", limit="3")
    assert [item["asin"] for item in response.body["results"]] == by_popularity(CATALOGUE)[:3]


# Camping items with a brand each; item 4 has no price. Popularity falls with the number.
BRANDED = [
    make_item(n, CAMPING, 100 - n, brand=brand)
    for n, brand in [(1, "Peakline"), (2, "Groundwork"), (3, "Peakline"), (5, "Swiftfoot"), (6, "Peakline")]
] + [{**make_item(4, CAMPING, 96, brand="Peakline"), "price": None}]


@pytest.fixture(scope="module")
def branded_table(aws):
    return create_items_table(
        [{k: v for k, v in item.items() if v is not None} for item in BRANDED], "branded-items"
    )


@pytest.fixture
def branded(branded_table, load):
    return load("list_items", **{**ENVIRONMENT, "ITEMS_TABLE": "branded-items"})


def test_category_filtered_by_brand_and_price_sorted_by_price(branded):
    response = list_items(branded, category=CAMPING, brand="Peakline", minPrice="2", sort="price-desc")
    assert response.status == 200, response.body
    assert [item["asin"] for item in response.body["results"]] == [f"B{n:09d}" for n in (6, 3)]
    assert response.body["total"] == 2
    cheapest_first = list_items(branded, category=CAMPING, sort="price-asc", limit="3")
    assert [item["asin"][-1] for item in cheapest_first.body["results"]] == ["1", "2", "3"]
    assert cheapest_first.body["total"] == 6 and "nextToken" not in cheapest_first.body
    rest = list_items(branded, category=CAMPING, sort="price-asc", limit="3", **{"from": "3"})
    assert [item["asin"][-1] for item in rest.body["results"]] == ["5", "6", "4"]  # no price: last


def test_category_brands_are_any_of_and_default_order_is_popularity(branded):
    response = invoke(
        branded, api_event("/items", query={"category": CAMPING, "brand": ["Swiftfoot", "Groundwork"]})
    )
    assert [item["asin"][-1] for item in response.body["results"]] == ["2", "5"]
    assert list_items(branded, category=CAMPING, maxPrice="2").body["total"] == 1


@pytest.mark.parametrize(
    ("query", "named"),
    [
        ({"category": CAMPING, "sort": "relevance"}, "sort must be one of popularity, price-asc, price-desc"),
        ({"category": CAMPING, "minPrice": "cheap"}, "minPrice must be a non-negative number"),
        ({"category": CAMPING, "minPrice": "5", "maxPrice": "1"}, "must not be more than maxPrice"),
        ({"brand": "Peakline"}, "need a category"),
        ({"category": CAMPING, "sort": "price-asc", "nextToken": "x"}, "nextToken cannot be combined"),
        ({"category": CAMPING, "sort": "price-asc", "from": "-1"}, "from must be an integer"),
    ],
)
def test_bad_category_refinement_is_400_naming_the_parameter(branded, query, named):
    assert_error(list_items(branded, **query), 400, named)
