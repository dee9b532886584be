"""The whole local store over HTTP: every route, click tracking, indexing, live configuration, restart.

The store runs once per session (see conftest) with the small synthetic data set; response bodies
are checked against docs/openapi.yaml. The restart test runs last: it restarts the shared store.
"""

from __future__ import annotations

import json
import shlex
import time
import uuid
from functools import cache
from pathlib import Path
from typing import Any

import boto3
import pytest
import requests
import yaml
from allstore_common import records
from allstore_common.wiring import MAX_AGE_SECONDS
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012
from typer.testing import CliRunner

from allstore.cli import app
from allstore.data import synthetic
from allstore.workshop import wiring
from tests.integration.conftest import RunningStore, eventually

pytestmark = pytest.mark.integration

OPENAPI_PATH = Path(__file__).resolve().parents[2] / "docs" / "openapi.yaml"
OPENAPI_URI = "urn:allstore:openapi"


@cache
def _registry() -> Registry:
    document = yaml.safe_load(OPENAPI_PATH.read_text(encoding="utf-8"))
    return Registry().with_resource(
        OPENAPI_URI, Resource.from_contents(document, default_specification=DRAFT202012)
    )


def assert_matches_openapi(response: requests.Response, route: str) -> Any:
    """The response's status is documented for `route` and its JSON body matches the documented schema."""
    document = _registry().contents(OPENAPI_URI)
    responses = document["paths"][route]["get"]["responses"]
    assert str(response.status_code) in responses, f"{route} answered an undocumented {response.status_code}"
    pointer = f"/paths/{route.replace('/', '~1')}/get/responses/{response.status_code}"
    documented = responses[str(response.status_code)]
    if "$ref" in documented:
        pointer = documented["$ref"].lstrip("#")
    schema = {"$ref": f"{OPENAPI_URI}#{pointer}/content/application~1json/schema"}
    body = response.json()
    Draft202012Validator(schema, registry=_registry()).validate(body)
    return body


def asins(body: dict[str, Any]) -> list[str]:
    return [item["asin"] for item in body["results"]]


@pytest.fixture(scope="module")
def catalogue_item(running_store: RunningStore) -> dict[str, Any]:
    """A product of the loaded catalogue (the most popular one)."""
    body = running_store.get("/Prod/items", limit=1).json()
    return body["results"][0]


@pytest.fixture(scope="module")
def demo_user(running_store: RunningStore) -> str:
    return running_store.get("/Prod/session").json()["UserList"][0]["Id"]


# ---------------------------------------------------------------- routes, good and bad input


def test_session_names_the_local_endpoints(running_store: RunningStore) -> None:
    response = requests.get(
        running_store.url + "Prod/session", headers={"Origin": "http://localhost:5173"}, timeout=30
    )
    body = assert_matches_openapi(response, "/session")
    assert response.status_code == 200
    assert body["UserList"] and body["StreamName"] and body["AnonymousPoolId"].startswith("us-east-1:")
    assert body["Endpoints"] == {
        "kinesis": running_store.url + "aws/kinesis",
        "cognito-identity": running_store.url + "aws/cognito-identity",
    }
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "Access-Control-Allow-Credentials" not in response.headers


def test_get_item(running_store: RunningStore, catalogue_item: dict[str, Any]) -> None:
    response = running_store.get(f"/Prod/items/{catalogue_item['asin']}")
    body = assert_matches_openapi(response, "/items/{id}")
    assert response.status_code == 200 and body["asin"] == catalogue_item["asin"]
    assert {"title", "imUrl"} <= body.keys()

    missing = running_store.get("/Prod/items/NO-SUCH-ITEM")
    assert missing.status_code == 404
    assert "message" in assert_matches_openapi(missing, "/items/{id}")


