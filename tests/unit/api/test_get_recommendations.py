"""GET /recommendations and GET /recommendations/{userId}."""

import pytest

from tests.unit.api.conftest import (
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

CAMPAIGN = "arn:aws:personalize:us-east-1:123456789012:campaign/user-personalization"
POPULAR_FIRST = [item["asin"] for item in sorted(CATALOGUE, key=lambda item: -item["popularity"])]


def for_user(user_id: str, **query: str) -> dict:
    return api_event(
        f"/recommendations/{user_id}",
        query=query,
        resource="/recommendations/{userId}",
        path_parameters={"userId": user_id},
    )


def anonymous(**query: str) -> dict:
    return api_event("/recommendations", query=query)


def asins(response) -> list[str]:
    return [item["asin"] for item in response.body["results"]]


@pytest.fixture
def with_campaign(items_table, load):
    return load(
        "get_recommendations",
        ITEMS_TABLE=ITEMS_TABLE,
        WIRING_PARAMETER=wiring_parameter(campaignArn=CAMPAIGN),
        POPULAR_INDEX="popular-index",
    )


@pytest.fixture
def without_campaign(items_table, load):
    return load(
        "get_recommendations",
        ITEMS_TABLE=ITEMS_TABLE,
        WIRING_PARAMETER=wiring_parameter(campaignArn=""),
        POPULAR_INDEX="popular-index",
    )


def test_user_gets_campaign_items_in_personalize_order(with_campaign, stub_personalize):
    ranked = [asin(7), asin(2), asin(11)]
    stub_personalize(with_campaign).add_response(
        "get_recommendations",
        {"itemList": [{"itemId": item, "score": 0.5} for item in ranked]},
        {"campaignArn": CAMPAIGN, "userId": "u1", "numResults": 3},
    )
    response = invoke(with_campaign, for_user("u1", limit="3"))
    assert response.status == 200
    assert asins(response) == ranked
    assert "warning" not in response.body
    assert response.body["source"] == {"campaign": "user-personalization"}
    assert response.body["results"][0]["title"] == "Camping thing 7"
    assert_cors(response)


def test_unknown_recommended_ids_are_counted_in_the_warning(with_campaign, stub_personalize):
    stub_personalize(with_campaign).add_response(
        "get_recommendations",
        {"itemList": [{"itemId": "GONE1"}, {"itemId": asin(4)}, {"itemId": "GONE2"}, {"itemId": asin(1)}]},
        {"campaignArn": CAMPAIGN, "userId": "u1", "numResults": 25},
    )
    response = invoke(with_campaign, for_user("u1"))
    assert asins(response) == [asin(4), asin(1)]
    assert response.body["warning"].startswith("2 recommended item(s) are not in the store's catalogue")


def test_anonymous_session_is_recommended_for_by_session_id(with_campaign, stub_personalize):
    stub_personalize(with_campaign).add_response(
        "get_recommendations",
        {"itemList": [{"itemId": asin(9)}]},
        {"campaignArn": CAMPAIGN, "userId": "session-42", "numResults": 5},
    )
    response = invoke(with_campaign, anonymous(sessionId="session-42", limit="5"))
    assert asins(response) == [asin(9)]


def test_anonymous_without_session_gets_popular_items_without_warning(
    with_campaign, stub_personalize, capsys
):
    stub_personalize(with_campaign)  # no Personalize call expected
    response = invoke(with_campaign, anonymous(limit="4"))
    assert asins(response) == POPULAR_FIRST[:4]
    assert "warning" not in response.body
    assert "popularityGroup" not in response.body["results"][0]
    assert emitted_metrics(capsys.readouterr().out) == []


def test_without_campaign_popular_items_and_how_to_enable(without_campaign, capsys):
    response = invoke(without_campaign, for_user("u1", limit="3"))
    assert response.status == 200
    assert asins(response) == POPULAR_FIRST[:3]
    warning = response.body["warning"]
    assert "not yet configured" in warning
    assert "recommendations wiring parameter" in warning and "notebooks" in warning
    assert "\n" in warning
    assert emitted_metrics(capsys.readouterr().out) == ["PersonalizeNotConfigured"]


def test_session_without_campaign_popular_items_with_warning(without_campaign):
    response = invoke(without_campaign, anonymous(sessionId="s1", limit="2"))
    assert asins(response) == POPULAR_FIRST[:2]
    assert "not yet configured" in response.body["warning"]


def test_personalize_error_falls_back_to_popular_with_warning(with_campaign, stub_personalize, capsys):
    stub_personalize(with_campaign).add_client_error(
        "get_recommendations", service_error_code="ResourceNotFoundException", http_status_code=404
    )
    response = invoke(with_campaign, for_user("u1", limit="2"))
    assert response.status == 200
    assert asins(response) == POPULAR_FIRST[:2]
    assert "Amazon Personalize could not answer (ResourceNotFoundException)" in response.body["warning"]
    assert emitted_metrics(capsys.readouterr().out) == ["PersonalizeFailed"]


def test_unreachable_personalize_falls_back_to_popular(items_table, load, monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL_PERSONALIZE_RUNTIME", "http://127.0.0.1:9")
    handler = load(
        "get_recommendations",
        ITEMS_TABLE=ITEMS_TABLE,
        WIRING_PARAMETER=wiring_parameter(campaignArn=CAMPAIGN),
    )
    response = invoke(handler, for_user("u1", limit="2"))
    assert response.status == 200
    assert asins(response) == POPULAR_FIRST[:2]
    assert "EndpointConnectionError" in response.body["warning"]


@pytest.mark.parametrize("limit", ["0", "101", "abc"])
def test_bad_limit_is_400(without_campaign, limit):
    assert_error(invoke(without_campaign, for_user("u1", limit=limit)), 400, "limit must be an integer")
    assert_error(invoke(without_campaign, anonymous(limit=limit)), 400, "limit must be an integer")


def test_over_long_user_or_session_id_is_400(without_campaign):
    assert_error(invoke(without_campaign, for_user("u" * 300)), 400, "userId", "too long")
    assert_error(invoke(without_campaign, anonymous(sessionId="s" * 300)), 400, "sessionId", "too long")


def test_failing_item_table_is_502(aws, load):
    handler = load(
        "get_recommendations", ITEMS_TABLE="no-such-table", WIRING_PARAMETER=wiring_parameter(campaignArn="")
    )
    assert_error(invoke(handler, anonymous()), 502, "Query", "ResourceNotFoundException")


def test_a_wired_filter_is_passed_to_personalize(items_table, load, stub_personalize):
    filter_arn = "arn:aws:personalize:us-east-1:123456789012:filter/allstore-unpurchased"
    handler = load(
        "get_recommendations",
        ITEMS_TABLE=ITEMS_TABLE,
        WIRING_PARAMETER=wiring_parameter(campaignArn=CAMPAIGN, filterArn=filter_arn),
    )
    stub_personalize(handler).add_response(
        "get_recommendations",
        {"itemList": [{"itemId": asin(4)}]},
        {"campaignArn": CAMPAIGN, "filterArn": filter_arn, "userId": "u1", "numResults": 1},
    )
    response = invoke(handler, for_user("u1", limit="1"))
    assert asins(response) == [asin(4)]
    assert response.body["source"] == {"campaign": "user-personalization", "filter": "allstore-unpurchased"}


def test_unreadable_wiring_falls_back_to_popular_with_warning(items_table, load, capsys):
    handler = load(
        "get_recommendations", ITEMS_TABLE=ITEMS_TABLE, WIRING_PARAMETER="/test/wiring/never-created"
    )
    response = invoke(handler, for_user("u1", limit="2"))
    assert response.status == 200
    assert asins(response) == POPULAR_FIRST[:2]
    assert "wiring could not be read" in response.body["warning"]
    assert emitted_metrics(capsys.readouterr().out) == ["PersonalizeFailed"]
