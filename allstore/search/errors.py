"""OpenSearch's error shape, so `opensearch-py` raises the same exception classes it does on AWS.

opensearch-py picks its exception from the HTTP status (400 → RequestError, 404 → NotFoundError,
409 → ConflictError) and reads `error.type` / `error.reason` from the body for the message.
"""

from __future__ import annotations

from typing import Any


class SearchError(Exception):
    """A failure to report to the client as an OpenSearch error response."""

    def __init__(self, status: int, error_type: str, reason: str, **details: Any) -> None:
        super().__init__(reason)
        self.status = status
        self.error_type = error_type
        self.reason = reason
        self.details = details

    root_causes: list[dict[str, Any]] | None = None  # when the error wraps others (shard failures)
    in_shard = False  # raised where the query meets the index, which OpenSearch reports per shard

    def from_shard(self) -> SearchError:
        self.in_shard = True
        return self

    def cause(self) -> dict[str, Any]:
        return {"type": self.error_type, "reason": self.reason, **self.details}

    def to_dict(self) -> dict[str, Any]:
        """The `error` object OpenSearch puts in a response body or a bulk item."""
        cause = self.cause()
        return {"root_cause": self.root_causes or [cause], **cause}

    def body(self) -> dict[str, Any]:
        return {"error": self.to_dict(), "status": self.status}


def index_not_found(index: str, resource_type: str = "index_or_alias") -> SearchError:
    """OpenSearch names the missing resource `index_expression` for document requests."""
    return SearchError(
        404,
        "index_not_found_exception",
        f"no such index [{index}]",
        index=index,
        **{"resource.type": resource_type, "resource.id": index, "index_uuid": "_na_"},
    )


def search_phase_failure(index: str, error: SearchError) -> SearchError:
    """`error` from the index's one shard, as OpenSearch reports a search all of whose shards failed
    (a malformed request body fails before any shard runs, and is reported as itself)."""
    failure = SearchError(
        400,
        "search_phase_execution_exception",
        "all shards failed",
        phase="query",
        grouped=True,
        failed_shards=[{"shard": 0, "index": index, "node": "allstore-local", "reason": error.cause()}],
    )
    failure.root_causes = [error.cause()]
    return failure


def bad_request(reason: str) -> SearchError:
    return SearchError(400, "illegal_argument_exception", reason)


def parsing_error(reason: str) -> SearchError:
    return SearchError(400, "parsing_exception", reason)


def mapper_parsing_error(reason: str) -> SearchError:
    return SearchError(400, "mapper_parsing_exception", reason)


def query_shard_error(index: str, reason: str) -> SearchError:
    return SearchError(
        400, "query_shard_exception", f"failed to create query: {reason}", index=index
    ).from_shard()


def unsupported(what: str) -> SearchError:
    """A feature OpenSearch has but this local server deliberately does not implement."""
    return SearchError(
        400,
        "illegal_argument_exception",
        f"{what} is not supported by AllStore's local search server (see docs/search.md)",
    )
