"""GET /session: what the web UI needs to start — demo users, and where to send click events.

The browser signs in anonymously with the Cognito identity pool and puts click events on the Kinesis
stream. Locally those services live at other URLs, which CLIENT_ENDPOINTS (a JSON object, empty on
AWS) names; they are passed on as `Endpoints`.
"""

import json
import os
import re

import boto3
from allstore_common.http_api import create_api
from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.event_handler.exceptions import ServiceError
from aws_lambda_powertools.logging import correlation_paths

logger = Logger()
tracer = Tracer()
metrics = Metrics()
app = create_api()
users_table = boto3.resource("dynamodb").Table(os.environ["USERS_TABLE"])


def pascal_case(name: str) -> str:
    """`firstName` → `FirstName`, as the original's UserList keys."""
    return name[:1].upper() + name[1:]


def _natural_order(user: dict) -> list:
    """Numeric ids in numeric order ("2" before "10"), others alphabetically."""
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", str(user.get("Id", "")))]


def all_users() -> list[dict]:
    """Every user in the Users table (paginated Scan), with PascalCased attribute names."""
    users: list[dict] = []
    arguments: dict = {}
    while True:
        response = users_table.scan(**arguments)
        users.extend({pascal_case(name): value for name, value in user.items()} for user in response["Items"])
        if "LastEvaluatedKey" not in response:
            return sorted(users, key=_natural_order)
        arguments["ExclusiveStartKey"] = response["LastEvaluatedKey"]


def client_endpoints() -> dict[str, str]:
    """CLIENT_ENDPOINTS as a dict; a malformed value is a deployment error, reported as one."""
    raw = os.environ.get("CLIENT_ENDPOINTS", "").strip()
    if not raw:
        return {}
    try:
        endpoints = json.loads(raw)
    except ValueError:
        endpoints = None
    if not isinstance(endpoints, dict) or not all(isinstance(url, str) for url in endpoints.values()):
        logger.error("CLIENT_ENDPOINTS is not a JSON object of service name to URL", extra={"value": raw})
        raise ServiceError(500, "The API is misconfigured: CLIENT_ENDPOINTS is not a JSON object of URLs.")
    return endpoints


@app.get("/session")
@tracer.capture_method
def session() -> dict:
    body = {
        "AnonymousPoolId": os.environ.get("IDENTITY_POOL_ID", ""),
        "StreamName": os.environ.get("STREAM_NAME", ""),
        "Region": os.environ.get("AWS_REGION", ""),
        "UserList": all_users(),
    }
    endpoints = client_endpoints()
    if endpoints:
        body["Endpoints"] = endpoints
    return body


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict, context) -> dict:
    return app.resolve(event, context)
