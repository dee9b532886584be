"""The wire protocol: one loopback HTTP server that speaks all three Personalize APIs.

- control plane (JSON 1.1): `POST /` with `X-Amz-Target: AmazonPersonalize.<Operation>`;
- runtime (REST-JSON): `POST /recommendations`, `POST /personalize-ranking`;
- events (REST-JSON): `POST /events`, `/items`, `/users`.

Errors carry the modelled exception name in `__type` and in the `x-amzn-ErrorType` header, with the
status the model gives it, so botocore raises `client.exceptions.<Name>`.
"""

from __future__ import annotations

import json
import logging
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from allstore.personalize import apimodel
from allstore.personalize.errors import ServiceError
from allstore.personalize.service import PersonalizeService

logger = logging.getLogger(__name__)
TARGET_PREFIX = "AmazonPersonalize."
REST_ROUTES = {
    "/recommendations": (apimodel.RUNTIME, "GetRecommendations"),
    "/personalize-ranking": (apimodel.RUNTIME, "GetPersonalizedRanking"),
    "/events": (apimodel.EVENTS, "PutEvents"),
    "/items": (apimodel.EVENTS, "PutItems"),
    "/users": (apimodel.EVENTS, "PutUsers"),
}
MAX_BODY_BYTES = 10 * 1024 * 1024


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: boto3 reuses connections, which keeps latency low
    disable_nagle_algorithm = True
    server: _Server

    def do_POST(self) -> None:
        path = self.path.split("?", 1)[0]
        target = self.headers.get("X-Amz-Target", "")
        if path == "/" and target.startswith(TARGET_PREFIX):
            api, operation = apimodel.CONTROL_PLANE, target.removeprefix(TARGET_PREFIX)
            content_type = "application/x-amz-json-1.1"
        elif path in REST_ROUTES:
            (api, operation), content_type = REST_ROUTES[path], "application/json"
        else:
            self._drain()
            self._send(
                404,
                {"__type": "UnknownOperationException", "message": f"No operation at POST {path}"},
                "application/json",
                "UnknownOperationException",
            )
            return
        try:
            params = self._json_body()
            result = self.server.service.handle(api, operation, params)
        except ServiceError as error:
            self._send(
                apimodel.http_status(api, error),
                {"__type": error.code, "message": error.message},
                content_type,
                error.code,
            )
            return
        except Exception as error:
            logger.exception("%s failed", operation)
            self._send(
                500,
                {"__type": "InternalFailure", "message": f"{type(error).__name__}: {error}"},
                content_type,
                "InternalFailure",
            )
            return
        self._send(200, result, content_type)

    def do_GET(self) -> None:
        """A health check for the local runner: GET / answers 200 when the service is up."""
        if self.path == "/":
            self._send(200, {"status": "ok"}, "application/json")
        else:
            self._send(404, {"message": f"No resource at GET {self.path}"}, "application/json")

    def _drain(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if 0 < length <= MAX_BODY_BYTES:
            self.rfile.read(length)

    def _json_body(self) -> dict[str, Any]:
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY_BYTES:
            raise ServiceError("InvalidInputException", "The request body is too large.")
        raw = self.rfile.read(length) if length else b""
        if not raw.strip():
            return {}
        try:
            body = json.loads(raw)
        except json.JSONDecodeError as error:
            raise ServiceError(
                "InvalidInputException", f"The request body is not valid JSON: {error}"
            ) from None
        if not isinstance(body, dict):
            raise ServiceError("InvalidInputException", "The request body must be a JSON object.")
        return body

    def _send(
        self, status: int, body: dict[str, Any], content_type: str, error_type: str | None = None
    ) -> None:
        payload = json.dumps(body, separators=(",", ":")).encode()
        self.send_response(
            status, HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else None
        )
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        if error_type:
            self.send_header("x-amzn-ErrorType", error_type)
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: Any) -> None:
        logger.debug("%s " + format, self.address_string(), *args)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    service: PersonalizeService


class PersonalizeServer:
    """The service on 127.0.0.1: `url = PersonalizeServer(state_dir, port=0).start()`, then `.stop()`.

    Port 0 picks a free port. boto3 clients for personalize, personalize-runtime and
    personalize-events all use the same URL as `endpoint_url`.
    """

    def __init__(self, state_dir: str | Path, port: int = 0, host: str = "127.0.0.1") -> None:
        if host not in ("127.0.0.1", "localhost"):
            raise ValueError("the local Personalize service only listens on the loopback interface")
        self.state_dir = Path(state_dir)
        self.host, self.port = host, port
        self.service: PersonalizeService | None = None
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("the server is not running")
        return f"http://{self.host}:{self._server.server_address[1]}"

    def start(self) -> str:
        self.service = PersonalizeService(self.state_dir)
        try:
            self._server = _Server((self.host, self.port), _Handler)
        except OSError:
            self.service.close()  # release the state directory for another attempt
            self.service = None
            raise
        self._server.service = self.service
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="personalize-http", daemon=True
        )
        self._thread.start()
        return self.url

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self.service is not None:
            self.service.close()
            self.service = None

    def __enter__(self) -> PersonalizeServer:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
