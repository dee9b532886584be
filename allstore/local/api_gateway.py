"""API Gateway's REST proxy integration for the template's `Api` events, as an HTTP app.

A request under `/<Stage>/` becomes a proxy event for the route's function, its answer the HTTP
response; CORS preflights are answered from the API's `Cors` setting; an unknown route is API
Gateway's 403. The API is public, as on AWS: any origin, `Access-Control-Allow-Origin` as the
template sets it (`*`, without credentials).
"""

from __future__ import annotations

import base64
import json
import logging
import re
from dataclasses import dataclass
from email.message import Message
from http import HTTPStatus
from typing import Any
from urllib.parse import unquote, urlsplit

from allstore.local.event_shapes import api_gateway_event
from allstore.local.lambda_runtime import FunctionError, FunctionRuntime
from allstore.loopback import Response

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ApiRoute:
    """One `Api` event: `GET /items/{id}` on stage `Prod`, served by a function."""

    method: str
    resource: str
    pattern: re.Pattern[str]
    function: str
    stage: str
    cors: dict[str, str] | None

    def match(self, method: str, path: str) -> dict[str, str] | None:
        if self.method not in {"ANY", method}:
            return None
        found = self.pattern.fullmatch(path)
        return None if found is None else {name: unquote(value) for name, value in found.groupdict().items()}


def route_pattern(resource: str) -> re.Pattern[str]:
    """`/items/{id}` → a regex with a named group per path parameter (`{proxy+}` spans slashes)."""
    parts = []
    for piece in re.split(r"(\{[^}]+\})", resource):
        if piece.startswith("{") and piece.endswith("+}"):
            parts.append(f"(?P<{piece[1:-2]}>.+)")
        elif piece.startswith("{"):
            parts.append(f"(?P<{piece[1:-1]}>[^/]+)")
        else:
            parts.append(re.escape(piece))
    return re.compile("".join(parts))


def api_routes(functions: dict[str, Any], api_definitions: dict[str, dict[str, Any]]) -> list[ApiRoute]:
    """The routes of every function's `Api` events (`functions`: logical id → FunctionSpec).

    `api_definitions` maps each Api's Ref value to its resolved properties (StageName, Cors).
    Literal routes win over parameterised ones, as in API Gateway.
    """
    routes = []
    for logical_id, spec in functions.items():
        for event in spec.events.values():
            if event.get("Type") != "Api":
                continue
            properties = event["Properties"]
            api = api_definitions.get(properties.get("RestApiId"), {})
            stage = api.get("StageName", "Prod")
            cors = api.get("Cors")
            if isinstance(cors, str):
                cors = {"AllowOrigin": cors}
            routes.append(
                ApiRoute(
                    method=properties["Method"].upper(),
                    resource=properties["Path"],
                    pattern=route_pattern(properties["Path"]),
                    function=logical_id,
                    stage=stage,
                    cors={name: str(value).strip("'") for name, value in cors.items()} if cors else None,
                )
            )
    return sorted(routes, key=lambda route: (route.resource.count("{"), -len(route.resource)))


# The errors the gateway's HTTP layer answers itself, as API Gateway names them in x-amzn-ErrorType.
WIRE_ERROR_TYPES = {
    400: "BadRequestException",
    403: "ForbiddenException",
    404: "NotFoundException",
    405: "MethodNotAllowedException",
    413: "RequestEntityTooLargeException",
}


def render_error(status: int, message: str) -> tuple[dict[str, str], bytes]:
    """API Gateway's error shape, `{"message"}` with the type in `x-amzn-ErrorType` — which is also
    how botocore reads a REST-JSON error, so the Lambda API's clients get a proper ClientError."""
    error_type = WIRE_ERROR_TYPES.get(
        status, "InternalServerErrorException" if status >= 500 else "BadRequestException"
    )
    return {"Content-Type": "application/json", "x-amzn-ErrorType": error_type}, json.dumps(
        {"message": message}
    ).encode()


def json_response(status: int, document: Any, headers: dict[str, str] | None = None) -> Response:
    return status, {"Content-Type": "application/json", **(headers or {})}, json.dumps(document).encode()


class ApiGatewayProxy:
    """The stages' routes, each served by its function's local runtime."""

    def __init__(self, routes: list[ApiRoute], runtimes: dict[str, FunctionRuntime]) -> None:
        self.routes = routes
        self.runtimes = runtimes
        self.stages = frozenset(route.stage for route in routes)

    def stage_of(self, path: str) -> str | None:
        """The stage a request path is under (`/Prod/items` → `Prod`), if any."""
        stage = path.split("/", 2)[1] if path.count("/") >= 1 else ""
        return stage if stage in self.stages else None

    def __call__(self, method: str, target: str, headers: Message, body: bytes) -> Response:
        split = urlsplit(target)
        stage = self.stage_of(split.path)
        assert stage is not None, "the gateway routes only stage paths here"
        path = split.path[len(stage) + 1 :] or "/"
        candidates = [
            route for route in self.routes if route.stage == stage and route.pattern.fullmatch(path)
        ]
        if method == "OPTIONS" and candidates and candidates[0].cors:
            cors = candidates[0].cors
            return (
                HTTPStatus.OK,
                {
                    "Access-Control-Allow-Origin": cors.get("AllowOrigin", "*"),
                    "Access-Control-Allow-Methods": cors.get("AllowMethods", "OPTIONS"),
                    "Access-Control-Allow-Headers": cors.get("AllowHeaders", ""),
                    "Content-Type": "application/json",
                },
                b"",
            )
        for route in candidates:
            parameters = route.match(method, path)
            if parameters is not None:
                break
        else:
            return json_response(HTTPStatus.FORBIDDEN, {"message": "Missing Authentication Token"})
        event = api_gateway_event(
            method=method,
            path=path,
            query=split.query,
            headers=headers,  # all of them: a repeated header reaches multiValueHeaders
            body=body,
            resource=route.resource,
            path_parameters=parameters,
            stage=stage,
            source_ip="127.0.0.1",  # the gateway listens on the loopback interface only
        )
        try:
            result = self.runtimes[route.function].invoke(event)
        except FunctionError as error:
            log.warning("%s %s: the function failed: %s", method, path, error.payload.get("errorMessage"))
            return json_response(HTTPStatus.BAD_GATEWAY, {"message": "Internal server error"})
        return proxy_result(result)


def proxy_result(result: Any) -> Response:
    """A Lambda proxy integration answer → HTTP; a malformed one is API Gateway's 502."""
    if not isinstance(result, dict) or not isinstance(result.get("statusCode"), int):
        log.warning("malformed Lambda proxy response: %r", result)
        return json_response(HTTPStatus.BAD_GATEWAY, {"message": "Internal server error"})
    body = result.get("body") or ""
    payload = base64.b64decode(body) if result.get("isBase64Encoded") else str(body).encode()
    single = result.get("headers") or {}
    headers = [(name, str(value)) for name, value in single.items()]
    for name, values in (result.get("multiValueHeaders") or {}).items():
        if name not in single:
            headers.extend((name, str(value)) for value in values)
    return result["statusCode"], headers, payload
