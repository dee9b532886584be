"""The wire protocol: one loopback HTTP server that speaks all three Personalize APIs.

- control plane (JSON 1.1): `POST /` with `X-Amz-Target: AmazonPersonalize.<Operation>`;
- runtime (REST-JSON): `POST /recommendations`, `/personalize-ranking`, `/action-recommendations`;
- events (REST-JSON): `POST /events`, `/items`, `/users`, `/actions`, `/action-interactions`.

Every operation must be signed (SigV4, service `personalize`) with the credentials the server was
given: the store's key pair, or one kept in the state directory for a service run on its own. A
request without a valid signature is refused with 403 and AWS's code (`MissingAuthenticationToken`,
`UnrecognizedClientException`, `InvalidSignatureException`), before its body is parsed: the
control plane deletes campaigns, so no other process or page may drive it.

Errors carry the modelled exception name in `__type` and in the `x-amzn-ErrorType` header, with the
status the model gives it, so botocore raises `client.exceptions.<Name>`.
"""

from __future__ import annotations

import json
import logging
import re
import uuid
from email.message import Message
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from allstore.credentials import SignatureRejected, StoreCredentials
from allstore.loopback import LoopbackServer, Response, parse_json
from allstore.personalize import apimodel
from allstore.personalize.errors import ServiceError
from allstore.personalize.service import PersonalizeService
from allstore.personalize.state.resources import REQUEST_REGION

logger = logging.getLogger(__name__)
TARGET_PREFIX = "AmazonPersonalize."
SIGNING_NAME = "personalize"  # botocore's signingName for all three APIs
REST_ROUTES = {
    "/recommendations": (apimodel.RUNTIME, "GetRecommendations"),
    "/personalize-ranking": (apimodel.RUNTIME, "GetPersonalizedRanking"),
    "/events": (apimodel.EVENTS, "PutEvents"),
    "/items": (apimodel.EVENTS, "PutItems"),
    "/users": (apimodel.EVENTS, "PutUsers"),
    "/actions": (apimodel.EVENTS, "PutActions"),
    "/action-interactions": (apimodel.EVENTS, "PutActionInteractions"),
    "/action-recommendations": (apimodel.RUNTIME, "GetActionRecommendations"),
}
MAX_BODY_BYTES = 10 * 1024 * 1024
# SigV4's credential scope: Credential=<key>/<date>/<region>/<service>/aws4_request.
CREDENTIAL_SCOPE = re.compile(r"Credential=[^/,\s]+/\d{8}/([a-z0-9-]{1,32})/[a-z0-9-]+/aws4_request")
JSON = "application/json"
# The errors the HTTP layer itself answers (wrong Host, oversized body, ...), by status.
WIRE_ERRORS = {
    403: "AccessDeniedException",
    404: "UnknownOperationException",
    405: "UnknownOperationException",
    500: "InternalFailure",
}


def render_error(status: int, message: str) -> tuple[dict[str, str], bytes]:
    reply, body = _error(status, WIRE_ERRORS.get(status, "InvalidInputException"), message, JSON)[1:]
    return {**reply, "x-amzn-RequestId": str(uuid.uuid4())}, body


def _error(status: int, code: str, message: str, content_type: str) -> Response:
    body = json.dumps({"__type": code, "message": message}, separators=(",", ":")).encode()
    return status, {"Content-Type": content_type, "x-amzn-ErrorType": code}, body


