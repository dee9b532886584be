"""Reading products from the Items table the way the API needs them.

Lists of ids (from Personalize or search) are hydrated with BatchGetItem — one call per 100 ids,
never one GetItem per item — keeping the caller's order and reporting the ids that are not in the
table. Browsing uses the two GSIs the set-up loader fills on every item: `popular-index`
(popularityGroup "all", by popularity) and `category-index` (category, by popularity).

A list shows cards, not whole products: every list read (BatchGetItem and the index Queries) asks
DynamoDB only for `CARD_ATTRIBUTES` (a ProjectionExpression), so a product's description, features
and other catalogue attributes are neither sent nor parsed for a list; the product page (`get`)
reads the whole item. Reads go through the low-level DynamoDB client with one direct conversion of
the wire values (what boto3's resource layer does, without its second walk over the shapes).

Items change rarely, so each function process keeps the items it read for ITEM_CACHE_SECONDS
(default 30; 0 turns it off) in a bounded LRU (`ItemCache`), absent ids included: on Lambda a warm
container answers the same items again without a DynamoDB read, at the price of showing a change
(or a newly added item) up to that many seconds late.
"""

from __future__ import annotations

import os
import random
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import boto3
from boto3.dynamodb.types import DYNAMODB_CONTEXT, Binary

from allstore_common.http_api import DependencyUnavailable
from allstore_common.page_tokens import KeySchema, decode_page_token, encode_page_token
from allstore_common.request_params import non_negative_number

BATCH_GET_MAX_KEYS = 100  # DynamoDB's limit per BatchGetItem request
BATCH_GET_MAX_ATTEMPTS = 6
BACKOFF_BASE_SECONDS = 0.05
BACKOFF_CAP_SECONDS = 1.0
POPULARITY_GROUP = "all"  # the single partition of popular-index
INTERNAL_ATTRIBUTES = ("popularityGroup",)  # index plumbing, not part of an item

# What a list (recommendations, search hits, browsing) shows of an item: the web UI's product card
# (webui/src/api/types.ts Item) and what the handlers filter and sort lists by (brand, price).
# docs/openapi.yaml's ItemCard schema documents the same attributes.
CARD_ATTRIBUTES = (
    "asin",
    "title",
    "imUrl",
    "genre",
    "price",
    "brand",
    "category",
    "main_cat",
    "rating",
    "ratingCount",
)
# Placeholders for every name: a projection must not use DynamoDB's reserved words bare.
_CARD_NAMES = {f"#c{number}": name for number, name in enumerate(CARD_ATTRIBUTES)}
_CARD_PLACEHOLDERS = {name: placeholder for placeholder, name in _CARD_NAMES.items()}
CARD_PROJECTION = ",".join(_CARD_NAMES)

ITEM_CACHE_SECONDS_VARIABLE = "ITEM_CACHE_SECONDS"
DEFAULT_ITEM_CACHE_SECONDS = 30.0
CARD_CACHE_MAX_ITEMS = 5000  # cards are ~0.5 KB: a few MB at most
FULL_CACHE_MAX_ITEMS = 500  # whole items may be tens of KB (descriptions, features)

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


def item_cache_seconds(environment: Mapping[str, str] = os.environ) -> float:
    """ITEM_CACHE_SECONDS as a number of seconds (unset or blank: the default); 0 turns caching off."""
    text = environment.get(ITEM_CACHE_SECONDS_VARIABLE, "").strip()
    if not text:
        return DEFAULT_ITEM_CACHE_SECONDS
    seconds = non_negative_number(text)
    if seconds is None:
        raise ValueError(
            f"{ITEM_CACHE_SECONDS_VARIABLE} must be a number of seconds, 0 or more (0 turns the item "
            f"cache off), not {text!r}"
        )
    return seconds


_ABSENT = object()  # what the cache holds for an id the table does not have


