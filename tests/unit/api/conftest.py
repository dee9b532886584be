"""Fixtures for the API handler tests: moto DynamoDB tables, API Gateway events, handler loading.

Each test loads its handler afresh (as a Lambda cold start would) after setting the function's
environment, inside moto, so the module-level boto3 clients talk to moto. moto and the catalogue
table live for one test module (creating them per test made the suite several times slower); a test
that needs other data uses its own table name.
"""

from __future__ import annotations

import inspect
import json
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber
from moto import mock_aws

from allstore.local.lambda_code import load_handler
from tests.unit.api.openapi_contract import assert_documented_response, openapi

API_DIR = Path(__file__).resolve().parents[3] / "functions" / "api"
ITEMS_TABLE = "test-items"
USERS_TABLE = "test-users"
CATEGORIES_TABLE = "test-categories"
ORIGIN = "https://shop.example"
CAMPING, CYCLING = "Camping", "Cycling"


def make_item(number: int, category: str, popularity: int, **extra: Any) -> dict[str, Any]:
    """A catalogue item as the set-up loader writes it."""
    return {
        "asin": f"B{number:09d}",
        "title": f"{category} thing {number}",
        "imUrl": f"https://images.example/{number}.jpg",
        "genre": category,
        "category": category,
        "price": Decimal(f"{number}.99"),
        "popularity": popularity,
        "popularityGroup": "all",
        **extra,
    }


# Twelve items, six per category; item n has popularity 100 - n, so lower numbers are more popular.
CATALOGUE = [make_item(n, CAMPING if n % 2 else CYCLING, 100 - n) for n in range(1, 13)]


def asin(number: int) -> str:
    return f"B{number:09d}"


@dataclass
class LambdaContext:
    """The attributes Powertools' Logger reads from the Lambda context."""

    function_name: str = "test-function"
    memory_limit_in_mb: int = 256
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:test-function"
    aws_request_id: str = "request-1"


@dataclass
class ApiResponse:
    status: int
    headers: dict[str, str]
    body: Any


def api_event(
    path: str,
    query: dict[str, str | list[str]] | None = None,
    resource: str | None = None,
    path_parameters: dict[str, str] | None = None,
    origin: str | None = ORIGIN,
) -> dict[str, Any]:
    """An API Gateway REST proxy event for GET `path` (as the `Prod` stage sends it); a list value is
    a repeated parameter (API Gateway's single-value map keeps the last)."""
    headers = {"Accept": "application/json", "Host": "api.example"}
    if origin:
        headers["Origin"] = origin
    return {
        "resource": resource or path,
        "path": path,
        "httpMethod": "GET",
        "headers": headers,
        "multiValueHeaders": {name: [value] for name, value in headers.items()},
        "queryStringParameters": {k: v if isinstance(v, str) else v[-1] for k, v in query.items()}
        if query
        else None,
        "multiValueQueryStringParameters": {k: [v] if isinstance(v, str) else v for k, v in query.items()}
        if query
        else None,
        "pathParameters": path_parameters,
        "stageVariables": None,
        "requestContext": {
            "resourcePath": resource or path,
            "httpMethod": "GET",
            "path": f"/Prod{path}",
            "stage": "Prod",
            "requestId": "api-request-1",
            "accountId": "123456789012",
            "identity": {"sourceIp": "127.0.0.1"},
        },
        "body": None,
        "isBase64Encoded": False,
    }


def invoke(handler: Callable, event: dict[str, Any]) -> ApiResponse:
    """Call a handler and decode its proxy response; the body must be JSON as docs/openapi.yaml says."""
    response = handler(event, LambdaContext())
    headers = dict(response.get("headers") or {})
    for name, values in (response.get("multiValueHeaders") or {}).items():
        headers.setdefault(name, values[0])
    body = json.loads(response["body"])
    if event["resource"] in openapi()["paths"]:
        assert_documented_response(
            event["resource"], event["httpMethod"].lower(), response["statusCode"], body
        )
    return ApiResponse(response["statusCode"], headers, body)


def personalize_client_of(handler: Callable) -> Any:
    """The personalize-runtime client a loaded handler module created (to attach a Stubber)."""
    return inspect.unwrap(handler).__globals__["personalize"]


