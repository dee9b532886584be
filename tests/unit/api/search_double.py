"""A stand-in OpenSearch endpoint on 127.0.0.1 that records every request and answers with set hits.

The search handler talks to it through the real `search_client` (plain HTTP, opensearch-py's
requests transport), so the tests check the query DSL exactly as it goes over the wire.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from email.message import Message
from typing import Any

from allstore.loopback import LoopbackServer


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
        start = int(body.get("from", 0)) if isinstance(body, dict) else 0
        size = int(body.get("size", 10)) if isinstance(body, dict) else 10
        return 200, {
            "took": 1,
            "timed_out": False,
            "hits": {
                "total": {"value": len(documents), "relation": "eq"},
                "max_score": 1.0,
                "hits": documents[start : start + size],
            },
        }


class SearchDoubleServer:
    """Serve a SearchDouble on an ephemeral loopback port until `close()`."""

    def __init__(self, double: SearchDouble):
        def app(method: str, target: str, headers: Message, body: bytes) -> tuple[int, dict, bytes]:
            status, answer = double.answer(method, target, json.loads(body) if body else None)
            return status, {"Content-Type": "application/json"}, json.dumps(answer).encode()

        self._server = LoopbackServer(app, name="search-double")
        self._server.start()
        self.endpoint = self._server.url

    def close(self) -> None:
        self._server.stop()