class ItemCache:
    """Items by id for `seconds` after they were read, the `max_items` most recently used.

    An id the table does not have is remembered too (`lookup` gives None for it), so a list that
    keeps naming a deleted item does not read it again each time. `lookup` hands out a copy: a
    caller that adds to an item (as search does with `Promoted`) does not change the cached one.
    """

    MISS = object()  # `lookup`'s answer for an id the cache does not hold (or no longer)

    def __init__(self, seconds: float, max_items: int, clock: Callable[[], float] = time.monotonic):
        self.seconds = seconds
        self.max_items = max_items
        self._clock = clock
        self._entries: OrderedDict[str, tuple[float, Any]] = OrderedDict()
        self._lock = threading.Lock()

    @property
    def enabled(self) -> bool:
        return self.seconds > 0 and self.max_items > 0

    def __len__(self) -> int:
        return len(self._entries)

    def lookup(self, asin: str) -> Any:
        """The cached item (a copy), None for a remembered absent id, or `ItemCache.MISS`."""
        with self._lock:
            entry = self._entries.get(asin)
            if entry is None:
                return self.MISS
            expires, value = entry
            if self._clock() >= expires:
                del self._entries[asin]
                return self.MISS
            self._entries.move_to_end(asin)
        return None if value is _ABSENT else dict(value)

    def remember(self, asin: str, item: Item | None) -> None:
        """Keep `item` (None: the table has no such id) for `seconds`, dropping the least recently used."""
        if not self.enabled:
            return
        with self._lock:
            self._entries[asin] = (self._clock() + self.seconds, _ABSENT if item is None else dict(item))
            self._entries.move_to_end(asin)
            while len(self._entries) > self.max_items:
                self._entries.popitem(last=False)


def _python(value: Mapping[str, Any]) -> Any:
    """One DynamoDB wire value as boto3's TypeDeserializer gives it (numbers as Decimal, sets as sets)."""
    ((kind, inner),) = value.items()
    if kind == "S" or kind == "BOOL":
        return inner
    if kind == "N":
        return DYNAMODB_CONTEXT.create_decimal(inner)
    if kind == "M":
        return {name: _python(member) for name, member in inner.items()}
    if kind == "L":
        return [_python(member) for member in inner]
    if kind == "SS":
        return set(inner)
    if kind == "NS":
        return {DYNAMODB_CONTEXT.create_decimal(member) for member in inner}
    if kind == "NULL":
        return None
    if kind == "B":
        return Binary(inner)
    if kind == "BS":
        return {Binary(member) for member in inner}
    raise TypeError(f"unknown DynamoDB attribute type {kind!r}")


def python_item(wire: Mapping[str, Any]) -> Item:
    """A DynamoDB item from the wire (`{"price": {"N": "9.5"}}`) as plain Python (`{"price": Decimal("9.5")}`)."""
    return {name: _python(value) for name, value in wire.items()}


def _wire_key(key: Mapping[str, Any]) -> dict[str, dict[str, str]]:
    """A key of strings and numbers (a decoded page token) in DynamoDB's wire format."""
    return {
        name: {"N": str(value)} if isinstance(value, Decimal | int) else {"S": value}
        for name, value in key.items()
    }


