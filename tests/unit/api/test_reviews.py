"""An item's newest reviews: GET /items/{id} returns them; lists (browse, recommendations) never do."""

from decimal import Decimal

import pytest
from allstore_common.items import ItemStore

from tests.unit.api.conftest import (
    CAMPING,
    api_event,
    asin,
    create_items_table,
    invoke,
    make_item,
    wiring_parameter,
)

TABLE = "reviewed-items"
CAMPAIGN = "arn:aws:personalize:us-east-1:123456789012:campaign/user-personalization"
REVIEWS = [
    {"name": "Maya P.", "stars": 5, "headline": "Love it", "text": "Sturdy without being heavy.", "date": "2023-11-02"},
    {"stars": Decimal("3.5"), "headline": "Mixed feelings", "date": "2023-06-30"},
]  # fmt: skip
# Items 1-4 in one category; 1 and 3 have reviews, 2 and 4 have none.
ITEMS = [
    make_item(n, CAMPING, 100 - n, rating=Decimal("4.3"), ratingCount=7, **({"reviews": REVIEWS} if n % 2 else {}))
    for n in range(1, 5)
]  # fmt: skip


@pytest.fixture(scope="module")
def reviewed_table(aws):
    return create_items_table(ITEMS, name=TABLE)


def get_item(handler, number: int):
    return invoke(
        handler,
        api_event(f"/items/{asin(number)}", resource="/items/{id}", path_parameters={"id": asin(number)}),
    )


def test_the_product_page_item_has_its_reviews_newest_first(reviewed_table, load):
    handler = load("get_item", ITEMS_TABLE=TABLE)
    response = get_item(handler, 1)  # checked against docs/openapi.yaml's Review schema by `invoke`
    assert response.status == 200
    assert response.body["reviews"] == [
        {"name": "Maya P.", "stars": 5, "headline": "Love it", "text": "Sturdy without being heavy.",
         "date": "2023-11-02"},
        {"stars": 3.5, "headline": "Mixed feelings", "date": "2023-06-30"},
    ]  # fmt: skip
    assert (response.body["rating"], response.body["ratingCount"]) == (4.3, 7)
    assert "reviews" not in get_item(handler, 2).body  # no reviews: no attribute, not an empty list


def test_browsing_lists_carry_no_reviews(reviewed_table, load):
    handler = load(
        "list_items", ITEMS_TABLE=TABLE, CATEGORY_INDEX="category-index", POPULAR_INDEX="popular-index"
    )
    for query in ({"category": CAMPING}, {}):
        response = invoke(handler, api_event("/items", query=query))
        assert [item["asin"] for item in response.body["results"]] == [asin(n) for n in range(1, 5)]
        assert not any("reviews" in item for item in response.body["results"]), query
        assert response.body["results"][0]["ratingCount"] == 7  # the card keeps its stars


def test_recommendation_lists_carry_no_reviews(reviewed_table, load, stub_personalize):
    popular = load(
        "get_recommendations", ITEMS_TABLE=TABLE, WIRING_PARAMETER=wiring_parameter(campaignArn=""),
        POPULAR_INDEX="popular-index",
    )  # fmt: skip
    results = invoke(popular, api_event("/recommendations")).body["results"]
    assert results and not any("reviews" in item for item in results)

    personal = load(
        "get_recommendations", ITEMS_TABLE=TABLE, WIRING_PARAMETER=wiring_parameter(campaignArn=CAMPAIGN),
        POPULAR_INDEX="popular-index",
    )  # fmt: skip
    stub_personalize(personal).add_response(
        "get_recommendations",
        {"itemList": [{"itemId": asin(3)}, {"itemId": asin(1)}]},
        {"campaignArn": CAMPAIGN, "userId": "u1", "numResults": 25},
    )
    event = api_event(
        "/recommendations/u1", resource="/recommendations/{userId}", path_parameters={"userId": "u1"}
    )
    results = invoke(personal, event).body["results"]
    assert [item["asin"] for item in results] == [asin(3), asin(1)]  # hydrated with BatchGetItem
    assert not any("reviews" in item for item in results)

    similar = load(
        "get_item_recommendations", ITEMS_TABLE=TABLE, WIRING_PARAMETER=wiring_parameter(campaignArn=""),
        CATEGORY_INDEX="category-index",
    )  # fmt: skip
    event = api_event(
        f"/recommendationsitem/{asin(2)}", resource="/recommendationsitem/{itemId}",
        path_parameters={"itemId": asin(2)},
    )  # fmt: skip
    results = invoke(similar, event).body["results"]
    assert [item["asin"] for item in results] == [asin(1), asin(3), asin(4)]
    assert not any("reviews" in item for item in results)


def test_the_item_store_keeps_reviews_for_get_alone(reviewed_table):
    store = ItemStore(TABLE)
    assert store.get(asin(1))["reviews"][0]["headline"] == "Love it"
    lists = [
        store.hydrate([asin(1), asin(3)]).items,
        store.popular_page(10).items,
        store.category_page(CAMPING, 10).items,
        store.popular(10),
        store.popular_in_category(CAMPING, 10),
        store.category_items(CAMPING),
    ]
    for items in lists:
        assert items and not any("reviews" in item for item in items)
