"""The HTTP server: moves bytes between clients and SearchApi, on a loopback address only."""

from __future__ import annotations

import gzip
import ipaddress
import json
import logging
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

from allstore.search.api import SearchApi
from allstore.search.store import DEFAULT_REFRESH_SECONDS, IndexStore

log = logging.getLogger(__name__)

JSON_CONTENT_TYPE = "application/json; charset=UTF-8"
SHUTDOWN_POLL_SECONDS = 0.05  # how long stop() may wait for the serving loop to notice
IDLE_CONNECTION_SECONDS = 300  # a kept-alive connection unused this long is closed (clients reconnect)


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class _RequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: clients reuse connections, which keeps searches fast
    disable_nagle_algorithm = True  # headers and body are two writes; Nagle + delayed ACK would add 40 ms
    timeout = IDLE_CONNECTION_SECONDS
    server: _HTTPServer

    def do_GET(self) -> None:
        self._dispatch()

    do_HEAD = do_POST = do_PUT = do_DELETE = do_PATCH = do_GET

    def _dispatch(self) -> None:
        try:
            body = self._read_body()
        except ValueError as error:
            self._send(400, {"error": {"type": "parse_exception", "reason": str(error)}, "status": 400})
            return
        url = urlsplit(self.path)
        try:
            status, payload = self.server.api.handle(self.command, url.path, url.query, body)
        except Exception as error:  # a bug or a failing dependency: a 500, never a dropped connection
            log.exception("search request %s %s failed", self.command, self.path)
            status, payload = (
                500,
                {"error": {"type": "exception", "reason": f"internal error: {error}"}, "status": 500},
            )
        except BaseException as error:  # tantivy panics surface as pyo3 PanicException (a BaseException)
            if isinstance(error, KeyboardInterrupt | SystemExit):
                raise
            log.exception("search engine panicked on %s %s", self.command, self.path)
            status, payload = (
                500,
                {"error": {"type": "exception", "reason": f"search engine error: {error}"}, "status": 500},
            )
        self._send(status, payload)

    def _read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            raise ValueError("chunked request bodies are not supported; send Content-Length")
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        if self.headers.get("Content-Encoding", "").lower() == "gzip":
            body = gzip.decompress(body)
        return body

    def _send(self, status: int, payload: object) -> None:
        data = b"" if payload is None else json.dumps(payload, separators=(",", ":")).encode()
        self.send_response(status)
        self.send_header("Content-Type", JSON_CONTENT_TYPE)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def log_message(self, format: str, *args: object) -> None:
        log.debug("%s - %s", self.address_string(), format % args)


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], api: SearchApi) -> None:
        self.api = api
        super().__init__(address, _RequestHandler)


class SearchServer:
    """AllStore's local OpenSearch-compatible server over the indices in `data_dir`.

    `start()` serves from a background thread and returns the base URL (port 0 picks a free
    port); `serve()` runs in the foreground until interrupted; `stop()` persists every index.
    """

    def __init__(
        self,
        data_dir: str | Path,
        host: str = "127.0.0.1",
        port: int = 0,
        refresh_seconds: float = DEFAULT_REFRESH_SECONDS,
    ) -> None:
        if not _is_loopback(host):
            raise ValueError(f"the local search server binds to loopback addresses only, not {host!r}")
        self.data_dir = Path(data_dir)
        self.host = host
        self.requested_port = port
        self.refresh_seconds = refresh_seconds
        self._store: IndexStore | None = None
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        if self._httpd is None:
            raise RuntimeError("the search server is not running")
        return self._httpd.server_address[1]

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> str:
        """Open the indices, bind, and serve in a daemon thread; returns the base URL."""
        self._bind()
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": SHUTDOWN_POLL_SECONDS},
            name="search-server",
            daemon=True,
        )
        self._thread.start()
        log.info("search server listening on %s (data in %s)", self.url, self.data_dir)
        return self.url

    def serve(self, on_ready: Callable[[str], None] | None = None) -> None:
        """Serve in the calling thread until Ctrl-C, then persist and stop; `on_ready` gets the URL."""
        self._bind()
        log.info("search server listening on %s (data in %s)", self.url, self.data_dir)
        if on_ready is not None:
            on_ready(self.url)
        try:
            self._httpd.serve_forever(poll_interval=SHUTDOWN_POLL_SECONDS)
        except KeyboardInterrupt:
            pass
        finally:
            self._close()

    def stop(self) -> None:
        """Stop serving and persist every index (for `serve()`, its own thread finishes the closing)."""
        if self._httpd is None:
            return
        self._httpd.shutdown()
        if self._thread is not None:
            self._thread.join()
            self._thread = None
            self._close()

    def _bind(self) -> None:
        if self._httpd is not None:
            raise RuntimeError("the search server is already running")
        store = IndexStore(self.data_dir, refresh_seconds=self.refresh_seconds)
        try:
            self._httpd = _HTTPServer((self.host, self.requested_port), SearchApi(store))
        except BaseException:
            store.close()
            raise
        self._store = store

    def _close(self) -> None:
        if self._httpd is not None:
            self._httpd.api.closed = True  # requests still arriving on kept-alive connections get a 503
            self._httpd.server_close()
            self._httpd = None
        if self._store is not None:
            self._store.close()
            self._store = None

    def __enter__(self) -> SearchServer:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
