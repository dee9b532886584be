"""Fixtures for the set-up function: moto S3/DynamoDB, a fake CloudFormation response URL on
127.0.0.1, and the shard invocations run in-process instead of through Lambda."""

from __future__ import annotations

import inspect
import io
import json
import threading
import time
import traceback
from dataclasses import dataclass, field
from email.message import Message
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from allstore.local.lambda_code import load_handler
from allstore.loopback import LoopbackServer

from ..api.conftest import create_categories_table, create_items_table

CODE_DIR = Path(__file__).parents[3] / "functions" / "setup"
REGION = "us-east-1"
DATA_BUCKET = "allstore-data"
STAGING_BUCKET = "allstore-staging"
WEB_BUCKET = "allstore-web"
FUNCTION_ARN = f"arn:aws:lambda:{REGION}:123456789012:function:stack-setup"


class FakeLambdaContext:
    """A context whose remaining time runs down like Lambda's."""

    function_name = "stack-setup"
    memory_limit_in_mb = 1024
    invoked_function_arn = FUNCTION_ARN
    aws_request_id = "request-1"

    def __init__(self, timeout_seconds: float = 900.0) -> None:
        self._deadline = time.monotonic() + timeout_seconds

    def get_remaining_time_in_millis(self) -> int:
        return max(int((self._deadline - time.monotonic()) * 1000), 0)


@dataclass
class CloudFormationAnswers:
    """The PUT bodies the set-up function sent to the response URL, decoded."""

    url: str = ""
    answers: list[dict[str, Any]] = field(default_factory=list)
    content_types: list[str | None] = field(default_factory=list)

    @property
    def only(self) -> dict[str, Any]:
        assert len(self.answers) == 1, f"expected exactly one answer, got {self.answers}"
        return self.answers[0]


@pytest.fixture
def cloudformation():
    """An HTTP server on 127.0.0.1 standing in for CloudFormation's pre-signed response URL."""
    received = CloudFormationAnswers()

    def receive(method: str, target: str, headers: Message, body: bytes) -> tuple[int, dict, bytes]:
        received.answers.append(json.loads(body))
        received.content_types.append(headers.get("Content-Type"))
        return 200, {}, b""

    with LoopbackServer(receive, name="cloudformation") as server:
        received.url = f"{server.url}/cloudformation-response?X-Amz-Signature=test"
        yield received


@pytest.fixture
def aws():
    with mock_aws():
        s3 = boto3.client("s3", region_name=REGION)
        for bucket in (DATA_BUCKET, STAGING_BUCKET, WEB_BUCKET):
            s3.create_bucket(Bucket=bucket)
        create_items_table([])  # the API tests' copy of the template's Items table, GSIs included
        create_categories_table()
        dynamodb = boto3.client("dynamodb", region_name=REGION)
        dynamodb.create_table(
            TableName="Users",
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        yield


def put_object(key: str, body: bytes | str, bucket: str = DATA_BUCKET) -> str:
    data = body.encode() if isinstance(body, str) else body
    boto3.client("s3", region_name=REGION).put_object(Bucket=bucket, Key=key, Body=data)
    return f"s3://{bucket}/{key}"


class InProcessLambda:
    """Stands in for the Lambda client: runs each shard invocation with the real handler, in-process,
    answering the way Lambda does (a crash becomes FunctionError with errorMessage)."""

    def __init__(self, handler: Any, delay_seconds: float = 0.0) -> None:
        self.handler = handler
        self.delay_seconds = delay_seconds
        self.crash_shards: set[int] = set()
        self.calls: list[dict[str, Any]] = []
        self.test_ended = threading.Event()  # a shard still waiting then must not touch (unmocked) AWS

    def invoke(self, FunctionName: str, InvocationType: str, Payload: bytes) -> dict[str, Any]:
        request = json.loads(Payload)
        self.calls.append(
            {"FunctionName": FunctionName, "InvocationType": InvocationType, "Payload": request}
        )
        try:
            if self.test_ended.wait(self.delay_seconds):
                raise TimeoutError("Task timed out")
            if request["AllStoreShard"]["shard"] in self.crash_shards:
                raise MemoryError("Runtime exited: out of memory")
            result = self.handler(request, FakeLambdaContext())
        except Exception as error:
            body = {
                "errorMessage": str(error),
                "errorType": type(error).__name__,
                "stackTrace": traceback.format_exc(),
            }
            return {
                "StatusCode": 200,
                "FunctionError": "Unhandled",
                "Payload": io.BytesIO(json.dumps(body).encode()),
            }
        return {"StatusCode": 200, "Payload": io.BytesIO(json.dumps(result).encode())}


@dataclass
class SetupFunction:
    handler: Any
    module: dict[str, Any]
    lambda_service: InProcessLambda
    cloudformation: CloudFormationAnswers

    def request(
        self,
        resource_type: str,
        properties: dict[str, Any],
        request_type: str = "Create",
        old_properties: dict[str, Any] | None = None,
        physical_id: str | None = None,
        timeout_seconds: float = 900.0,
    ) -> dict[str, Any]:
        """Send one CloudFormation request and return the one answer it got."""
        event = {
            "RequestType": request_type,
            "ServiceToken": FUNCTION_ARN,
            "ResponseURL": self.cloudformation.url,
            "StackId": f"arn:aws:cloudformation:{REGION}:123456789012:stack/allstore/guid",
            "RequestId": f"request-{len(self.cloudformation.answers)}",
            "LogicalResourceId": "InitResource",
            "ResourceType": resource_type,
            "ResourceProperties": {"ServiceToken": FUNCTION_ARN, **properties},
        }
        if old_properties is not None:
            event["OldResourceProperties"] = {"ServiceToken": FUNCTION_ARN, **old_properties}
        if physical_id is not None:
            event["PhysicalResourceId"] = physical_id
        before = len(self.cloudformation.answers)
        assert self.handler(event, FakeLambdaContext(timeout_seconds)) is None
        new_answers = self.cloudformation.answers[before:]
        assert len(new_answers) == 1, f"expected exactly one answer, got {new_answers}"
        answer = new_answers[0]
        assert answer["RequestId"] == event["RequestId"]
        assert answer["LogicalResourceId"] == "InitResource"
        assert answer["StackId"] == event["StackId"]
        return answer


@pytest.fixture
def setup_function(aws, cloudformation):
    handler = load_handler(CODE_DIR)
    module = inspect.unwrap(handler).__globals__
    lambda_service = InProcessLambda(handler)
    module["lambda_client"] = lambda_service
    yield SetupFunction(handler, module, lambda_service, cloudformation)
    lambda_service.test_ended.set()