def test_the_product_page_has_the_newest_reviews_and_lists_have_none(
    running_store: RunningStore, catalogue_item: dict[str, Any], demo_user: str
) -> None:
    asin = catalogue_item["asin"]
    reviews_file = running_store.options.state_dir / "data" / synthetic.REVIEWS_FILE
    written = [review for review in records.iter_records(reviews_file) if review["asin"] == asin]
    in_order = sorted(enumerate(written), key=lambda line: (line[1]["unixReviewTime"], line[0]), reverse=True)
    newest = [review for _, review in in_order[:3]]  # the same second: the later line is the newer

    body = assert_matches_openapi(running_store.get(f"/Prod/items/{asin}"), "/items/{id}")
    assert [(r["name"], r["stars"], r["headline"], r["text"]) for r in body["reviews"]] == [
        (r["reviewerName"], r["overall"], r["summary"], r["reviewText"]) for r in newest
    ]
    assert body["reviews"][0]["date"] == time.strftime("%Y-%m-%d", time.gmtime(newest[0]["unixReviewTime"]))
    assert body["ratingCount"] == len(written)

    lists = [
        running_store.get("/Prod/items", limit=5),
        running_store.get("/Prod/items", category=catalogue_item["category"], limit=5),
        running_store.get("/Prod/recommendations"),
        running_store.get(f"/Prod/recommendations/{demo_user}", limit=10),
        running_store.get(f"/Prod/recommendationsitem/{asin}"),
        running_store.get("/Prod/search", q=catalogue_item["title"].split()[-1]),
    ]
    for response in lists:
        results = response.json()["results"]
        assert results and not any("reviews" in item for item in results), response.url


def test_list_items_pages_and_rejects_a_bad_limit(
    running_store: RunningStore, catalogue_item: dict[str, Any]
) -> None:
    first = running_store.get("/Prod/items", category=catalogue_item["category"], limit=2)
    body = assert_matches_openapi(first, "/items")
    assert first.status_code == 200 and len(body["results"]) <= 2
    assert all(item["category"] == catalogue_item["category"] for item in body["results"])
    if "nextToken" in body:
        following = running_store.get(
            "/Prod/items", category=catalogue_item["category"], limit=2, nextToken=body["nextToken"]
        )
        assert following.status_code == 200
        assert not set(asins(following.json())) & set(asins(body))

    for bad in ("abc", "0", "100000"):
        response = running_store.get("/Prod/items", limit=bad)
        assert response.status_code == 400, bad
        assert "limit" in assert_matches_openapi(response, "/items")["message"]


def test_categories_list_the_whole_catalogue_with_each_categorys_size(running_store: RunningStore) -> None:
    response = running_store.get("/Prod/categories")
    body = assert_matches_openapi(response, "/categories")
    assert response.status_code == 200 and body["departments"], body
    categories = {
        category["name"]: (department["name"], category["itemCount"])
        for department in body["departments"]
        for category in department["categories"]
    }
    for name, (_, count) in categories.items():  # the size its category page says
        page = running_store.get("/Prod/items", category=name, limit=1).json()
        assert page["total"] == count, name
    table = running_store.output("ItemsTable")
    scan = running_store.client("dynamodb").get_paginator("scan")
    stored = [
        item
        for page in scan.paginate(TableName=table, ProjectionExpression="category, main_cat")
        for item in page["Items"]
    ]
    assert body["itemCount"] == len(stored)  # every item of the catalogue, not a sample
    assert set(categories) == {item["category"]["S"] for item in stored}
    for item in stored:  # the synthetic catalogue names every item's department
        assert categories[item["category"]["S"]][0] == item["main_cat"]["S"]


def test_user_recommendations_come_from_the_trained_campaign(
    running_store: RunningStore, demo_user: str
) -> None:
    response = running_store.get(f"/Prod/recommendations/{demo_user}", limit=10)
    body = assert_matches_openapi(response, "/recommendations/{userId}")
    assert response.status_code == 200 and len(body["results"]) == 10
    assert "warning" not in body, body.get("warning")

    too_long = running_store.get(f"/Prod/recommendations/{'u' * 300}")
    assert too_long.status_code == 400
    assert_matches_openapi(too_long, "/recommendations/{userId}")


def test_anonymous_recommendations(running_store: RunningStore) -> None:
    response = running_store.get("/Prod/recommendations")
    body = assert_matches_openapi(response, "/recommendations")
    assert response.status_code == 200 and body["results"]
    assert running_store.get("/Prod/recommendations", limit="-1").status_code == 400


def test_similar_items(running_store: RunningStore, catalogue_item: dict[str, Any]) -> None:
    response = running_store.get(f"/Prod/recommendationsitem/{catalogue_item['asin']}")
    body = assert_matches_openapi(response, "/recommendationsitem/{itemId}")
    assert response.status_code == 200 and body["results"]
    assert catalogue_item["asin"] not in asins(body)
    assert "warning" not in body, body.get("warning")

    missing = running_store.get("/Prod/recommendationsitem/NO-SUCH-ITEM")
    assert missing.status_code == 404
    assert_matches_openapi(missing, "/recommendationsitem/{itemId}")


