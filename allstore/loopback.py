"""One HTTP/1.1 server for every local stand-in: binds 127.0.0.1 only and enforces the wire rules.

Each server (search, Personalize, the gateway, the custom-resource answer endpoint, test fakes) is
an `app(method, path, headers, body) -> (status, headers, body)` served by `LoopbackServer`. The
server owns what every one of them needs and none should write again:

- it answers only requests whose `Host` is its own (127.0.0.1, localhost or [::1] with its port),
  so a web page cannot reach it through DNS rebinding; it also refuses any request carrying an
  `Origin` other than its own or one of `trusted_origins` (None: the app decides per request);
- keep-alive, `TCP_NODELAY`, a listen backlog at the system maximum, idle and read timeouts;
- request bodies: `Content-Length` (a single non-negative integer) or chunked, at most
  `max_body_bytes`, gzip decoded up to `max_decoded_bytes`; a body it refuses unread closes the
  connection afterwards, so its bytes are never read as a next request (no request smuggling);
- NUL in the path, unknown methods and malformed request lines get an error, never Python's HTML;
- `authorize(method, target, headers, body)`, when given, sees the body as sent (a SigV4 signature
  covers the gzip bytes, not what they decode to) and answers a refusal instead of the app.

Errors the server itself answers are rendered by the app's `render_error(status, message)`, so each
service answers in its own shape (OpenSearch's error JSON, Personalize's `__type`, `{"message"}`).
"""

from __future__ import annotations

import json
import logging
import socket
import threading
import zlib
from collections.abc import Callable, Iterable, Mapping
from email.message import Message
from email.utils import formatdate
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import unquote_to_bytes

log = logging.getLogger(__name__)

Headers = Mapping[str, str] | Iterable[tuple[str, str]]
Response = tuple[int, Headers, bytes]
App = Callable[[str, str, Message, bytes], Response]
Authorizer = Callable[[str, str, Message, bytes], Response | None]
ErrorRenderer = Callable[[int, str], tuple[Headers, bytes]]

LOOPBACK_NAMES = ("127.0.0.1", "localhost", "[::1]")
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"})
DEFAULT_MAX_BODY_BYTES = 10 * 1024 * 1024  # API Gateway's and Personalize's payload limit
IDLE_SECONDS = 300.0  # a kept-alive connection unused this long is closed (clients reconnect)
READ_SECONDS = 60.0  # the longest wait for the next bytes of a request once it has started
MAX_JSON_DEPTH = 100  # deeper documents are refused before any code walks them recursively
_CHUNK_LINE_BYTES = 1024


class RequestRefused(Exception):
    """The request breaks a wire rule; answered with `status`, and the connection closed if `close`."""

    def __init__(self, status: int, message: str, close: bool = False) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.close = close


def json_error(status: int, message: str) -> tuple[Headers, bytes]:
    """The default error shape: `{"message": ...}` (API Gateway's)."""
    return {"Content-Type": "application/json"}, json.dumps({"message": message}).encode()


def loopback_origins(port: int) -> frozenset[str]:
    """The origins of pages served from this machine's loopback on `port` (`http://127.0.0.1:3000`, ...)."""
    return frozenset(f"http://{host}:{port}" for host in LOOPBACK_NAMES)


def listen_backlog() -> int:
    """The kernel's maximum accept queue (Linux caps `listen()` there anyway; Python's default is 5)."""
    try:
        return max(socket.SOMAXCONN, int(Path("/proc/sys/net/core/somaxconn").read_text()))
    except (OSError, ValueError):
        return socket.SOMAXCONN


