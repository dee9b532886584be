"""The HTTP edge: moves bytes between clients and SearchApi through the shared loopback server.

A server given credentials (the store's, or `allstore search serve`'s own) answers only requests
signed with them for the service `es`, as an Amazon OpenSearch Service domain whose access policy
names IAM principals does (the template's SearchDomain); refusals are that domain's 403
`{"message"}`, before the body is parsed. Without credentials (tests, a library user) it checks
no signature.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from email.message import Message
from pathlib import Path
from urllib.parse import urlsplit

from allstore.credentials import SignatureRejected, StoreCredentials
from allstore.loopback import Authorizer, LoopbackServer, Response
from allstore.search.api import SearchApi
from allstore.search.errors import SearchError
from allstore.search.store import DEFAULT_REFRESH_SECONDS, IndexStore

log = logging.getLogger(__name__)

JSON_CONTENT_TYPE = "application/json; charset=UTF-8"
SIGNING_NAME = "es"  # Amazon OpenSearch Service's SigV4 service name
MAX_CONTENT_BYTES = 100 * 1024 * 1024  # OpenSearch's http.max_content_length default (100mb)
ERROR_TYPES = {
    400: "parse_exception",
    403: "security_exception",
    405: "method_not_allowed",
    413: "content_too_long_exception",
    500: "exception",
}


def render_error(status: int, message: str) -> tuple[dict[str, str], bytes]:
    """Errors the HTTP layer answers, in OpenSearch's error shape."""
    error = SearchError(status, ERROR_TYPES.get(status, "exception"), message)
    return {"Content-Type": JSON_CONTENT_TYPE}, json.dumps(error.body(), separators=(",", ":")).encode()


def signature_check(credentials: StoreCredentials) -> Authorizer:
    """The domain's 403 for a request not signed with `credentials` for `es` (LoopbackServer's
    `authorize`: it sees the body as sent, gzip too)."""

    def authorize(method: str, target: str, headers: Message, body: bytes) -> Response | None:
        try:
            credentials.verify_for(SIGNING_NAME, method, target, dict(headers.items()), body)
        except SignatureRejected as rejected:
            payload = json.dumps({"message": rejected.message}).encode()
            return 403, {"Content-Type": "application/json", "x-amzn-ErrorType": rejected.code}, payload
        return None

    return authorize


def search_app(api: SearchApi) -> Callable[[str, str, Message, bytes], Response]:
    def app(method: str, target: str, headers: Message, body: bytes) -> Response:
        url = urlsplit(target)
        try:
            status, payload = api.handle(method, url.path, url.query, body)
        except RecursionError:  # a query nested deeper than the interpreter can walk
            error = SearchError(400, "parsing_exception", "the request is nested too deeply")
            status, payload = 400, error.body()
        data = b"" if payload is None else json.dumps(payload, separators=(",", ":")).encode()
        return status, {"Content-Type": JSON_CONTENT_TYPE}, data

    return app


class SearchServer:
    """AllStore's local OpenSearch-compatible server over the indices in `data_dir`.

    `start()` serves from a background thread and returns the base URL (port 0 picks a free
    port); `serve()` runs in the foreground until interrupted; `stop()` persists every index.
    With `credentials`, only requests signed with them (service `es`) are answered; with
    `own_credentials`, with the key pair kept in `<data_dir>/credentials.json` (made at the first start).
    """

    def __init__(
        self,
        data_dir: str | Path,
        host: str = "127.0.0.1",
        port: int = 0,
        refresh_seconds: float = DEFAULT_REFRESH_SECONDS,
        credentials: StoreCredentials | None = None,
        own_credentials: bool = False,
    ) -> None:
        if host not in ("127.0.0.1", "localhost"):
            raise ValueError(f"the local search server binds to loopback addresses only, not {host!r}")
        self.data_dir = Path(data_dir)
        self.requested_port = port
        self.refresh_seconds = refresh_seconds
        self.credentials = credentials
        self.own_credentials = own_credentials
        self._store: IndexStore | None = None
        self._api: SearchApi | None = None
        self._http: LoopbackServer | None = None
        self._serving_in_thread = False

    @property
    def port(self) -> int:
        if self._http is None:
            raise RuntimeError("the search server is not running")
        return self._http.port

    @property
    def url(self) -> str:
        if self._http is None:
            raise RuntimeError("the search server is not running")
        return self._http.url

    def start(self) -> str:
        """Open the indices, bind, and serve in a daemon thread; returns the base URL."""
        self._bind().start()
        self._serving_in_thread = True
        log.info("search server listening on %s (data in %s)", self.url, self.data_dir)
        return self.url

    def serve(self, on_ready: Callable[[str], None] | None = None) -> None:
        """Serve in the calling thread until Ctrl-C, then persist and stop; `on_ready` gets the URL."""
        http = self._bind()
        log.info("search server listening on %s (data in %s)", self.url, self.data_dir)
        if on_ready is not None:
            on_ready(self.url)
        try:
            http.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            self._close()

    def stop(self) -> None:
        """Stop serving and persist every index (for `serve()`, its own thread finishes the closing)."""
        if self._http is None:
            return
        if self._serving_in_thread:
            self._serving_in_thread = False
            self._close()
        else:
            self._http.shutdown()

    def _bind(self) -> LoopbackServer:
        if self._http is not None:
            raise RuntimeError("the search server is already running")
        store = IndexStore(self.data_dir, refresh_seconds=self.refresh_seconds)  # claims the directory
        try:
            if self.own_credentials and self.credentials is None:
                self.credentials = StoreCredentials.for_state_dir(self.data_dir)
            api = SearchApi(store)
            self._http = LoopbackServer(
                search_app(api),
                port=self.requested_port,
                name="search-server",
                render_error=render_error,
                max_body_bytes=MAX_CONTENT_BYTES,
                authorize=signature_check(self.credentials) if self.credentials else None,
            )
        except BaseException:
            store.close()
            raise
        self._store, self._api = store, api
        store.directory_lock.describe(url=self._http.url)  # a second server on these indices names it
        return self._http

    def _close(self) -> None:
        if self._api is not None:
            self._api.closed = True  # requests still arriving on kept-alive connections get a 503
        if self._http is not None:
            self._http.stop()
            self._http = None
        if self._store is not None:
            self._store.close()
            self._store = None

    def __enter__(self) -> SearchServer:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
