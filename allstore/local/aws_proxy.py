"""The gateway's `/aws/<service>/` endpoints: a narrow proxy for the web UI, and the Lambda API.

- `/aws/kinesis/`, `/aws/cognito-identity/` — for the web UI only: PutRecord / PutRecords on the
  store's click stream, Cognito GetId (on the store's identity pool) / GetCredentialsForIdentity,
  with CORS for the store's own origin (its preflight allows only that). Anything else is Access
  denied. Requests go on to local AWS signed with the store's key (the browser's guest
  credentials are moto's inventions, which local AWS does not accept). The guest credentials
  last an hour, as Cognito's do (moto says 90 seconds, so the browser's SDK, which renews
  credentials 5 minutes before they expire, fetched new ones for every request it signed).
- `/aws/lambda/` — the Lambda API for boto3 and the CLI: the store's credentials required (aws_guard),
  no CORS; `Invoke` runs the local function, other operations go on to local Lambda (moto).
"""

from __future__ import annotations

import json
import logging
import re
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from email.message import Message
from http import HTTPStatus
from typing import Any
from urllib.parse import unquote, urlsplit

import urllib3

from allstore.credentials import StoreCredentials
from allstore.local.aws import REGION
from allstore.local.aws_guard import AwsGuard
from allstore.local.lambda_runtime import FunctionError, FunctionRuntime
from allstore.loopback import Response, parse_json

log = logging.getLogger(__name__)

LAMBDA_PREFIX = "/aws/lambda"
LAMBDA_INVOKE = re.compile(r"^/2015-03-31/functions/(?P<name>[^/]+)/invocations$")
JSON_1_1 = "application/x-amz-json-1.1"
# What the browser's AWS SDK sends (webui/src/events/clickEvents.ts); a preflight asking more is refused.
BROWSER_HEADERS = frozenset(
    {
        "content-type",
        "x-amz-target",
        "x-amz-date",
        "x-amz-security-token",
        "x-amz-user-agent",
        "x-amz-content-sha256",
        "authorization",
        "amz-sdk-invocation-id",
        "amz-sdk-request",
    }
)
GET_CREDENTIALS = "AWSCognitoIdentityService.GetCredentialsForIdentity"
# How long Cognito identity pool credentials are valid (Cognito developer guide, "Accessing AWS
# services with temporary credentials": "valid for one hour").
GUEST_CREDENTIALS_SECONDS = 3600
FORWARDED_REPLY_HEADERS = ("content-type", "x-amzn-requestid", "x-amzn-errortype", "x-amz-id-2")


class LocalAws:
    """Sends requests on to local AWS (moto), signed with the store's key."""

    def __init__(self, moto_url: str, credentials: StoreCredentials) -> None:
        self.moto_url = moto_url.rstrip("/")
        self.credentials = credentials
        self._http = urllib3.PoolManager(
            maxsize=32, retries=False, timeout=urllib3.Timeout(connect=5, read=120)
        )

    def forward(
        self, method: str, service: str, target: str, headers: Mapping[str, str], body: bytes
    ) -> Response:
        url = self.moto_url + target
        kept = {
            name: value
            for name, value in headers.items()
            if name.lower() == "content-type"
            or name.lower() == "x-amz-target"
            or (name.lower().startswith("x-amz-") and name.lower() not in BROWSER_HEADERS)
        }
        signed = self.credentials.sign(method, url, kept, body, service, REGION)
        response = self._http.request(method, url, body=body or None, headers=signed, preload_content=True)
        reply = {
            name: value for name, value in response.headers.items() if name.lower() in FORWARDED_REPLY_HEADERS
        }
        return response.status, reply, response.data


def _aws_json_error(
    status: int, code: str, message: str, headers: Mapping[str, str] | None = None
) -> Response:
    body = json.dumps({"__type": code, "message": message}).encode()
    return status, {"Content-Type": JSON_1_1, "x-amzn-ErrorType": code, **(headers or {})}, body


