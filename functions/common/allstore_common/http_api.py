"""The API Gateway resolver every API function uses: CORS, JSON bodies and error responses.

Every response body is JSON. Errors are `{"statusCode", "message"}` with a 4xx/5xx status (the
Powertools `ServiceError` shape); a failing dependency becomes 502 (it answered with an error) or 503
(unreachable or throttling, worth retrying), and anything unexpected becomes a 500 whose body never
carries a stack trace — the trace goes to the function's log with the request's correlation id.
"""

from __future__ import annotations

import json
from decimal import Decimal
from http import HTTPStatus
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayRestResolver, CORSConfig
from aws_lambda_powertools.event_handler.exceptions import ServiceError
from botocore.exceptions import BotoCoreError, ClientError, ConnectionError, ReadTimeoutError
from opensearchpy.exceptions import ConnectionError as SearchConnectionError
from opensearchpy.exceptions import NotFoundError as SearchNotFoundError
from opensearchpy.exceptions import TransportError as SearchTransportError

logger = Logger(child=True)

# Error codes AWS services use when the caller should back off and retry.
RETRYABLE_CODES = frozenset(
    {
        "ProvisionedThroughputExceededException",
        "RequestLimitExceeded",
        "ThrottlingException",
        "Throttling",
        "TooManyRequestsException",
        "InternalServerError",
        "ServiceUnavailable",
    }
)


class DependencyUnavailable(ServiceError):
    """A service the API needs could not answer in time; the client may retry (503)."""

    def __init__(self, msg: str):
        super().__init__(HTTPStatus.SERVICE_UNAVAILABLE, msg)


class DependencyFailed(ServiceError):
    """A service the API needs answered with an error (502)."""

    def __init__(self, msg: str):
        super().__init__(HTTPStatus.BAD_GATEWAY, msg)


def _json_default(value: Any) -> Any:
    """DynamoDB numbers arrive as Decimal: whole ones become ints, the rest floats."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, set):  # DynamoDB string and number sets
        return sorted(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def to_json(body: Any) -> str:
    """Serialize a response body (Decimals as numbers, not strings as Powertools' default)."""
    return json.dumps(body, default=_json_default, separators=(",", ":"), ensure_ascii=False)


def create_api() -> APIGatewayRestResolver:
    """A REST API resolver with the store's CORS policy and error mapping."""
    app = APIGatewayRestResolver(
        cors=CORSConfig(allow_origin="*", allow_credentials=False),
        serializer=to_json,
    )
    app.exception_handler(ClientError)(_aws_client_error)
    app.exception_handler(BotoCoreError)(_aws_unreachable)
    app.exception_handler(SearchTransportError)(_search_error)
    app.exception_handler(Exception)(_unexpected_error)
    return app


def _aws_client_error(error: ClientError) -> None:
    code = error.response.get("Error", {}).get("Code", "Unknown")
    logger.exception("AWS call %s failed with %s", error.operation_name, code)
    message = f"The store's database call {error.operation_name} failed ({code})."
    if code in RETRYABLE_CODES or error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) >= 500:
        raise DependencyUnavailable(message + " Try again shortly.")
    raise DependencyFailed(message)


def _aws_unreachable(error: BotoCoreError) -> None:
    logger.exception("AWS call failed before an answer")
    if isinstance(error, ConnectionError | ReadTimeoutError):
        raise DependencyUnavailable("The store's database could not be reached. Try again shortly.")
    raise DependencyFailed(f"The store's database call failed: {type(error).__name__}.")


def _search_error(error: SearchTransportError) -> None:
    logger.exception("Search request failed")
    if isinstance(error, SearchConnectionError):
        raise DependencyUnavailable("The search service could not be reached. Try again shortly.")
    if isinstance(error, SearchNotFoundError):
        raise DependencyUnavailable("The search index does not exist yet; loading items creates it.")
    status = error.status_code if isinstance(error.status_code, int) else 0
    if status in (429, 503):
        raise DependencyUnavailable(f"The search service is busy (HTTP {status}). Try again shortly.")
    raise DependencyFailed(f"The search service answered with an error ({error.error}).")


def _unexpected_error(error: Exception) -> None:
    if isinstance(error, ServiceError):
        raise error  # Powertools renders these itself, with their own status
    logger.exception("Unhandled error")
    raise ServiceError(HTTPStatus.INTERNAL_SERVER_ERROR, "Internal error; the request id is in the logs.")