def personalize_app(service: PersonalizeService, credentials: StoreCredentials) -> Any:
    """The three APIs' wire protocol over `service.handle(api, operation, params)`, for requests
    signed with `credentials`; every answer carries a request id (`x-amzn-RequestId`, botocore's
    ResponseMetadata.RequestId), and the request's signing region names the resources it creates."""

    def app(method: str, target: str, headers: Message, body: bytes) -> Response:
        scope = CREDENTIAL_SCOPE.search(headers.get("Authorization", ""))
        token = REQUEST_REGION.set(scope.group(1) if scope else None)
        try:
            status, reply, payload = serve(method, target, headers, body)
        finally:
            REQUEST_REGION.reset(token)
        return status, {**reply, "x-amzn-RequestId": str(uuid.uuid4())}, payload

    def serve(method: str, target: str, headers: Message, body: bytes) -> Response:
        path = urlsplit(target).path
        if method == "GET" and path == "/":  # the runner's health check
            return 200, {"Content-Type": JSON}, b'{"status":"ok"}'
        operation_target = headers.get("X-Amz-Target", "")
        refusal = _signature_refusal(credentials, method, target, headers, body)
        if refusal is not None:  # before routing, as AWS answers an unsigned request anywhere
            content_type = "application/x-amz-json-1.1" if operation_target else JSON
            return _error(403, *refusal, content_type)
        if method == "POST" and path == "/" and operation_target.startswith(TARGET_PREFIX):
            api, operation = apimodel.CONTROL_PLANE, operation_target.removeprefix(TARGET_PREFIX)
            content_type = "application/x-amz-json-1.1"
        elif method == "POST" and path in REST_ROUTES:
            (api, operation), content_type = REST_ROUTES[path], JSON
        else:
            return _error(404, "UnknownOperationException", f"No operation at {method} {path}", JSON)
        try:
            result = service.handle(api, operation, _json_object(body))
        except ServiceError as error:
            return _error(apimodel.http_status(api, error), error.code, error.message, content_type)
        except RecursionError:
            return _error(400, "InvalidInputException", "The request is nested too deeply.", content_type)
        except Exception:  # details go to the log, never to the client
            logger.exception("%s failed", operation)
            return _error(
                500, "InternalFailure", "Internal failure; the service's log has the details.", content_type
            )
        return 200, {"Content-Type": content_type}, json.dumps(result, separators=(",", ":")).encode()

    return app


def _signature_refusal(
    credentials: StoreCredentials, method: str, target: str, headers: Message, body: bytes
) -> tuple[str, str] | None:
    """(code, message) when the request is not signed for Personalize with `credentials`."""
    try:
        credentials.verify_for(SIGNING_NAME, method, target, dict(headers.items()), body)
    except SignatureRejected as rejected:
        return rejected.code, rejected.message
    return None


def _json_object(raw: bytes) -> dict[str, Any]:
    if not raw.strip():
        return {}
    try:
        body = parse_json(raw)
    except ValueError as error:
        raise ServiceError("InvalidInputException", f"The request body is not valid JSON: {error}") from None
    if not isinstance(body, dict):
        raise ServiceError("InvalidInputException", "The request body must be a JSON object.")
    return body


class PersonalizeServer:
    """The service on 127.0.0.1: `url = PersonalizeServer(state_dir, port=0).start()`, then `.stop()`.

    Port 0 picks a free port. boto3 clients for personalize, personalize-runtime and
    personalize-events all use the same URL as `endpoint_url`, and the key pair `credentials`:
    the one given (the store's), else `<state_dir>/credentials.json`, made at the first start.
    """

    def __init__(
        self,
        state_dir: str | Path,
        port: int = 0,
        host: str = "127.0.0.1",
        credentials: StoreCredentials | None = None,
    ) -> None:
        if host not in ("127.0.0.1", "localhost"):
            raise ValueError("the local Personalize service only listens on the loopback interface")
        self.state_dir = Path(state_dir)
        self.host, self.port = host, port
        self.credentials = credentials
        self.service: PersonalizeService | None = None
        self._server: LoopbackServer | None = None

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("the server is not running")
        return self._server.url

    def start(self) -> str:
        self.service = PersonalizeService(self.state_dir)  # claims the state directory first
        try:
            if self.credentials is None:
                self.credentials = StoreCredentials.for_state_dir(self.state_dir)
            self._server = LoopbackServer(
                personalize_app(self.service, self.credentials),
                port=self.port,
                name="personalize-http",
                render_error=render_error,
                max_body_bytes=MAX_BODY_BYTES,
            )
        except OSError:
            self.service.close()  # release the state directory for another attempt
            self.service = None
            raise
        self.service.directory_lock.describe(url=self._server.url)  # a second service names it
        return self._server.start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None
        if self.service is not None:
            self.service.close()
            self.service = None

    def __enter__(self) -> PersonalizeServer:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