class BrowserAwsProxy:
    """The web UI's click tracking: only the operations it makes, on the store's own resources."""

    def __init__(
        self,
        local_aws: LocalAws,
        store_origins: Iterable[str],
        stream_names: Iterable[str],
        identity_pools: Iterable[str],
    ) -> None:
        self.local_aws = local_aws
        self.store_origins = frozenset(origin.lower() for origin in store_origins)
        streams = frozenset(stream_names)
        pools = frozenset(identity_pools)
        self.allowed: dict[str, dict[str, Callable[[dict[str, Any]], bool]]] = {
            "kinesis": {
                "Kinesis_20131202.PutRecord": lambda body: _stream_of(body) in streams,
                "Kinesis_20131202.PutRecords": lambda body: _stream_of(body) in streams,
            },
            "cognito-identity": {
                "AWSCognitoIdentityService.GetId": lambda body: body.get("IdentityPoolId") in pools,
                GET_CREDENTIALS: lambda body: True,
            },
        }

    def __call__(self, method: str, target: str, headers: Message, body: bytes) -> Response:
        service, _, rest = urlsplit(target).path[len("/aws/") :].partition("/")
        origin = headers.get("Origin")
        if origin is not None and origin.lower() not in self.store_origins:
            return _aws_json_error(
                403, "AccessDeniedException", f"Requests from web pages on {origin} are refused."
            )
        cors = self._cors(origin)
        if service not in self.allowed:
            return _aws_json_error(
                403, "AccessDeniedException", f"/aws/{service}/ is not served to browsers.", cors
            )
        if method == "OPTIONS":
            return self._preflight(origin, headers)
        operation = headers.get("X-Amz-Target", "")
        check = self.allowed[service].get(operation)
        if method != "POST" or rest.strip("/") or check is None:
            return _aws_json_error(
                403,
                "AccessDeniedException",
                f"The store's web UI may not call {operation or method} here.",
                cors,
            )
        try:
            document = parse_json(body or b"{}")
        except ValueError as error:
            return _aws_json_error(400, "SerializationException", str(error), cors)
        if not isinstance(document, dict) or not check(document):
            return _aws_json_error(
                403, "AccessDeniedException", f"{operation} is allowed on the store's resources only.", cors
            )
        status, reply, payload = self.local_aws.forward("POST", service, "/", headers, body)
        if operation == GET_CREDENTIALS and status == HTTPStatus.OK:
            payload = _valid_for_an_hour(payload)
        return status, {**reply, **cors}, payload

    def _cors(self, origin: str | None) -> dict[str, str]:
        if origin is None:
            return {}
        return {
            "Access-Control-Allow-Origin": origin,
            "Vary": "Origin",
            "Access-Control-Expose-Headers": "x-amzn-RequestId,x-amzn-ErrorType",
        }

    def _preflight(self, origin: str | None, headers: Message) -> Response:
        requested = {
            name.strip().lower()
            for name in (headers.get("Access-Control-Request-Headers") or "").split(",")
            if name.strip()
        }
        if (
            origin is None
            or headers.get("Access-Control-Request-Method") != "POST"
            or not requested <= BROWSER_HEADERS
        ):
            return _aws_json_error(
                403, "AccessDeniedException", "This preflight asks for more than the web UI needs."
            )
        return (
            HTTPStatus.OK,
            {
                **self._cors(origin),
                "Access-Control-Allow-Methods": "POST",
                "Access-Control-Allow-Headers": ",".join(sorted(requested)),
                "Access-Control-Max-Age": "600",
            },
            b"",
        )


def _valid_for_an_hour(payload: bytes) -> bytes:
    """A GetCredentialsForIdentity answer whose credentials expire in an hour from now."""
    document = parse_json(payload)
    document["Credentials"]["Expiration"] = round(time.time() + GUEST_CREDENTIALS_SECONDS, 3)
    return json.dumps(document).encode()


def _stream_of(body: dict[str, Any]) -> str | None:
    if isinstance(body.get("StreamName"), str):
        return body["StreamName"]
    arn = body.get("StreamARN")
    return arn.rsplit(":stream/", 1)[-1] if isinstance(arn, str) and ":stream/" in arn else None


class LambdaApi:
    """Lambda's REST API under `/aws/lambda`, for clients with the store's credentials."""

    def __init__(self, local_aws: LocalAws, guard: AwsGuard, runtimes: dict[str, FunctionRuntime]) -> None:
        self.local_aws = local_aws
        self.guard = guard
        self.runtimes = runtimes

    def runtime_for(self, name_or_arn: str) -> FunctionRuntime | None:
        """The local function a Lambda API call names (name, ARN, or ARN with a qualifier)."""
        name = unquote(name_or_arn)
        if name.startswith("arn:"):
            name = name.split(":")[6]
        name = name.split(":")[0]
        return next((runtime for runtime in self.runtimes.values() if runtime.spec.name == name), None)

    def __call__(self, method: str, target: str, headers: Message, body: bytes) -> Response:
        refusal, _ = self.guard.check(method, target, dict(headers.items()), body, path_prefix=LAMBDA_PREFIX)
        if refusal is not None:
            return (refusal.status, *refusal.render(dict(headers.items()), "lambda"))
        rest = target[len(LAMBDA_PREFIX) :] or "/"
        invoke = LAMBDA_INVOKE.match(urlsplit(rest).path)
        if method == "POST" and invoke:
            return self._invoke(invoke.group("name"), headers, body)
        return self.local_aws.forward(method, "lambda", rest, headers, body)

    def _invoke(self, name: str, headers: Message, body: bytes) -> Response:
        runtime = self.runtime_for(name)
        if runtime is None:
            return _lambda_error(404, "ResourceNotFoundException", f"Function not found: {unquote(name)}")
        try:
            event = parse_json(body or b"{}")
        except ValueError:
            return _lambda_error(
                400, "InvalidRequestContentException", "Could not parse request body into json"
            )
        invocation_type = headers.get("X-Amz-Invocation-Type", "RequestResponse")
        if invocation_type == "DryRun":
            return HTTPStatus.NO_CONTENT, {}, b""
        if invocation_type == "Event":
            threading.Thread(target=_invoke_async, args=(runtime, event), daemon=True).start()
            return HTTPStatus.ACCEPTED, {"Content-Type": "application/json"}, b""
        reply = {"Content-Type": "application/json", "X-Amz-Executed-Version": "$LATEST"}
        try:
            payload = json.dumps(runtime.invoke(event)).encode()
        except FunctionError as error:  # its stack trace (local paths) stays in the function's log
            answer = {key: value for key, value in error.payload.items() if key != "stackTrace"}
            payload, reply["X-Amz-Function-Error"] = json.dumps(answer).encode(), "Unhandled"
        return HTTPStatus.OK, reply, payload


def _lambda_error(status: int, code: str, message: str) -> Response:
    body = json.dumps({"Type": "User", "Message": message}).encode()
    return status, {"Content-Type": "application/json", "x-amzn-ErrorType": code}, body


def _invoke_async(runtime: FunctionRuntime, event: Any) -> None:
    try:
        runtime.invoke(event)
    except FunctionError as error:
        log.warning("async invoke of %s failed: %s", runtime.spec.name, error.payload.get("errorMessage"))
