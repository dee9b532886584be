"""The local store's one HTTP origin on 127.0.0.1: API, web UI, images and browser-facing AWS.

- `/<Stage>/...` — every `Api` event of the template, as API Gateway's REST proxy integration: the
  request becomes a proxy event for the function's handler, its answer the HTTP response; CORS
  preflights are answered from the API's `Cors` setting; an unknown route is API Gateway's 403.
- `/aws/<service>/...` — local AWS for the browser (Cognito Identity, Kinesis) and for handlers and
  notebooks (Lambda), so one origin serves everything. Lambda `Invoke` runs the local function.
- `/images/...` — the data set's product images.
- everything else — the built web UI, with index.html for client-side routes (SPA fallback).
"""

from __future__ import annotations

import base64
import json
import logging
import mimetypes
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import urllib3

from allstore.local.event_shapes import api_gateway_event
from allstore.local.lambda_runtime import FunctionError, FunctionRuntime

log = logging.getLogger(__name__)

LAMBDA_INVOKE = re.compile(r"^/2015-03-31/functions/(?P<name>[^/]+)/invocations$")
HOP_BY_HOP = {
    "connection",
    "keep-alive",
    "transfer-encoding",
    "te",
    "trailer",
    "upgrade",
    "host",
    "content-length",
}


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


