"""Fixtures: moto-backed Items table and clickstream, and a Lambda context for Powertools."""

from __future__ import annotations

from dataclasses import dataclass

import boto3
import pytest
from moto import mock_aws

from .stream_events import REGION


@dataclass
class FakeLambdaContext:
    function_name: str = "stream-handler"
    memory_limit_in_mb: int = 256
    invoked_function_arn: str = f"arn:aws:lambda:{REGION}:123456789012:function:stream-handler"
    aws_request_id: str = "request-1"

    def get_remaining_time_in_millis(self) -> int:
        return 60_000


@pytest.fixture
def lambda_context() -> FakeLambdaContext:
    return FakeLambdaContext()


@pytest.fixture
def aws():
    with mock_aws():
        yield


@pytest.fixture
def items_table(aws):
    """The Items table as the template declares it: key `asin`, stream NEW_AND_OLD_IMAGES."""
    dynamodb = boto3.resource("dynamodb", region_name=REGION)
    return dynamodb.create_table(
        TableName="Items",
        KeySchema=[{"AttributeName": "asin", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "asin", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
    )


@pytest.fixture
def clickstream(aws) -> str:
    kinesis = boto3.client("kinesis", region_name=REGION)
    kinesis.create_stream(StreamName="clickstream", ShardCount=1)
    return "clickstream"
