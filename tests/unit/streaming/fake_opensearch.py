"""A stand-in for the OpenSearch REST endpoints the indexer uses (index exists/create, `_bulk`).

It runs on 127.0.0.1 so the indexer's real opensearch-py client, serialisation and error handling
are exercised over HTTP. Tests can make single documents fail (`reject`) or every bulk request fail
(`bulk_status`) and inspect the stored documents and the requests received.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class FakeOpenSearchState:
    indexes: dict[str, dict[str, Any]] = field(default_factory=dict)  # name → creation body
    documents: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)  # index → id → doc
    reject: dict[str, int] = field(default_factory=dict)  # document id → status to answer
    bulk_status: int | None = None  # answer every _bulk with this status instead
    bulk_requests: list[list[dict[str, Any]]] = field(default_factory=list)


class _Handler(BaseHTTPRequestHandler):
    state: FakeOpenSearchState

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _answer(self, status: int, body: dict[str, Any] | None = None) -> None:
        payload = json.dumps(body).encode() if body is not None else b""
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)

    def _body(self) -> bytes:
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def do_HEAD(self) -> None:
        self._answer(200 if self.path.strip("/") in self.state.indexes else 404)

    def do_PUT(self) -> None:
        name = self.path.strip("/")
        body = json.loads(self._body() or b"{}")
        if name in self.state.indexes:
            error = {"type": "resource_already_exists_exception", "reason": f"index [{name}] already exists"}
            self._answer(400, {"error": error, "status": 400})
            return
        self.state.indexes[name] = body
        self._answer(200, {"acknowledged": True, "index": name})

    def do_POST(self) -> None:
        if not self.path.split("?")[0].endswith("/_bulk"):
            self._answer(404, {"error": "unsupported", "status": 404})
            return
        lines = [json.loads(line) for line in self._body().decode().splitlines() if line.strip()]
        self.state.bulk_requests.append(lines)
        if self.state.bulk_status is not None:
            self._answer(self.state.bulk_status, {"error": "unavailable", "status": self.state.bulk_status})
            return
        items, position = [], 0
        while position < len(lines):
            action, meta = next(iter(lines[position].items()))
            position += 1
            documents = self.state.documents.setdefault(meta["_index"], {})
            status = self.state.reject.get(meta["_id"])
            if action == "index":
                document = lines[position]
                position += 1
                if status is None:
                    documents[meta["_id"]] = document
                    status = 201
            elif status is None:
                status = 200 if documents.pop(meta["_id"], None) is not None else 404
            result: dict[str, Any] = {"_index": meta["_index"], "_id": meta["_id"], "status": status}
            if status >= 300 and not (action == "delete" and status == 404):
                result["error"] = {"type": "rejected_by_test", "reason": "the test made this document fail"}
            items.append({action: result})
        errors = any("error" in next(iter(item.values())) for item in items)
        self._answer(200, {"took": 1, "errors": errors, "items": items})


class FakeOpenSearch:
    """Context manager serving a fresh FakeOpenSearchState on http://127.0.0.1:<port>."""

    def __enter__(self) -> FakeOpenSearch:
        self.state = FakeOpenSearchState()
        handler = type("Handler", (_Handler,), {"state": self.state})
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.endpoint = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()
