"""The events AWS hands to Lambda handlers, built from local requests and stream records.

Shapes follow what API Gateway (REST API, Lambda proxy integration) and Lambda's event source
mappings send, so handlers — and Powertools' event classes — cannot tell local from cloud.
"""

from __future__ import annotations

import base64
import time
import uuid
from collections.abc import Mapping
from datetime import datetime
from email.message import Message
from typing import Any
from urllib.parse import parse_qs

from allstore.local.aws import ACCOUNT_ID, REGION


def api_gateway_event(
    *,
    method: str,
    path: str,
    request_path: str,
    query: str,
    headers: Mapping[str, str] | Message,
    body: bytes,
    resource: str,
    path_parameters: dict[str, str],
    stage: str,
    source_ip: str,
) -> dict[str, Any]:
    """A REST API proxy event for `method path?query` matched to `resource` (e.g. `/items/{id}`).

    `path` is the path under the stage, `request_path` the whole one (`/Prod/items/`), as sent.
    As API Gateway does, a repeated query parameter or header gives its last value in
    `queryStringParameters` / `headers` and all of them, in order, in the `multiValue...` fields;
    query values are URL-decoded (`+` is a space).
    """
    multi_query = parse_qs(query, keep_blank_values=True)
    multi_headers: dict[str, list[str]] = {}
    for name, value in headers.items():
        multi_headers.setdefault(name, []).append(value)
    now = time.time()
    body_text: str | None = None
    is_base64 = False
    if body:
        try:
            body_text = body.decode("utf-8")
        except UnicodeDecodeError:
            body_text, is_base64 = base64.b64encode(body).decode(), True
    return {
        "resource": resource,
        "path": path,
        "httpMethod": method,
        "headers": {name: values[-1] for name, values in multi_headers.items()} or None,
        "multiValueHeaders": multi_headers or None,
        "queryStringParameters": {name: values[-1] for name, values in multi_query.items()} or None,
        "multiValueQueryStringParameters": multi_query or None,
        "pathParameters": path_parameters or None,
        "stageVariables": None,
        "requestContext": {
            "accountId": ACCOUNT_ID,
            "apiId": "local",
            "resourceId": "local",
            "resourcePath": resource,
            "httpMethod": method,
            "path": request_path,
            "stage": stage,
            "protocol": "HTTP/1.1",
            "requestId": str(uuid.uuid4()),
            "extendedRequestId": str(uuid.uuid4()),
            "requestTime": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)),
            "requestTimeEpoch": int(now * 1000),
            "identity": {
                "sourceIp": source_ip,
                "userAgent": headers.get("User-Agent") or headers.get("user-agent"),
            },
            "domainName": headers.get("Host") or headers.get("host") or "127.0.0.1",
        },
        "body": body_text,
        "isBase64Encoded": is_base64,
    }


def _epoch(value: Any) -> float:
    return value.timestamp() if isinstance(value, datetime) else float(value)


def dynamodb_stream_record(record: dict[str, Any], stream_arn: str) -> dict[str, Any]:
    """A DynamoDB Streams `GetRecords` record (as boto3 returns it) as Lambda delivers it."""
    stream_record = dict(record["dynamodb"])
    if "ApproximateCreationDateTime" in stream_record:
        stream_record["ApproximateCreationDateTime"] = _epoch(stream_record["ApproximateCreationDateTime"])
    return {
        "eventID": record.get("eventID") or uuid.uuid4().hex,
        "eventName": record["eventName"],
        "eventVersion": record.get("eventVersion", "1.1"),
        "eventSource": "aws:dynamodb",
        "awsRegion": record.get("awsRegion", REGION),
        "dynamodb": stream_record,
        "eventSourceARN": stream_arn,
    }


def kinesis_record(
    record: dict[str, Any], shard_id: str, stream_arn: str, function_role_arn: str
) -> dict[str, Any]:
    """A Kinesis `GetRecords` record (as boto3 returns it: bytes data) as Lambda delivers it."""
    return {
        "kinesis": {
            "kinesisSchemaVersion": "1.0",
            "partitionKey": record["PartitionKey"],
            "sequenceNumber": record["SequenceNumber"],
            "data": base64.b64encode(record["Data"]).decode(),
            "approximateArrivalTimestamp": _epoch(record["ApproximateArrivalTimestamp"]),
        },
        "eventSource": "aws:kinesis",
        "eventVersion": "1.0",
        "eventID": f"{shard_id}:{record['SequenceNumber']}",
        "eventName": "aws:kinesis:record",
        "invokeIdentityArn": function_role_arn,
        "awsRegion": REGION,
        "eventSourceARN": stream_arn,
    }


def sequence_number(lambda_record: dict[str, Any]) -> str:
    """The record's sequence number, the id `batchItemFailures` refers to."""
    if "kinesis" in lambda_record:
        return lambda_record["kinesis"]["sequenceNumber"]
    return lambda_record["dynamodb"]["SequenceNumber"]