def parse_json(body: bytes | str, max_depth: int = MAX_JSON_DEPTH) -> Any:
    """`json.loads` for request bodies: ValueError (never RecursionError) for non-UTF-8, invalid or
    too deeply nested documents, so a service answers 400 before walking it."""
    try:
        document = json.loads(body)
    except RecursionError:
        raise ValueError(f"the JSON document is nested more than {max_depth} levels deep") from None
    except UnicodeDecodeError:
        raise ValueError("the request body is not UTF-8") from None
    stack = [(document, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict | list):
            if depth > max_depth:
                raise ValueError(f"the JSON document is nested more than {max_depth} levels deep")
            children = value.values() if isinstance(value, dict) else value
            stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return document


class LoopbackServer:
    """Serve `app` on 127.0.0.1:`port` (0 = a free port) from daemon threads, one per connection.

    `start()` returns the base URL (no trailing slash); `serve_forever()` serves in the calling
    thread instead; `stop()` closes the socket. Also a context manager.
    """

    def __init__(
        self,
        app: App,
        *,
        port: int = 0,
        name: str = "http",
        render_error: ErrorRenderer = json_error,
        trusted_origins: Iterable[str] | None = (),
        max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
        max_decoded_bytes: int | None = None,
        idle_seconds: float = IDLE_SECONDS,
        read_seconds: float = READ_SECONDS,
        authorize: Authorizer | None = None,
    ) -> None:
        self.app = app
        self.authorize = authorize
        self.name = name
        self.render_error = render_error
        self.max_body_bytes = max_body_bytes
        self.max_decoded_bytes = max_decoded_bytes if max_decoded_bytes is not None else max_body_bytes
        self.idle_seconds = idle_seconds
        self.read_seconds = read_seconds
        self._httpd = _ThreadingServer(("127.0.0.1", port), _handler_for(self))
        self.port: int = self._httpd.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.hosts = frozenset(f"{host}:{self.port}" for host in LOOPBACK_NAMES)
        self.trusted_origins = (
            None
            if trusted_origins is None
            else frozenset({*loopback_origins(self.port), *(origin.lower() for origin in trusted_origins)})
        )
        self._thread: threading.Thread | None = None

    def start(self) -> str:
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, name=self.name, daemon=True
        )
        self._thread.start()
        return self.url

    def serve_forever(self) -> None:
        self._httpd.serve_forever(poll_interval=0.05)

    def stop(self) -> None:
        """Stop accepting and close the socket (connections being served finish on their threads)."""
        if self._thread is not None:
            self._httpd.shutdown()
            self._thread.join()
            self._thread = None
        self._httpd.server_close()

    def shutdown(self) -> None:
        """End `serve_forever()` running in another thread."""
        self._httpd.shutdown()

    def __enter__(self) -> LoopbackServer:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # ------------------------------------------------------------------ request rules

    def check_origin(self, headers: Message) -> None:
        """Host must be ours (DNS rebinding); so must Origin, when present, unless the app decides."""
        host = (headers.get("Host") or "").strip().lower()
        if host not in self.hosts:
            raise RequestRefused(
                HTTPStatus.FORBIDDEN,
                f"this server answers only requests addressed to {self.url} (Host: {host or 'missing'})",
            )
        origin = headers.get("Origin")
        if (
            origin is not None
            and self.trusted_origins is not None
            and origin.strip().lower() not in self.trusted_origins
        ):
            raise RequestRefused(
                HTTPStatus.FORBIDDEN, f"requests from web pages on {origin} are not accepted here"
            )

    def read_body(self, headers: Message, rfile: Any) -> bytes:
        encodings = [value.strip().lower() for value in headers.get_all("Transfer-Encoding") or []]
        lengths = headers.get_all("Content-Length") or []
        if encodings:
            if lengths:
                raise RequestRefused(400, "a request has Content-Length or Transfer-Encoding, not both", True)
            if encodings != ["chunked"]:
                raise RequestRefused(400, f"unsupported Transfer-Encoding: {', '.join(encodings)}", True)
            body = self._read_chunked(rfile)
        else:
            length = self._content_length(lengths) if lengths else 0
            body = rfile.read(length) if length else b""
            if len(body) < length:
                raise RequestRefused(400, "the connection closed before the whole body arrived", True)
        return body

    def decode_body(self, headers: Message, body: bytes) -> bytes:
        """The body as the app reads it: a gzip body decoded (within `max_decoded_bytes`)."""
        encoding = (headers.get("Content-Encoding") or "identity").strip().lower()
        if encoding == "gzip":
            return self._gunzip(body)
        if encoding != "identity":
            raise RequestRefused(400, f"unsupported Content-Encoding: {encoding}")
        return body

    def _content_length(self, lengths: list[str]) -> int:
        if len(set(lengths)) != 1 or not lengths[0].strip().isdigit():
            raise RequestRefused(400, f"invalid Content-Length: {', '.join(lengths)}", True)
        length = int(lengths[0])
        if length > self.max_body_bytes:
            raise RequestRefused(413, f"the request body is larger than {self.max_body_bytes} bytes", True)
        return length

    def _read_chunked(self, rfile: Any) -> bytes:
        body = bytearray()
        while True:
            line = rfile.readline(_CHUNK_LINE_BYTES)
            size_text = line.split(b";", 1)[0].strip()
            try:
                size = int(size_text, 16)
            except ValueError:
                raise RequestRefused(400, "malformed chunked body", True) from None
            if size < 0 or len(body) + size > self.max_body_bytes:
                raise RequestRefused(
                    413, f"the request body is larger than {self.max_body_bytes} bytes", True
                )
            if size == 0:
                while rfile.readline(_CHUNK_LINE_BYTES).strip():  # trailers, ignored
                    pass
                return bytes(body)
            chunk = rfile.read(size)
            if len(chunk) < size:
                raise RequestRefused(400, "the connection closed before the whole body arrived", True)
            body += chunk
            if rfile.readline(_CHUNK_LINE_BYTES).strip():
                raise RequestRefused(400, "malformed chunked body", True)

    def _gunzip(self, body: bytes) -> bytes:
        decoder = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
        try:
            decoded = decoder.decompress(body, self.max_decoded_bytes + 1)
        except zlib.error as error:
            raise RequestRefused(400, f"the gzip request body is corrupt: {error}") from None
        if len(decoded) > self.max_decoded_bytes or decoder.unconsumed_tail:
            raise RequestRefused(
                413, f"the request body decompresses to more than {self.max_decoded_bytes} bytes"
            )
        return decoded


