"""A stand-in OpenSearch endpoint on 127.0.0.1 that records every request and answers with set hits.

The search handler talks to it through the real `search_client` (plain HTTP, opensearch-py's
requests transport), so the tests check the query DSL exactly as it goes over the wire.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class RecordedRequest:
    method: str
    path: str
    body: Any


@dataclass
class SearchDouble:
    """Answers `_search` with `hits` (asins, best first), or with `error_status` when set."""

    hits: list[str] = field(default_factory=list)
    error_status: int | None = None
    error_type: str = "search_phase_execution_exception"
    requests: list[RecordedRequest] = field(default_factory=list)

    def answer(self, method: str, path: str, body: Any) -> tuple[int, dict[str, Any]]:
        self.requests.append(RecordedRequest(method, path, body))
        if self.error_status is not None:
            return self.error_status, {
                "error": {"type": self.error_type, "reason": "test double error"},
                "status": self.error_status,
            }
        if not path.split("?")[0].endswith("/_search"):
            return 400, {"error": {"type": "illegal_argument_exception", "reason": f"unexpected {path}"}}
        documents = [
            {
                "_index": "items",
                "_id": asin,
                "_score": float(len(self.hits) - rank),
                "_source": {"asin": asin},
            }
            for rank, asin in enumerate(self.hits)
        ]
        return 200, {
            "took": 1,
            "timed_out": False,
            "hits": {
                "total": {"value": len(documents), "relation": "eq"},
                "max_score": 1.0,
                "hits": documents,
            },
        }


class _Handler(BaseHTTPRequestHandler):
    double: SearchDouble

    def _respond(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        status, body = self.double.answer(self.command, self.path, json.loads(raw) if raw else None)
        payload = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = _respond

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the tests assert on `requests` instead."""


class SearchDoubleServer:
    """Serve a SearchDouble on an ephemeral loopback port until `close()`."""

    def __init__(self, double: SearchDouble):
        handler = type("BoundHandler", (_Handler,), {"double": double})
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        self.endpoint = f"http://127.0.0.1:{self._server.server_address[1]}"

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()
