"""Validation of the API's query-string and path parameters, failing with 400 and a message.

Limits are small and explicit so a client cannot make one request fan out into a large DynamoDB,
Personalize or search call.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

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


MAX_BRANDS = 20
SORTS = ("relevance", "popularity", "price-asc", "price-desc")


@dataclass(frozen=True)
class Refinement:
    """A list's optional filters and order: any of the `brand`s, a price range, and a sort."""

    brands: tuple[str, ...] = ()
    min_price: float | None = None
    max_price: float | None = None
    sort: str | None = None

    def __bool__(self) -> bool:
        return (
            bool(self.brands)
            or self.min_price is not None
            or self.max_price is not None
            or self.sort is not None
        )

    def keeps(self, item: dict) -> bool:
        """Whether `item` passes the brand and price filters (an item without a price fails a range)."""
        if self.brands and item.get("brand") not in self.brands:
            return False
        if self.min_price is None and self.max_price is None:
            return True
        price = item.get("price")
        if price is None:
            return False
        return (self.min_price is None or float(price) >= self.min_price) and (
            self.max_price is None or float(price) <= self.max_price
        )


def parse_refinement(query: dict[str, list[str]] | None, sorts: tuple[str, ...] = SORTS) -> Refinement:
    """`brand` (repeatable), `minPrice`, `maxPrice` and `sort` (one of `sorts`) from the multi-value query."""
    query = query or {}
    brands = tuple(dict.fromkeys(value for value in query.get("brand", []) if value.strip()))
    if len(brands) > MAX_BRANDS:
        raise BadRequestError(f"brand may be given at most {MAX_BRANDS} times, got {len(brands)}")
    for brand in brands:
        checked_id(brand, "brand")
    low = _price(query, "minPrice")
    high = _price(query, "maxPrice")
    if low is not None and high is not None and low > high:
        raise BadRequestError(f"minPrice ({low:g}) must not be more than maxPrice ({high:g})")
    sort = (query.get("sort") or [""])[-1].strip() or None
    if sort is not None and sort not in sorts:
        raise BadRequestError(f"sort must be one of {', '.join(sorts)}, got {sort[:20]!r}")
    return Refinement(brands, low, high, sort)


def _price(query: dict[str, list[str]], name: str) -> float | None:
    raw = (query.get(name) or [""])[-1].strip()
    if not raw:
        return None
    value = non_negative_number(raw)
    if value is None:
        raise BadRequestError(f"{name} must be a non-negative number, got {raw[:20]!r}")
    return value


def non_negative_number(text: str) -> float | None:
    """`text` as a finite number of 0 or more, or None when it is not one."""
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) and value >= 0 else None