def test_search(running_store: RunningStore, catalogue_item: dict[str, Any], demo_user: str) -> None:
    word = catalogue_item["title"].split()[-1]
    response = running_store.get("/Prod/search", q=word, u=demo_user)
    body = assert_matches_openapi(response, "/search")
    assert response.status_code == 200 and body["results"]
    assert any(word.lower() in item["title"].lower() for item in body["results"])

    for params in ({}, {"q": "   "}):
        bad = running_store.get("/Prod/search", **params)
        assert bad.status_code == 400, params
        assert_matches_openapi(bad, "/search")


def test_description(running_store: RunningStore, catalogue_item: dict[str, Any]) -> None:
    response = running_store.get("/Prod/description", asin=catalogue_item["asin"])
    body = assert_matches_openapi(response, "/description")
    assert response.status_code == 200 and body["ASIN"] == catalogue_item["asin"] and body["Items"]

    assert running_store.get("/Prod/description").status_code == 400
    missing = running_store.get("/Prod/description", asin="NO-SUCH-ITEM")
    assert missing.status_code == 404
    assert_matches_openapi(missing, "/description")


def test_routing_follows_a_rest_apis_rules(running_store: RunningStore) -> None:
    """The original README's `GET /Prod/recommendations/`, merged slashes around the stage, and
    the empty path (the root resource, which has no method); tests/unit/local/test_api_routing.py
    has each rule against API Gateway's recorded events."""
    anonymous = running_store.get("/Prod/recommendations/")
    assert anonymous.status_code == 200 and anonymous.json()["results"], anonymous.text
    merged = requests.get(running_store.url + "/Prod//items?limit=2", timeout=10)  # //Prod//items
    assert merged.status_code == 200 and len(merged.json()["results"]) == 2, merged.text
    for path in ("/Prod", "/Prod/"):
        response = requests.get(running_store.url + path.lstrip("/"), timeout=10)
        assert (response.status_code, response.json()) == (403, {"message": "Missing Authentication Token"})
    head = requests.head(running_store.url + "Prod/items", timeout=10)
    assert head.status_code == 403 and head.content == b""


def test_unknown_routes_and_methods_are_api_gateways_403(running_store: RunningStore) -> None:
    for method, path in (("GET", "/Prod/nothing-here"), ("POST", "/Prod/items")):
        response = requests.request(method, running_store.url + path.lstrip("/"), timeout=10)
        assert response.status_code == 403
        assert response.json() == {"message": "Missing Authentication Token"}


def test_cors_preflight_follows_the_apis_cors_setting(running_store: RunningStore) -> None:
    response = requests.options(
        running_store.url + "Prod/search",
        headers={"Origin": "http://localhost:5173", "Access-Control-Request-Method": "GET"},
        timeout=10,
    )
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "GET" in response.headers["Access-Control-Allow-Methods"]


# ---------------------------------------------------------------- web UI and images


def test_web_ui_with_spa_fallback_and_images(
    running_store: RunningStore, catalogue_item: dict[str, Any]
) -> None:
    root = running_store.get("/")
    assert root.status_code == 200 and "AllStore test UI" in root.text
    client_route = running_store.get("/product/B000000001")
    assert client_route.status_code == 200 and client_route.text == root.text
    asset = running_store.get("/assets/app.js")
    assert asset.status_code == 200 and "javascript" in asset.headers["Content-Type"]
    assert running_store.get("/assets/missing.js").status_code == 404

    image = running_store.get(catalogue_item["imUrl"])
    assert image.status_code == 200 and image.headers["Content-Type"].startswith("image/")


# ---------------------------------------------------------------- click events, as the browser sends them


def browser_credentials(running_store: RunningStore, pool_id: str) -> dict[str, str]:
    """Cognito unauthenticated identity through the store's /aws/cognito-identity, unsigned as the SDK does."""
    endpoint = running_store.url + "aws/cognito-identity"

    def call(target: str, body: dict[str, Any]) -> dict[str, Any]:
        response = requests.post(
            endpoint,
            data=json.dumps(body),
            headers={
                "X-Amz-Target": f"AWSCognitoIdentityService.{target}",
                "Content-Type": "application/x-amz-json-1.1",
            },
            timeout=10,
        )
        assert response.status_code == 200, response.text
        return response.json()

    identity = call("GetId", {"IdentityPoolId": pool_id})["IdentityId"]
    return call("GetCredentialsForIdentity", {"IdentityId": identity})["Credentials"]


