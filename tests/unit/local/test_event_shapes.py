"""Events built locally have the shapes API Gateway and Lambda's event source mappings give handlers."""

from __future__ import annotations

import base64
from datetime import UTC, datetime

from aws_lambda_powertools.utilities.data_classes import (
    APIGatewayProxyEvent,
    DynamoDBStreamEvent,
    KinesisStreamEvent,
)

from allstore.local.api_gateway import api_routes, route_pattern
from allstore.local.event_shapes import (
    api_gateway_event,
    dynamodb_stream_record,
    kinesis_record,
    sequence_number,
)
from allstore.local.provision import FunctionSpec


def test_api_gateway_event_carries_path_query_headers_and_context() -> None:
    event = api_gateway_event(
        method="GET",
        path="/items/B01",
        request_path="/Prod/items/B01",
        query="limit=5&tag=a&tag=b&empty=",
        headers={"Host": "127.0.0.1:3000", "Origin": "http://x"},
        body=b"",
        resource="/items/{id}",
        path_parameters={"id": "B01"},
        stage="Prod",
        source_ip="127.0.0.1",
    )
    parsed = APIGatewayProxyEvent(event)
    assert parsed.resource == "/items/{id}" and parsed.path == "/items/B01"
    assert parsed.path_parameters == {"id": "B01"}
    assert parsed.get_query_string_value("limit") == "5"
    assert parsed.query_string_parameters["tag"] == "b"
    assert event["multiValueQueryStringParameters"]["tag"] == ["a", "b"]
    assert event["queryStringParameters"]["empty"] == ""
    assert parsed.headers.get("origin") == "http://x"
    assert parsed.request_context.stage == "Prod" and parsed.request_context.request_id
    assert event["requestContext"]["path"] == "/Prod/items/B01"
    assert event["body"] is None and event["isBase64Encoded"] is False


def test_api_gateway_event_without_query_has_null_parameters_and_encodes_binary_bodies() -> None:
    event = api_gateway_event(
        method="POST",
        path="/x",
        request_path="/Prod/x",
        query="",
        headers={},
        body=b"\xff\x00",
        resource="/x",
        path_parameters={},
        stage="Prod",
        source_ip="127.0.0.1",
    )
    assert event["queryStringParameters"] is None and event["pathParameters"] is None
    assert event["isBase64Encoded"] is True and base64.b64decode(event["body"]) == b"\xff\x00"


def test_dynamodb_stream_record_as_lambda_delivers_it() -> None:
    raw = {
        "eventID": "e1",
        "eventName": "INSERT",
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": "us-east-1",
        "dynamodb": {
            "ApproximateCreationDateTime": datetime(2026, 1, 1, tzinfo=UTC),
            "Keys": {"asin": {"S": "B01"}},
            "NewImage": {"asin": {"S": "B01"}, "title": {"S": "Tent"}},
            "SequenceNumber": "100",
            "SizeBytes": 10,
            "StreamViewType": "NEW_AND_OLD_IMAGES",
        },
    }
    record = dynamodb_stream_record(raw, "arn:stream")
    assert record["eventSourceARN"] == "arn:stream"
    assert record["dynamodb"]["ApproximateCreationDateTime"] == datetime(2026, 1, 1, tzinfo=UTC).timestamp()
    parsed = next(DynamoDBStreamEvent({"Records": [record]}).records)
    assert parsed.dynamodb.new_image == {"asin": "B01", "title": "Tent"}
    assert parsed.dynamodb.sequence_number == "100" == sequence_number(record)


def test_kinesis_record_as_lambda_delivers_it() -> None:
    raw = {
        "SequenceNumber": "4954",
        "ApproximateArrivalTimestamp": datetime(2026, 1, 1, tzinfo=UTC),
        "Data": b'{"itemID": "B01"}',
        "PartitionKey": "user-1",
    }
    record = kinesis_record(raw, "shardId-000000000000", "arn:kinesis", "arn:role")
    assert record["eventID"] == "shardId-000000000000:4954"
    parsed = next(KinesisStreamEvent({"Records": [record]}).records)
    assert parsed.kinesis.data_as_json() == {"itemID": "B01"}
    assert parsed.kinesis.partition_key == "user-1" and parsed.event_source_arn == "arn:kinesis"
    assert sequence_number(record) == "4954"


def test_route_patterns_and_precedence() -> None:
    assert route_pattern("/items/{id}").fullmatch("/items/B01").groupdict() == {"id": "B01"}
    assert route_pattern("/items/{id}").fullmatch("/items/B01/x") is None
    assert route_pattern("/files/{proxy+}").fullmatch("/files/a/b").groupdict() == {"proxy": "a/b"}

    def spec(name: str, *paths: str) -> FunctionSpec:
        events = {
            f"E{i}": {"Type": "Api", "Properties": {"RestApiId": "api", "Path": path, "Method": "get"}}
            for i, path in enumerate(paths)
        }
        return FunctionSpec(name, name, f"arn:{name}", None, "app.h", 3, 128, events)  # type: ignore[arg-type]

    routes = api_routes(
        {"Literal": spec("Literal", "/items/popular"), "Param": spec("Param", "/items/{id}")},
        {"api": {"StageName": "Prod", "Cors": {"AllowOrigin": "'*'"}}},
    )
    assert [route.function for route in routes] == ["Literal", "Param"]
    assert routes[0].match("GET", "/items/popular") == {} and routes[0].cors == {"AllowOrigin": "*"}
    assert routes[1].match("GET", "/items/a%20b") == {"id": "a%20b"}  # as sent: see test_api_routing
    assert routes[1].match("POST", "/items/x") is None
