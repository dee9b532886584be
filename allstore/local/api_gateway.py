"""API Gateway's REST proxy integration for the template's `Api` events, as an HTTP app.

A request under `/<Stage>/` becomes a proxy event for the route's function, its answer the HTTP
response. Routing follows what a deployed REST API does (docs/local.md, "API routing"): slashes
before and after the stage name are merged, a trailing slash reaches the resource without it, the
path and path parameters reach the function as sent (percent-encoding kept), a missing resource
and a method the resource lacks are both `403 Missing Authentication Token`, no `HEAD` unless the
template declares it, and `OPTIONS` is the mock method SAM adds to every path when the API has
`Cors`. The API is public, as on AWS: any origin, `Access-Control-Allow-Origin` as the template
sets it (`*`, without credentials).
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
        """The path parameters if this route serves `method path`, as sent: a REST API passes them
        percent-encoded (`a%2Fb` stays `a%2Fb`), unlike HTTP APIs, which decode them."""
        if self.method not in {"ANY", method}:
            return None
        found = self.pattern.fullmatch(path)
        return None if found is None else found.groupdict()


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
        """The stage a request path is under (`/Prod/items`, `//Prod/items` → `Prod`), if any."""
        stage = path.lstrip("/").split("/", 1)[0]
        return stage if stage in self.stages else None

    def __call__(self, method: str, target: str, headers: Message, body: bytes) -> Response:
        target_path, _, query = target.partition("?")  # not urlsplit: `//Prod/x` is a path here
        stage, separator, rest = target_path.lstrip("/").partition("/")
        assert stage in self.stages, "the gateway routes only stage paths here"
        path = "/" + rest.lstrip("/")  # the event's `path`: a trailing slash and inner `//` kept
        resource_path = path.rstrip("/") or "/"
        candidates = [
            route for route in self.routes if route.stage == stage and route.pattern.fullmatch(resource_path)
        ]
        if method == "OPTIONS" and candidates and candidates[0].cors:
            return cors_preflight(candidates[0].cors, candidates)
        for route in candidates:
            parameters = route.match(method, resource_path)
            if parameters is not None:
                break
        else:
            return json_response(
                HTTPStatus.FORBIDDEN,
                {"message": "Missing Authentication Token"},
                {"x-amzn-ErrorType": "MissingAuthenticationTokenException"},
            )
        event = api_gateway_event(
            method=method,
            path=path,
            request_path=f"/{stage}{separator}{rest}",
            query=query,
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


# What SAM lists in Access-Control-Allow-Methods for a path with an ANY method.
ANY_METHODS = frozenset({"DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT"})


def cors_preflight(cors: dict[str, str], routes: list[ApiRoute]) -> Response:
    """The `OPTIONS` mock SAM adds to each path of an API with `Cors`: 200 with the configured
    headers (Allow-Methods, when not configured, lists the path's methods and OPTIONS), body `{}`.

    `routes` are the routes matching the request's path, the one the path resolves to first."""
    headers = {"Content-Type": "application/json", "Access-Control-Allow-Origin": cors["AllowOrigin"]}
    if cors.get("AllowHeaders"):
        headers["Access-Control-Allow-Headers"] = cors["AllowHeaders"]
    methods = {route.method for route in routes if route.resource == routes[0].resource}
    if "ANY" in methods:
        methods = ANY_METHODS
    headers["Access-Control-Allow-Methods"] = cors.get("AllowMethods") or ",".join(
        sorted(methods | {"OPTIONS"})
    )
    if cors.get("MaxAge") is not None:
        headers["Access-Control-Max-Age"] = cors["MaxAge"]
    if cors.get("AllowCredentials") in {True, "true", "True"}:
        headers["Access-Control-Allow-Credentials"] = "true"
    return HTTPStatus.OK, headers, b"{}\n"


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