def test_a_click_on_the_stream_changes_the_users_recommendations(
    running_store: RunningStore, demo_user: str
) -> None:
    session = running_store.get("/Prod/session").json()
    credentials = browser_credentials(running_store, session["AnonymousPoolId"])
    kinesis = boto3.client(
        "kinesis",
        endpoint_url=session["Endpoints"]["kinesis"],
        region_name=session["Region"],
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretKey"],
        aws_session_token=credentials["SessionToken"],
    )
    before = asins(running_store.get(f"/Prod/recommendations/{demo_user}", limit=25).json())
    clicked = before[:3]
    for item in clicked:
        event = {
            "userID": demo_user,
            "itemID": item,
            "sessionID": f"test-{uuid.uuid4()}",
            "eventType": "click",
        }
        kinesis.put_record(
            StreamName=session["StreamName"], PartitionKey=demo_user, Data=json.dumps(event).encode()
        )

    def changed() -> list[str] | None:
        now = asins(running_store.get(f"/Prod/recommendations/{demo_user}", limit=25).json())
        return now if now != before else None

    after = eventually(changed, timeout=30)
    assert after != before


# ---------------------------------------------------------------- the Items stream keeps search in step


def test_search_follows_items_added_and_deleted_in_dynamodb(running_store: RunningStore) -> None:
    table = running_store.output("ItemsTable")
    dynamodb = running_store.client("dynamodb")
    word = f"zyx{uuid.uuid4().hex[:8]}"
    asin = f"TEST{uuid.uuid4().hex[:8].upper()}"
    dynamodb.put_item(
        TableName=table,
        Item={
            "asin": {"S": asin},
            "title": {"S": f"Integration {word} lantern"},
            "category": {"S": "Lanterns"},
            "imUrl": {"S": "/images/none.svg"},
            "genre": {"S": "Lanterns"},
            "popularity": {"N": "0"},
            "popularityGroup": {"S": "all"},
        },
    )

    def found() -> bool:
        return asin in asins(running_store.get("/Prod/search", q=word).json())

    eventually(found, timeout=30)
    dynamodb.delete_item(TableName=table, Key={"asin": {"S": asin}})
    eventually(lambda: not found(), timeout=30)


# ---------------------------------------------------------------- live wiring and function configuration


def test_rewiring_applies_within_the_cache_time(running_store: RunningStore, demo_user: str) -> None:
    ssm = running_store.client("ssm")
    wired = wiring.wiring(ssm, "allstore", wiring.RECOMMENDATIONS)
    assert wired["campaignArn"], "the store trained and wired a campaign"

    def warned() -> bool:
        body = running_store.get(f"/Prod/recommendations/{demo_user}").json()
        return "warning" in body and bool(body["results"])

    try:
        wiring.wire(ssm, "allstore", wiring.RECOMMENDATIONS, campaignArn="")
        eventually(warned, timeout=MAX_AGE_SECONDS + 10)  # no campaign: popular items with a warning
    finally:
        wiring.wire(ssm, "allstore", wiring.RECOMMENDATIONS, **wired)
    eventually(lambda: not warned(), timeout=MAX_AGE_SECONDS + 10)


def test_lambda_invoke_runs_the_local_function(
    running_store: RunningStore, catalogue_item: dict[str, Any]
) -> None:
    lambda_client = running_store.client("lambda")
    event = {
        "resource": "/items/{id}",
        "path": f"/items/{catalogue_item['asin']}",
        "httpMethod": "GET",
        "pathParameters": {"id": catalogue_item["asin"]},
        "requestContext": {"stage": "Prod", "requestId": "invoke-test"},
    }
    response = lambda_client.invoke(
        FunctionName=running_store.store.provisioner.functions["GetItemFunction"].name,
        Payload=json.dumps(event).encode(),
    )
    payload = json.loads(response["Payload"].read())
    assert response["StatusCode"] == 200 and "FunctionError" not in response
    assert payload["statusCode"] == 200 and json.loads(payload["body"])["asin"] == catalogue_item["asin"]

    with pytest.raises(lambda_client.exceptions.ResourceNotFoundException):
        lambda_client.invoke(FunctionName="no-such-function", Payload=b"{}")