class Gateway:
    """The HTTP server; start() binds 127.0.0.1:`port` (0 = any free port) and returns the base URL."""

    def __init__(
        self,
        *,
        port: int,
        routes: list[ApiRoute],
        runtimes: dict[str, FunctionRuntime],
        aws_endpoints: dict[str, str],
        web_dir: Path | None,
        images_dir: Path | None,
    ) -> None:
        self.routes = routes
        self.runtimes = runtimes
        self.aws_endpoints = aws_endpoints
        self.web_dir = web_dir
        self.images_dir = images_dir
        self._http = urllib3.PoolManager(
            maxsize=32, retries=False, timeout=urllib3.Timeout(connect=5, read=120)
        )
        self._server = ThreadingHTTPServer(("127.0.0.1", port), _handler_class(self))
        self._server.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/"

    def start(self) -> str:
        self._thread = threading.Thread(target=self._server.serve_forever, name="gateway", daemon=True)
        self._thread.start()
        return self.url

    def stop(self) -> None:
        if self._thread is not None:  # shutdown() waits for a serve loop, so only when one runs
            self._server.shutdown()
        self._server.server_close()

    def runtime_for(self, name_or_arn: str) -> FunctionRuntime | None:
        """The local function a Lambda API call names (name, ARN, or ARN with a qualifier)."""
        name = unquote(name_or_arn)
        if name.startswith("arn:"):
            name = name.split(":")[6]
        name = name.split(":")[0]
        return next((runtime for runtime in self.runtimes.values() if runtime.spec.name == name), None)

    # ------------------------------------------------------------------ request handling

    def handle(self, request: BaseHTTPRequestHandler, method: str) -> None:
        split = urlsplit(request.path)
        path = split.path
        body = _read_body(request)
        try:
            if path.startswith("/aws/"):
                self._aws(request, method, path, split.query, body)
            elif path.startswith("/images/"):
                self._image(request, path)
            elif (stage_path := self._stage_path(path)) is not None:
                self._api(request, method, stage_path, split.query, body)
            else:
                self._web(request, method, path)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def _stage_path(self, path: str) -> tuple[str, str] | None:
        for stage in {route.stage for route in self.routes}:
            prefix = f"/{stage}"
            if path == prefix or path.startswith(prefix + "/"):
                return stage, path[len(prefix) :] or "/"
        return None

    def _api(
        self,
        request: BaseHTTPRequestHandler,
        method: str,
        stage_path: tuple[str, str],
        query: str,
        body: bytes,
    ) -> None:
        stage, path = stage_path
        candidates = [
            route for route in self.routes if route.stage == stage and route.pattern.fullmatch(path)
        ]
        if method == "OPTIONS" and candidates and candidates[0].cors:
            cors = candidates[0].cors
            _send(
                request,
                HTTPStatus.OK,
                b"",
                {
                    "Access-Control-Allow-Origin": cors.get("AllowOrigin", "*"),
                    "Access-Control-Allow-Methods": cors.get("AllowMethods", "OPTIONS"),
                    "Access-Control-Allow-Headers": cors.get("AllowHeaders", ""),
                    "Content-Type": "application/json",
                },
            )
            return
        for route in candidates:
            parameters = route.match(method, path)
            if parameters is not None:
                break
        else:
            _send_json(request, HTTPStatus.FORBIDDEN, {"message": "Missing Authentication Token"})
            return
        event = api_gateway_event(
            method=method,
            path=path,
            query=query,
            headers=dict(request.headers.items()),
            body=body,
            resource=route.resource,
            path_parameters=parameters,
            stage=stage,
            source_ip=request.client_address[0],
        )
        try:
            result = self.runtimes[route.function].invoke(event)
        except FunctionError as error:
            log.warning("%s %s: the function failed: %s", method, path, error.payload.get("errorMessage"))
            _send_json(request, HTTPStatus.BAD_GATEWAY, {"message": "Internal server error"})
            return
        _send_proxy_result(request, result)

    def _aws(self, request: BaseHTTPRequestHandler, method: str, path: str, query: str, body: bytes) -> None:
        service, _, rest = path[len("/aws/") :].partition("/")
        if method == "OPTIONS":
            _send(request, HTTPStatus.OK, b"", _cors_for_aws(request))
            return
        if service == "lambda" and method == "POST" and (invoke := LAMBDA_INVOKE.match("/" + rest)):
            self._lambda_invoke(request, invoke.group("name"), body)
            return
        upstream = self.aws_endpoints.get(service)
        if upstream is None:
            _send_json(
                request, HTTPStatus.NOT_FOUND, {"message": f"no local endpoint for service {service!r}"}
            )
            return
        headers = {name: value for name, value in request.headers.items() if name.lower() not in HOP_BY_HOP}
        url = f"{upstream.rstrip('/')}/{rest}" + (f"?{query}" if query else "")
        response = self._http.request(method, url, body=body or None, headers=headers, preload_content=True)
        reply_headers = {
            name: value for name, value in response.headers.items() if name.lower() not in HOP_BY_HOP
        }
        reply_headers.update(_cors_for_aws(request))
        _send(request, response.status, response.data, reply_headers)

    def _lambda_invoke(self, request: BaseHTTPRequestHandler, name: str, body: bytes) -> None:
        runtime = self.runtime_for(name)
        if runtime is None:
            message = f"Function not found: {unquote(name)}"
            _send(
                request,
                HTTPStatus.NOT_FOUND,
                json.dumps({"Type": "User", "Message": message}).encode(),
                {"Content-Type": "application/json", "x-amzn-ErrorType": "ResourceNotFoundException"},
            )
            return
        invocation_type = request.headers.get("X-Amz-Invocation-Type", "RequestResponse")
        try:
            event = json.loads(body or b"{}")
        except ValueError:
            _send(
                request,
                HTTPStatus.BAD_REQUEST,
                json.dumps({"Type": "User", "Message": "Could not parse request body into json"}).encode(),
                {"Content-Type": "application/json", "x-amzn-ErrorType": "InvalidRequestContentException"},
            )
            return
        if invocation_type == "DryRun":
            _send(request, HTTPStatus.NO_CONTENT, b"", {})
        elif invocation_type == "Event":
            threading.Thread(target=_invoke_async, args=(runtime, event), daemon=True).start()
            _send(request, HTTPStatus.ACCEPTED, b"", {"Content-Type": "application/json"})
        else:
            try:
                payload, headers = json.dumps(runtime.invoke(event)).encode(), {}
            except FunctionError as error:
                payload, headers = json.dumps(error.payload).encode(), {"X-Amz-Function-Error": "Unhandled"}
            headers.update({"Content-Type": "application/json", "X-Amz-Executed-Version": "$LATEST"})
            _send(request, HTTPStatus.OK, payload, headers)

    def _image(self, request: BaseHTTPRequestHandler, path: str) -> None:
        _send_file(request, self.images_dir, unquote(path[len("/images/") :]), cache="public, max-age=86400")

    def _web(self, request: BaseHTTPRequestHandler, method: str, path: str) -> None:
        if method not in {"GET", "HEAD"}:
            _send_json(request, HTTPStatus.METHOD_NOT_ALLOWED, {"message": "the web UI is read-only"})
            return
        if self.web_dir is None or not (self.web_dir / "index.html").is_file():
            page = (
                b"<!doctype html><title>AllStore</title><h1>AllStore</h1>"
                b"<p>The web UI is not built (it needs Node.js and npm): install them and run "
                b"<code>make run</code> again. The API is served at <a href='/Prod/recommendations'>/Prod/</a>.</p>"
            )
            _send(request, HTTPStatus.OK, page, {"Content-Type": "text/html; charset=utf-8"})
            return
        relative = unquote(path).lstrip("/") or "index.html"
        last = relative.rsplit("/", 1)[-1]
        if "." not in last:  # a client-side route, as the cloud's SPA routing function decides
            relative = "index.html"
        cache = "no-cache" if relative == "index.html" else "public, max-age=31536000, immutable"
        _send_file(request, self.web_dir, relative, cache=cache)


