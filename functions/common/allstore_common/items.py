"""Reading products from the Items table the way the API needs them.

Lists of ids (from Personalize or search) are hydrated with BatchGetItem — one call per 100 ids,
never one GetItem per item — keeping the caller's order and reporting the ids that are not in the
table. Browsing uses the two GSIs the set-up loader fills on every item: `popular-index`
(popularityGroup "all", by popularity) and `category-index` (category, by popularity).
"""

from __future__ import annotations

import os
import random
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import boto3
from boto3.dynamodb.conditions import Key

from allstore_common.http_api import DependencyUnavailable
from allstore_common.page_tokens import KeySchema, decode_page_token, encode_page_token

BATCH_GET_MAX_KEYS = 100  # DynamoDB's limit per BatchGetItem request
BATCH_GET_MAX_ATTEMPTS = 6
BACKOFF_BASE_SECONDS = 0.05
BACKOFF_CAP_SECONDS = 1.0
POPULARITY_GROUP = "all"  # the single partition of popular-index
INTERNAL_ATTRIBUTES = ("popularityGroup",)  # index plumbing, not part of an item
PRODUCT_PAGE_ATTRIBUTES = ("reviews",)  # only `get` (the product page) returns these, never a list

CATEGORY_INDEX_KEYS: KeySchema = {"asin": "S", "category": "S", "popularity": "N"}
POPULAR_INDEX_KEYS: KeySchema = {"asin": "S", "popularityGroup": "S", "popularity": "N"}

Item = dict[str, Any]


@dataclass
class Hydrated:
    """Items found for a list of ids, in the ids' order, and the ids the table does not have."""

    items: list[Item]
    missing: list[str] = field(default_factory=list)


@dataclass
class Page:
    """One page of a browse, with the token for the next page (None on the last one)."""

    items: list[Item]
    next_token: str | None


def public_item(item: Item) -> Item:
    """An item as the API returns it: without the attributes that exist only for the indexes."""
    return {name: value for name, value in item.items() if name not in INTERNAL_ATTRIBUTES}


def list_item(item: Item) -> Item:
    """An item as a list (recommendations, search, browsing) returns it: no product-page attributes."""
    return {
        name: value
        for name, value in item.items()
        if name not in INTERNAL_ATTRIBUTES and name not in PRODUCT_PAGE_ATTRIBUTES
    }


class ItemStore:
    """The Items table and its two GSIs."""

    def __init__(
        self,
        table_name: str,
        dynamodb: Any = None,
        category_index: str | None = None,
        popular_index: str | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ):
        self._dynamodb = dynamodb or boto3.resource("dynamodb")
        self._table = self._dynamodb.Table(table_name)
        self._table_name = table_name
        self._category_index = category_index or os.environ.get("CATEGORY_INDEX") or "category-index"
        self._popular_index = popular_index or os.environ.get("POPULAR_INDEX") or "popular-index"
        self._sleep = sleep
        self._all_items = Key("popularityGroup").eq(POPULARITY_GROUP)

    def get(self, asin: str) -> Item | None:
        """One item by id, or None."""
        item = self._table.get_item(Key={"asin": asin}).get("Item")
        return public_item(item) if item else None

    def hydrate(self, asins: Iterable[str]) -> Hydrated:
        """The items for `asins` (duplicates dropped), in order; ids not in the table are `missing`."""
        wanted = list(dict.fromkeys(asins))
        found: dict[str, Item] = {}
        for start in range(0, len(wanted), BATCH_GET_MAX_KEYS):
            found.update(self._batch_get(wanted[start : start + BATCH_GET_MAX_KEYS]))
        return Hydrated(
            items=[list_item(found[asin]) for asin in wanted if asin in found],
            missing=[asin for asin in wanted if asin not in found],
        )

    def _batch_get(self, asins: Sequence[str]) -> dict[str, Item]:
        """One BatchGetItem, re-requesting UnprocessedKeys with capped exponential backoff and jitter."""
        request: dict[str, Any] = {self._table_name: {"Keys": [{"asin": asin} for asin in asins]}}
        found: dict[str, Item] = {}
        for attempt in range(BATCH_GET_MAX_ATTEMPTS):
            if attempt:
                self._sleep(random.uniform(0, min(BACKOFF_CAP_SECONDS, BACKOFF_BASE_SECONDS * 2**attempt)))
            response = self._dynamodb.batch_get_item(RequestItems=request)
            for item in response.get("Responses", {}).get(self._table_name, []):
                found[item["asin"]] = item
            request = response.get("UnprocessedKeys") or {}
            if not request:
                return found
        raise DependencyUnavailable(
            "The item database is throttling reads (BatchGetItem left keys unprocessed). Try again shortly."
        )

    def popular_page(self, limit: int, next_token: str | None = None) -> Page:
        """All items, most popular first, one page at a time."""
        start = decode_page_token(next_token, POPULAR_INDEX_KEYS, {"popularityGroup": POPULARITY_GROUP})
        return self._query_page(self._popular_index, self._all_items, limit, start)

    def category_page(self, category: str, limit: int, next_token: str | None = None) -> Page:
        """The items of one category, most popular first, one page at a time."""
        start = decode_page_token(next_token, CATEGORY_INDEX_KEYS, {"category": category})
        return self._query_page(self._category_index, Key("category").eq(category), limit, start)

    def category_size(self, category: str) -> int:
        """How many items `category` has: a COUNT query on category-index (keys only, no items sent)."""
        arguments: dict[str, Any] = {
            "IndexName": self._category_index,
            "KeyConditionExpression": Key("category").eq(category),
            "Select": "COUNT",
        }
        total = 0
        while True:
            response = self._table.query(**arguments)
            total += response["Count"]
            if "LastEvaluatedKey" not in response:
                return total
            arguments["ExclusiveStartKey"] = response["LastEvaluatedKey"]

    def category_items(self, category: str) -> list[Item]:
        """Every item of `category`, most popular first (all of category-index's pages for it)."""
        items: list[Item] = []
        start = None
        while True:
            page = self._query_page(self._category_index, Key("category").eq(category), 1000, start)
            items += page.items
            if page.next_token is None:
                return items
            start = decode_page_token(page.next_token, CATEGORY_INDEX_KEYS, {"category": category})

    def popular(self, limit: int, exclude: Iterable[str] = ()) -> list[Item]:
        """The `limit` most popular items, leaving out `exclude`."""
        excluded = set(exclude)
        page = self._query_page(self._popular_index, self._all_items, limit + len(excluded), None)
        return [item for item in page.items if item["asin"] not in excluded][:limit]

    def popular_in_category(self, category: str, limit: int, exclude: Iterable[str] = ()) -> list[Item]:
        """The `limit` most popular items of `category`, leaving out `exclude`."""
        excluded = set(exclude)
        in_category = Key("category").eq(category)
        page = self._query_page(self._category_index, in_category, limit + len(excluded), None)
        return [item for item in page.items if item["asin"] not in excluded][:limit]

    def _query_page(self, index: str, condition: Any, limit: int, start: dict[str, Any] | None) -> Page:
        arguments: dict[str, Any] = {
            "IndexName": index,
            "KeyConditionExpression": condition,
            "ScanIndexForward": False,
            "Limit": limit,
        }
        if start:
            arguments["ExclusiveStartKey"] = start
        response = self._table.query(**arguments)
        last_key = response.get("LastEvaluatedKey")
        return Page(
            items=[list_item(item) for item in response.get("Items", [])],
            next_token=encode_page_token(last_key) if last_key else None,
        )