def test_local_env_points_tools_at_the_running_store(running_store: RunningStore) -> None:
    result = CliRunner().invoke(app, ["local", "env", "--state-dir", str(running_store.options.state_dir)])
    assert result.exit_code == 0, result.output
    exports = dict(
        shlex.split(line.removeprefix("export "))[0].split("=", 1) for line in result.output.splitlines()
    )
    assert exports["AWS_ENDPOINT_URL_LAMBDA"] == running_store.url + "aws/lambda"
    assert exports["AWS_ENDPOINT_URL_DYNAMODB"] == running_store.store.endpoints["dynamodb"]
    assert (
        exports["AWS_ENDPOINT_URL_PERSONALIZE_RUNTIME"]
        == running_store.store.endpoints["personalize-runtime"]
    )
    assert exports["CF_STACK_NAME"] == "allstore" and exports["AWS_REGION"] == "us-east-1"
    assert exports["LAMBDA_GETRECS_ARN"] == running_store.output("GetRecommendationsFunctionArn")
    assert exports["STAGING_BUCKET"] == running_store.output("StagingBucket")
    assert {
        "LAMBDA_GETITEMRECS_ARN",
        "LAMBDA_RERANK_ARN",
        "LAMBDA_POSTCLICK_ARN",
        "AWS_ACCESS_KEY_ID",
    } <= exports.keys()

    lambda_client = boto3.client(
        "lambda",
        endpoint_url=exports["AWS_ENDPOINT_URL_LAMBDA"],
        region_name=exports["AWS_REGION"],
        aws_access_key_id=exports["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=exports["AWS_SECRET_ACCESS_KEY"],
    )
    assert lambda_client.get_function_configuration(FunctionName=exports["LAMBDA_POSTCLICK_ARN"])
    ssm = boto3.client(
        "ssm",
        endpoint_url=exports["AWS_ENDPOINT_URL_SSM"],
        region_name=exports["AWS_REGION"],
        aws_access_key_id=exports["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=exports["AWS_SECRET_ACCESS_KEY"],
    )
    tracking = wiring.wiring(ssm, exports["CF_STACK_NAME"], wiring.CLICK_TRACKING)
    assert tracking["trackingId"], "the store created and wired an event tracker"
    recommendations = wiring.wiring(ssm, exports["CF_STACK_NAME"], wiring.RECOMMENDATIONS)
    assert recommendations["filterArn"].endswith("-store-unseen"), "viewed items are filtered out"

    missing = CliRunner().invoke(
        app, ["local", "env", "--state-dir", str(running_store.options.state_dir / "none")]
    )
    assert missing.exit_code == 1


# ---------------------------------------------------------------- restart keeps the state (last: restarts the store)


def test_a_restart_finds_the_stores_state(running_store: RunningStore, demo_user: str) -> None:
    table = running_store.output("ItemsTable")
    asin = f"KEEP{uuid.uuid4().hex[:8].upper()}"
    running_store.client("dynamodb").put_item(
        TableName=table,
        Item={"asin": {"S": asin}, "title": {"S": "Kept across restarts"}, "category": {"S": "Lanterns"}},
    )
    function = running_store.output("SearchFunctionArn")
    lambda_client = running_store.client("lambda")
    variables = lambda_client.get_function_configuration(FunctionName=function)["Environment"]["Variables"]
    lambda_client.update_function_configuration(
        FunctionName=function, Environment={"Variables": {**variables, "MAX_PROMOTED_RESULTS": "3"}}
    )
    recommendations = asins(running_store.get(f"/Prod/recommendations/{demo_user}").json())
    categories = running_store.get("/Prod/categories").json()
    search_wiring = wiring.wiring(running_store.client("ssm"), "allstore", wiring.SEARCH_RANKING)
    assert search_wiring["campaignArn"]

    seconds = running_store.restart()

    assert seconds < 60, f"a warm restart took {seconds:.0f} s"
    assert running_store.get(f"/Prod/items/{asin}").json()["title"] == "Kept across restarts"
    assert running_store.get("/Prod/categories").json() == categories
    lambda_client = running_store.client("lambda")
    kept = lambda_client.get_function_configuration(FunctionName=function)["Environment"]["Variables"]
    assert kept["MAX_PROMOTED_RESULTS"] == "3"
    assert wiring.wiring(running_store.client("ssm"), "allstore", wiring.SEARCH_RANKING) == search_wiring
    body = running_store.get(f"/Prod/recommendations/{demo_user}").json()
    assert "warning" not in body and asins(body) == recommendations
    assert running_store.get("/Prod/search", q="lantern").json()["results"]