def _invoke_async(runtime: FunctionRuntime, event: Any) -> None:
    try:
        runtime.invoke(event)
    except FunctionError as error:
        log.warning("async invoke of %s failed: %s", runtime.spec.name, error.payload.get("errorMessage"))


def _read_body(request: BaseHTTPRequestHandler) -> bytes:
    length = int(request.headers.get("Content-Length") or 0)
    return request.rfile.read(length) if length > 0 else b""


def _cors_for_aws(request: BaseHTTPRequestHandler) -> dict[str, str]:
    """The browser's AWS SDK sends signed headers; allow whatever it asks for, from any origin."""
    return {
        "Access-Control-Allow-Origin": "*",
        "Access-Control-Allow-Methods": "GET,POST,PUT,DELETE,OPTIONS",
        "Access-Control-Allow-Headers": request.headers.get("Access-Control-Request-Headers", "*"),
        "Access-Control-Expose-Headers": "x-amzn-RequestId,x-amzn-ErrorType,x-amz-request-id",
    }


def _send(request: BaseHTTPRequestHandler, status: int, body: bytes, headers: dict[str, str]) -> None:
    request.send_response(status)
    for name, value in headers.items():
        request.send_header(name, value)
    request.send_header("Content-Length", str(len(body)))
    request.end_headers()
    if request.command != "HEAD":
        request.wfile.write(body)


def _send_json(request: BaseHTTPRequestHandler, status: int, document: Any) -> None:
    _send(request, status, json.dumps(document).encode(), {"Content-Type": "application/json"})


def _send_proxy_result(request: BaseHTTPRequestHandler, result: Any) -> None:
    """A Lambda proxy integration answer → HTTP; a malformed one is API Gateway's 502."""
    if not isinstance(result, dict) or not isinstance(result.get("statusCode"), int):
        log.warning("malformed Lambda proxy response: %r", result)
        _send_json(request, HTTPStatus.BAD_GATEWAY, {"message": "Internal server error"})
        return
    body = result.get("body") or ""
    payload = base64.b64decode(body) if result.get("isBase64Encoded") else str(body).encode()
    request.send_response(result["statusCode"])
    for name, value in (result.get("headers") or {}).items():
        request.send_header(name, str(value))
    for name, values in (result.get("multiValueHeaders") or {}).items():
        if name not in (result.get("headers") or {}):
            for value in values:
                request.send_header(name, str(value))
    request.send_header("Content-Length", str(len(payload)))
    request.end_headers()
    if request.command != "HEAD":
        request.wfile.write(payload)


def _send_file(request: BaseHTTPRequestHandler, root: Path | None, relative: str, cache: str) -> None:
    if root is None:
        _send_json(request, HTTPStatus.NOT_FOUND, {"message": "not found"})
        return
    root = root.resolve()
    target = (root / relative).resolve()
    if not target.is_relative_to(root) or not target.is_file():
        _send_json(request, HTTPStatus.NOT_FOUND, {"message": f"/{relative} not found"})
        return
    content_type = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
    _send(request, HTTPStatus.OK, target.read_bytes(), {"Content-Type": content_type, "Cache-Control": cache})


def _handler_class(gateway: Gateway) -> Callable[..., BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "AllStore"
        disable_nagle_algorithm = True  # headers and body are two writes: no 40 ms delayed-ACK stall

        def log_message(self, format: str, *args: Any) -> None:
            log.debug("%s - %s", self.address_string(), format % args)

        def do_GET(self) -> None:
            gateway.handle(self, "GET")

        def do_HEAD(self) -> None:
            gateway.handle(self, "HEAD")

        def do_POST(self) -> None:
            gateway.handle(self, "POST")

        def do_PUT(self) -> None:
            gateway.handle(self, "PUT")

        def do_DELETE(self) -> None:
            gateway.handle(self, "DELETE")

        def do_OPTIONS(self) -> None:
            gateway.handle(self, "OPTIONS")

        def do_PATCH(self) -> None:
            gateway.handle(self, "PATCH")

    return Handler
