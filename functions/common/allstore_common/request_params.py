"""Validation of the API's query-string and path parameters, failing with 400 and a message.

Limits are small and explicit so a client cannot make one request fan out into a large DynamoDB,
Personalize or search call.
"""

from __future__ import annotations

from aws_lambda_powertools.event_handler.exceptions import BadRequestError

DEFAULT_LIMIT = 25
MAX_LIMIT = 100
MAX_ID_LENGTH = 256  # ASINs are 10 characters; user and session ids are short too
MAX_QUERY_LENGTH = 256
MAX_RESULT_WINDOW = 10_000  # OpenSearch's index.max_result_window: from + size may not exceed it


def parse_limit(raw: str | None) -> int:
    """The `limit` parameter: an integer in 1..MAX_LIMIT, DEFAULT_LIMIT when absent."""
    if raw is None or raw == "":
        return DEFAULT_LIMIT
    text = raw.strip()
    if not (text.isascii() and text.isdigit()) or not 1 <= int(text) <= MAX_LIMIT:
        raise BadRequestError(f"limit must be an integer from 1 to {MAX_LIMIT}, got {raw[:20]!r}")
    return int(text)


def parse_offset(raw: str | None, limit: int) -> int:
    """The `from` parameter of a paged search: a non-negative integer, with from + limit inside the
    search engine's result window (beyond it OpenSearch refuses the query)."""
    if raw is None or raw == "":
        return 0
    text = raw.strip()
    if not (text.isascii() and text.isdigit()) or int(text) + limit > MAX_RESULT_WINDOW:
        raise BadRequestError(
            f"from must be an integer from 0 to {MAX_RESULT_WINDOW - limit} (with limit {limit}), got {raw[:20]!r}"
        )
    return int(text)


def checked_id(value: str | None, name: str) -> str:
    """An identifier parameter (item, user or session id): present, not blank, not over-long."""
    if value is None or not value.strip():
        raise BadRequestError(f"{name} is required")
    if len(value) > MAX_ID_LENGTH:
        raise BadRequestError(f"{name} is too long ({len(value)} characters; at most {MAX_ID_LENGTH})")
    return value


def optional_id(value: str | None, name: str) -> str | None:
    """Like `checked_id`, but absent, empty or blank means "not given"."""
    if value is None or not value.strip():
        return None
    return checked_id(value, name)


def checked_query(value: str | None, name: str = "q") -> str:
    """A search text: present, not blank, not over-long; surrounding space removed."""
    if value is None or not value.strip():
        raise BadRequestError(f"{name} is required and must not be blank")
    if len(value) > MAX_QUERY_LENGTH:
        raise BadRequestError(f"{name} is too long ({len(value)} characters; at most {MAX_QUERY_LENGTH})")
    return value.strip()