def assert_cors(response: ApiResponse) -> None:
    assert response.headers.get("Access-Control-Allow-Origin") == "*"
    assert "Access-Control-Allow-Credentials" not in response.headers


def assert_error(response: ApiResponse, status: int, *fragments: str) -> None:
    """A JSON error body with the status, a message mentioning every fragment, and CORS headers."""
    assert response.status == status, response.body
    assert isinstance(response.body.get("message"), str)
    for fragment in fragments:
        assert fragment in response.body["message"], response.body
    assert "Traceback" not in json.dumps(response.body)
    assert_cors(response)


def create_items_table(items: list[dict[str, Any]], name: str = ITEMS_TABLE) -> Any:
    """The Items table as template.yaml defines it (two GSIs), filled with `items`."""
    dynamodb = boto3.resource("dynamodb")
    gsi = [
        {
            "IndexName": name,
            "KeySchema": [
                {"AttributeName": hash_key, "KeyType": "HASH"},
                {"AttributeName": "popularity", "KeyType": "RANGE"},
            ],
            "Projection": {"ProjectionType": "ALL"},
        }
        for name, hash_key in (("category-index", "category"), ("popular-index", "popularityGroup"))
    ]
    table = dynamodb.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "asin", "KeyType": "HASH"}],
        AttributeDefinitions=[
            {"AttributeName": "asin", "AttributeType": "S"},
            {"AttributeName": "category", "AttributeType": "S"},
            {"AttributeName": "popularityGroup", "AttributeType": "S"},
            {"AttributeName": "popularity", "AttributeType": "N"},
        ],
        GlobalSecondaryIndexes=gsi,
        BillingMode="PAY_PER_REQUEST",
    )
    with table.batch_writer() as writer:
        for item in items:
            writer.put_item(Item=item)
    return table


def create_categories_table(items: list[dict[str, Any]] = (), name: str = CATEGORIES_TABLE) -> Any:
    """The Categories table as template.yaml defines it (keyed by category), holding `items`."""
    table = boto3.resource("dynamodb").create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "category", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "category", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    with table.batch_writer() as writer:
        for item in items:
            writer.put_item(Item=item)
    return table


def wiring_parameter(**values: str) -> str:
    """A function's wiring parameter in moto's Parameter Store, as the template and notebooks write it."""
    name = f"/test/wiring/{uuid.uuid4().hex}"
    boto3.client("ssm").put_parameter(Name=name, Value=json.dumps(values), Type="String")
    return name


@pytest.fixture(scope="module")
def aws() -> Iterator[None]:
    with mock_aws():
        yield


@pytest.fixture(scope="module")
def items_table(aws: None) -> Any:
    return create_items_table(CATALOGUE)


@pytest.fixture
def load(monkeypatch: pytest.MonkeyPatch) -> Callable[..., Callable]:
    """`load("get_item", ITEMS_TABLE=...)`: a fresh handler with exactly that function environment."""

    def load_function(function: str, **environment: str) -> Callable:
        for name, value in environment.items():
            monkeypatch.setenv(name, value)
        return load_handler(API_DIR / function, "app.lambda_handler")

    return load_function


@pytest.fixture
def stub_personalize() -> Iterator[Callable[[Callable], Stubber]]:
    """Attach an activated botocore Stubber to a handler's Personalize client; checked when the test ends."""
    stubbers: list[Stubber] = []

    def attach(handler: Callable) -> Stubber:
        stubber = Stubber(personalize_client_of(handler))
        stubber.activate()
        stubbers.append(stubber)
        return stubber

    yield attach
    for stubber in stubbers:
        stubber.assert_no_pending_responses()
        stubber.deactivate()


def emitted_metrics(captured_stdout: str) -> list[str]:
    """Names of the metrics Powertools flushed (CloudWatch EMF lines on stdout)."""
    names = []
    for line in captured_stdout.splitlines():
        if line.startswith("{") and '"_aws"' in line:
            document = json.loads(line)
            for directive in document["_aws"]["CloudWatchMetrics"]:
                names.extend(metric["Name"] for metric in directive["Metrics"])
    return names
