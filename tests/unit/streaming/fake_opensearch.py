"""A stand-in for the OpenSearch REST endpoints the indexer uses (index exists/create, `_bulk`).

It runs on 127.0.0.1 so the indexer's real opensearch-py client, serialisation and error handling
are exercised over HTTP. Tests can make single documents fail (`reject`) or every bulk request fail
(`bulk_status`) and inspect the stored documents and the requests received.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from allstore.loopback import LoopbackServer


@dataclass
class FakeOpenSearchState:
    indexes: dict[str, dict[str, Any]] = field(default_factory=dict)  # name → creation body
    documents: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)  # index → id → doc
    reject: dict[str, int] = field(default_factory=dict)  # document id → status to answer
    bulk_status: int | None = None  # answer every _bulk with this status instead
    bulk_requests: list[list[dict[str, Any]]] = field(default_factory=list)


def _answer(status: int, body: dict[str, Any] | None = None) -> tuple[int, dict[str, str], bytes]:
    return (
        status,
        {"Content-Type": "application/json"},
        json.dumps(body).encode() if body is not None else b"",
    )


def _serve(state: FakeOpenSearchState, method: str, target: str, body: bytes) -> tuple[int, dict, bytes]:
    path = target.split("?")[0]
    if method == "HEAD":
        return _answer(200 if path.strip("/") in state.indexes else 404)
    if method == "PUT":
        name = path.strip("/")
        if name in state.indexes:
            error = {"type": "resource_already_exists_exception", "reason": f"index [{name}] already exists"}
            return _answer(400, {"error": error, "status": 400})
        state.indexes[name] = json.loads(body or b"{}")
        return _answer(200, {"acknowledged": True, "index": name})
    if method != "POST" or not path.endswith("/_bulk"):
        return _answer(404, {"error": "unsupported", "status": 404})
    lines = [json.loads(line) for line in body.decode().splitlines() if line.strip()]
    state.bulk_requests.append(lines)
    if state.bulk_status is not None:
        return _answer(state.bulk_status, {"error": "unavailable", "status": state.bulk_status})
    items, position = [], 0
    while position < len(lines):
        action, meta = next(iter(lines[position].items()))
        position += 1
        documents = state.documents.setdefault(meta["_index"], {})
        status = state.reject.get(meta["_id"])
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
    return _answer(200, {"took": 1, "errors": errors, "items": items})


class FakeOpenSearch:
    """Context manager serving a fresh FakeOpenSearchState on http://127.0.0.1:<port>."""

    def __enter__(self) -> FakeOpenSearch:
        state = self.state = FakeOpenSearchState()
        self._server = LoopbackServer(
            lambda method, target, headers, body: _serve(state, method, target, body), name="fake-opensearch"
        )
        self.endpoint = self._server.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.stop()