class _ThreadingServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = listen_backlog()


def _handler_for(server: LoopbackServer) -> type[BaseHTTPRequestHandler]:
    class Handler(_Handler):
        loopback = server

    return Handler


class _Handler(BaseHTTPRequestHandler):
    """One connection's requests: Host/Origin checks, bounded reads, then the app's answer."""

    protocol_version = "HTTP/1.1"  # keep-alive: clients reuse connections
    disable_nagle_algorithm = True  # no 40 ms stall between a response's packets and a delayed ACK
    server_version = "AllStore"
    loopback: LoopbackServer

    def handle_one_request(self) -> None:
        """One request, read and answered by our rules (BaseHTTPRequestHandler's, minus its HTML errors)."""
        self.connection.settimeout(self.loopback.idle_seconds)
        try:
            self.raw_requestline = self.rfile.readline(65537)
        except TimeoutError:
            self.close_connection = True
            return
        if not self.raw_requestline:
            self.close_connection = True
            return
        self.connection.settimeout(self.loopback.read_seconds)
        if len(self.raw_requestline) > 65536:
            self.send_error(HTTPStatus.REQUEST_URI_TOO_LONG, "the request line is too long")
            return
        if not self.parse_request():  # it answered with send_error (below)
            return
        try:
            self._answer()
        except TimeoutError:
            self.close_connection = True
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def handle_expect_100(self) -> bool:
        """Refuse an announced oversized body before the client sends it."""
        length = self.headers.get("Content-Length", "").strip()
        if length.isdigit() and int(length) > self.loopback.max_body_bytes:
            self.send_error(413, f"the request body is larger than {self.loopback.max_body_bytes} bytes")
            return False
        return super().handle_expect_100()

    def _answer(self) -> None:
        server = self.loopback
        method = self.command
        try:
            if method not in METHODS:
                raise RequestRefused(HTTPStatus.METHOD_NOT_ALLOWED, f"unsupported method {method}")
            server.check_origin(self.headers)
            if b"\x00" in unquote_to_bytes(self.path.partition("?")[0]):  # `//x` is a path, not a host
                raise RequestRefused(400, "the path contains a NUL character")
        except RequestRefused as refused:  # the body is still unread: close after answering
            self.send_error(refused.status, refused.message, close=True)
            return
        try:
            body = server.read_body(self.headers, self.rfile)
            refusal = server.authorize(method, self.path, self.headers, body) if server.authorize else None
            if refusal is not None:  # a signature covers the bytes sent, so it is checked before decoding
                self._write(*refusal)
                return
            body = server.decode_body(self.headers, body)
        except RequestRefused as refused:
            self.send_error(refused.status, refused.message, close=refused.close)
            return
        try:
            status, headers, payload = server.app(method, self.path, self.headers, body)
        except Exception:  # a bug or a failing dependency: a 500 without details, logged here
            log.exception("%s: %s %s failed", server.name, method, self.path)
            self.send_error(500, "internal error; the server's log has the details")
            return
        except BaseException as error:  # e.g. a Rust panic surfacing as pyo3's PanicException
            if isinstance(error, KeyboardInterrupt | SystemExit | GeneratorExit):
                raise
            log.exception("%s: %s %s failed", server.name, method, self.path)
            self.send_error(500, "internal error; the server's log has the details")
            return
        self._write(status, headers, payload)

    def send_error(
        self, code: int, message: str | None = None, explain: str | None = None, *, close: bool = True
    ) -> None:
        """Every error this server answers itself, in the app's shape (parse_request calls it too)."""
        if close:
            self.close_connection = True
        text = message or HTTPStatus(code).phrase
        try:
            headers, payload = self.loopback.render_error(code, text)
        except Exception:
            log.exception("%s: rendering an error failed", self.loopback.name)
            headers, payload = json_error(code, text)
        if not hasattr(self, "command") or self.command is None:
            self.command = ""
        self._write(code, headers, payload)

    def _write(self, status: int, headers: Headers, payload: bytes) -> None:
        phrase = HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else ""
        lines = [f"{self.protocol_version} {status} {phrase}", f"Date: {formatdate(usegmt=True)}"]
        pairs = headers.items() if isinstance(headers, Mapping) else headers
        for name, value in pairs:
            if name.lower() not in ("content-length", "connection", "date", "transfer-encoding"):
                lines.append(f"{name}: {value}")
        lines.append(f"Content-Length: {len(payload)}")
        if self.close_connection or self.request_version == "HTTP/0.9":
            lines.append("Connection: close")
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1", "replace")
        self.wfile.write(head if self.command == "HEAD" else head + payload)
        self.log_request(status, len(payload))

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s %s - %s", self.loopback.name, self.address_string(), format % args)
