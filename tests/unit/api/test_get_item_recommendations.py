"""GET /recommendationsitem/{itemId}."""

import pytest

from tests.unit.api.conftest import (
    CAMPING,
    CATALOGUE,
    ITEMS_TABLE,
    api_event,
    asin,
    assert_cors,
    assert_error,
    emitted_metrics,
    invoke,
    wiring_parameter,
)

CAMPAIGN = "arn:aws:personalize:us-east-1:123456789012:campaign/sims"
CAMPING_POPULAR_FIRST = [
    item["asin"]
    for item in sorted(CATALOGUE, key=lambda item: -item["popularity"])
    if item["category"] == CAMPING
]


def similar_to(item_id: str, **query: str) -> dict:
    return api_event(
        f"/recommendationsitem/{item_id}",
        query=query,
        resource="/recommendationsitem/{itemId}",
        path_parameters={"itemId": item_id},
    )


def asins(response) -> list[str]:
    return [item["asin"] for item in response.body["results"]]


@pytest.fixture
def with_campaign(items_table, load):
    return load(
        "get_item_recommendations",
        ITEMS_TABLE=ITEMS_TABLE,
        WIRING_PARAMETER=wiring_parameter(campaignArn=CAMPAIGN),
    )


@pytest.fixture
def without_campaign(items_table, load):
    return load(
        "get_item_recommendations",
        ITEMS_TABLE=ITEMS_TABLE,
        WIRING_PARAMETER=wiring_parameter(campaignArn=""),
        CATEGORY_INDEX="category-index",
    )


def test_sims_items_in_order_without_the_item_itself(with_campaign, stub_personalize):
    stub_personalize(with_campaign).add_response(
        "get_recommendations",
        {"itemList": [{"itemId": asin(8)}, {"itemId": asin(3)}, {"itemId": asin(5)}]},
        {"campaignArn": CAMPAIGN, "itemId": asin(3), "numResults": 3},
    )
    response = invoke(with_campaign, similar_to(asin(3), limit="3"))
    assert response.status == 200
    assert asins(response) == [asin(8), asin(5)]
    assert "warning" not in response.body
    assert_cors(response)


def test_unknown_similar_ids_are_counted(with_campaign, stub_personalize):
    stub_personalize(with_campaign).add_response(
        "get_recommendations",
        {"itemList": [{"itemId": "GONE"}, {"itemId": asin(2)}]},
        {"campaignArn": CAMPAIGN, "itemId": asin(3), "numResults": 25},
    )
    response = invoke(with_campaign, similar_to(asin(3)))
    assert asins(response) == [asin(2)]
    assert response.body["warning"].startswith("1 recommended item(s)")


def test_without_campaign_most_popular_of_same_category_excluding_item(without_campaign, capsys):
    response = invoke(without_campaign, similar_to(CAMPING_POPULAR_FIRST[0], limit="3"))
    assert response.status == 200
    assert asins(response) == CAMPING_POPULAR_FIRST[1:4]
    assert "not yet configured" in response.body["warning"]
    assert "similar-items wiring parameter" in response.body["warning"]
    assert emitted_metrics(capsys.readouterr().out) == ["PersonalizeNotConfigured"]


def test_item_in_the_middle_of_its_category_is_left_out(without_campaign):
    middle = CAMPING_POPULAR_FIRST[2]
    response = invoke(without_campaign, similar_to(middle, limit="100"))
    assert asins(response) == [other for other in CAMPING_POPULAR_FIRST if other != middle]


def test_personalize_failure_falls_back_to_same_category(with_campaign, stub_personalize, capsys):
    stub_personalize(with_campaign).add_client_error(
        "get_recommendations", service_error_code="ThrottlingException", http_status_code=400
    )
    response = invoke(with_campaign, similar_to(CAMPING_POPULAR_FIRST[0], limit="2"))
    assert response.status == 200
    assert asins(response) == CAMPING_POPULAR_FIRST[1:3]
    assert "(ThrottlingException)" in response.body["warning"]
    assert "same category" in response.body["warning"]
    assert emitted_metrics(capsys.readouterr().out) == ["PersonalizeFailed"]


def test_unknown_item_is_404(with_campaign, stub_personalize):
    stub_personalize(with_campaign)  # Personalize is not asked about an item the store lacks
    assert_error(invoke(with_campaign, similar_to("NOPE")), 404, "NOPE", "not found")


def test_bad_input_is_400(without_campaign):
    assert_error(invoke(without_campaign, similar_to("x" * 257)), 400, "too long")
    assert_error(invoke(without_campaign, similar_to(asin(1), limit="500")), 400, "limit")