class ItemStore:
    """The Items table and its two GSIs, read with the low-level client, lists as cards, cached."""

    def __init__(
        self,
        table_name: str,
        dynamodb: Any = None,
        category_index: str | None = None,
        popular_index: str | None = None,
        sleep: Callable[[float], None] = time.sleep,
        cache_seconds: float | None = None,
        clock: Callable[[], float] = time.monotonic,
    ):
        self._client = dynamodb or boto3.client("dynamodb")
        self._table_name = table_name
        self._category_index = category_index or os.environ.get("CATEGORY_INDEX") or "category-index"
        self._popular_index = popular_index or os.environ.get("POPULAR_INDEX") or "popular-index"
        self._sleep = sleep
        seconds = item_cache_seconds() if cache_seconds is None else cache_seconds
        self.cards = ItemCache(seconds, CARD_CACHE_MAX_ITEMS, clock)
        self.full_items = ItemCache(seconds, FULL_CACHE_MAX_ITEMS, clock)

    def get(self, asin: str) -> Item | None:
        """One whole item by id (every attribute: the product page), or None."""
        cached = self.full_items.lookup(asin)
        if cached is not ItemCache.MISS:
            return cached
        wire = self._client.get_item(TableName=self._table_name, Key={"asin": {"S": asin}}).get("Item")
        item = public_item(python_item(wire)) if wire else None
        self.full_items.remember(asin, item)
        return item

    def hydrate(self, asins: Iterable[str]) -> Hydrated:
        """The cards for `asins` (duplicates dropped), in order; ids not in the table are `missing`."""
        wanted = list(dict.fromkeys(asins))
        found: dict[str, Item | None] = {}
        unread: list[str] = []
        for asin in wanted:
            cached = self.cards.lookup(asin)
            if cached is ItemCache.MISS:
                unread.append(asin)
            else:
                found[asin] = cached
        for start in range(0, len(unread), BATCH_GET_MAX_KEYS):
            chunk = unread[start : start + BATCH_GET_MAX_KEYS]
            read = self._batch_get(chunk)
            for asin in chunk:
                card = read.get(asin)
                self.cards.remember(asin, card)
                found[asin] = card
        return Hydrated(
            items=[card for asin in wanted if (card := found[asin]) is not None],
            missing=[asin for asin in wanted if found[asin] is None],
        )

    def _batch_get(self, asins: Sequence[str]) -> dict[str, Item]:
        """One BatchGetItem of cards, re-requesting UnprocessedKeys with capped exponential backoff and jitter."""
        request: dict[str, Any] = {
            self._table_name: {
                "Keys": [{"asin": {"S": asin}} for asin in asins],
                "ProjectionExpression": CARD_PROJECTION,
                "ExpressionAttributeNames": _CARD_NAMES,
            }
        }
        found: dict[str, Item] = {}
        for attempt in range(BATCH_GET_MAX_ATTEMPTS):
            if attempt:
                self._sleep(random.uniform(0, min(BACKOFF_CAP_SECONDS, BACKOFF_BASE_SECONDS * 2**attempt)))
            response = self._client.batch_get_item(RequestItems=request)
            for wire in response.get("Responses", {}).get(self._table_name, []):
                item = python_item(wire)
                found[item["asin"]] = item
            request = response.get("UnprocessedKeys") or {}
            if not request:
                return found
        raise DependencyUnavailable(
            "The item database is throttling reads (BatchGetItem left keys unprocessed). Try again shortly."
        )

    def popular_page(self, limit: int, next_token: str | None = None) -> Page:
        """All items' cards, most popular first, one page at a time."""
        start = decode_page_token(next_token, POPULAR_INDEX_KEYS, {"popularityGroup": POPULARITY_GROUP})
        return self._query_page(self._popular_index, "popularityGroup", POPULARITY_GROUP, limit, start)

    def category_page(self, category: str, limit: int, next_token: str | None = None) -> Page:
        """The cards of one category, most popular first, one page at a time."""
        start = decode_page_token(next_token, CATEGORY_INDEX_KEYS, {"category": category})
        return self._query_page(self._category_index, "category", category, limit, start)

    def category_size(self, category: str) -> int:
        """How many items `category` has: a COUNT query on category-index (keys only, no items sent)."""
        arguments: dict[str, Any] = {
            "TableName": self._table_name,
            "IndexName": self._category_index,
            "KeyConditionExpression": "#k = :k",
            "ExpressionAttributeNames": {"#k": "category"},
            "ExpressionAttributeValues": {":k": {"S": category}},
            "Select": "COUNT",
        }
        total = 0
        while True:
            response = self._client.query(**arguments)
            total += response["Count"]
            if "LastEvaluatedKey" not in response:
                return total
            arguments["ExclusiveStartKey"] = response["LastEvaluatedKey"]

    def category_items(self, category: str) -> list[Item]:
        """The cards of every item of `category`, most popular first (all of category-index's pages for it)."""
        items: list[Item] = []
        start = None
        while True:
            page = self._query_page(self._category_index, "category", category, 1000, start)
            items += page.items
            if page.next_token is None:
                return items
            start = decode_page_token(page.next_token, CATEGORY_INDEX_KEYS, {"category": category})

    def popular(self, limit: int, exclude: Iterable[str] = ()) -> list[Item]:
        """The cards of the `limit` most popular items, leaving out `exclude`."""
        excluded = set(exclude)
        page = self._query_page(
            self._popular_index, "popularityGroup", POPULARITY_GROUP, limit + len(excluded), None
        )
        return [item for item in page.items if item["asin"] not in excluded][:limit]

    def popular_in_category(self, category: str, limit: int, exclude: Iterable[str] = ()) -> list[Item]:
        """The cards of the `limit` most popular items of `category`, leaving out `exclude`."""
        excluded = set(exclude)
        page = self._query_page(self._category_index, "category", category, limit + len(excluded), None)
        return [item for item in page.items if item["asin"] not in excluded][:limit]

    def _query_page(
        self, index: str, key_name: str, key_value: str, limit: int, start: Mapping[str, Any] | None
    ) -> Page:
        """One page of `index` where `key_name` is `key_value`, highest popularity first, as cards."""
        placeholder = _CARD_PLACEHOLDERS.get(key_name, "#k")
        arguments: dict[str, Any] = {
            "TableName": self._table_name,
            "IndexName": index,
            "KeyConditionExpression": f"{placeholder} = :k",
            "ExpressionAttributeNames": {**_CARD_NAMES, placeholder: key_name},
            "ExpressionAttributeValues": {":k": {"S": key_value}},
            "ProjectionExpression": CARD_PROJECTION,
            "ScanIndexForward": False,
            "Limit": limit,
        }
        if start:
            arguments["ExclusiveStartKey"] = _wire_key(start)
        response = self._client.query(**arguments)
        last_key = response.get("LastEvaluatedKey")
        return Page(
            items=[python_item(wire) for wire in response.get("Items", [])],
            next_token=encode_page_token(python_item(last_key)) if last_key else None,
        )
