"""ItemStore's item cache (ITEM_CACHE_SECONDS) and card projection, against moto's DynamoDB in process.

Every DynamoDB call the store makes is counted by botocore's event hooks, so a cache hit is a call
that did not happen and a projection is what the request asked for and what came back.
"""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import boto3
import pytest
from allstore_common.items import (
    CARD_ATTRIBUTES,
    DEFAULT_ITEM_CACHE_SECONDS,
    ITEM_CACHE_SECONDS_VARIABLE,
    ItemCache,
    ItemStore,
    item_cache_seconds,
    python_item,
)
from boto3.dynamodb.types import Binary, TypeDeserializer, TypeSerializer

from allstore.local.template import load_template
from tests.unit.api.conftest import asin, create_items_table, make_item
from tests.unit.api.openapi_contract import assert_documented_response, openapi

TABLE = "cache-items"
WEB_UI_TYPES = Path(__file__).resolve().parents[3] / "webui" / "src" / "api" / "types.ts"
TTL = 30.0


def rich_item(number: int, category: str = "Camping", **extra: Any) -> dict[str, Any]:
    """A catalogue item with more than a card shows: description, features, a custom attribute."""
    return make_item(
        number,
        category,
        100 - number,
        brand=f"Brand {number % 3}",
        main_cat="Outdoors",
        rating=Decimal("4.5"),
        ratingCount=12,
        description=[f"A long description of thing {number}."],
        feature=["light", "strong"],
        material="steel",
        **extra,
    )


ITEMS = [rich_item(number) for number in range(1, 9)]


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Calls:
    """The parameters of every call of one DynamoDB operation a client makes."""

    def __init__(self, client: Any, operation: str) -> None:
        self.params: list[dict[str, Any]] = []
        client.meta.events.register(f"provide-client-params.dynamodb.{operation}", self._record)

    def _record(self, params: dict[str, Any], **_: Any) -> None:
        self.params.append(params)

    def __len__(self) -> int:
        return len(self.params)

    def keys(self, index: int) -> list[str]:
        """The ids BatchGetItem call `index` asked for."""
        (request,) = self.params[index]["RequestItems"].values()
        return [key["asin"]["S"] for key in request["Keys"]]


@pytest.fixture(scope="module")
def table(aws: None) -> Any:
    return create_items_table(ITEMS, TABLE)


@pytest.fixture
def client(table: Any) -> Any:
    return boto3.client("dynamodb")


@pytest.fixture
def clock() -> Clock:
    return Clock()


def store_of(client: Any, clock: Clock, seconds: float | None = TTL) -> ItemStore:
    return ItemStore(TABLE, dynamodb=client, cache_seconds=seconds, clock=clock)


def card_of(item: dict[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in item.items() if name in CARD_ATTRIBUTES}


def test_a_second_list_within_the_ttl_reads_nothing(client, clock):
    store = store_of(client, clock)
    reads = Calls(client, "BatchGetItem")
    first = store.hydrate([asin(3), asin(1), asin(2)])
    clock.now += TTL - 1
    second = store.hydrate([asin(2), asin(3), asin(1)])
    assert len(reads) == 1
    assert [item["asin"] for item in second.items] == [asin(2), asin(3), asin(1)]
    assert sorted(first.items, key=lambda item: item["asin"]) == sorted(
        second.items, key=lambda item: item["asin"]
    )


def test_only_the_ids_not_cached_are_read(client, clock):
    store = store_of(client, clock)
    reads = Calls(client, "BatchGetItem")
    store.hydrate([asin(1), asin(2)])
    hydrated = store.hydrate([asin(2), asin(4), asin(1), asin(5)])
    assert [item["asin"] for item in hydrated.items] == [asin(2), asin(4), asin(1), asin(5)]
    assert len(reads) == 2
    assert reads.keys(1) == [asin(4), asin(5)]


def test_entries_expire_after_the_ttl_and_the_change_shows(client, table, clock):
    item = rich_item(90, "Elsewhere")
    table.put_item(Item=item)
    store = store_of(client, clock)
    reads = Calls(client, "BatchGetItem")
    assert store.hydrate([asin(90)]).items[0]["title"] == item["title"]
    table.put_item(Item={**item, "title": "Renamed thing"})
    clock.now += TTL - 0.5
    assert store.hydrate([asin(90)]).items[0]["title"] == item["title"]  # up to TTL seconds stale
    clock.now += 0.5
    assert store.hydrate([asin(90)]).items[0]["title"] == "Renamed thing"
    assert len(reads) == 2


def test_absent_ids_are_remembered_too(client, table, clock):
    store = store_of(client, clock)
    reads = Calls(client, "BatchGetItem")
    assert store.hydrate([asin(91), asin(1)]).missing == [asin(91)]
    table.put_item(Item=rich_item(91, "Elsewhere"))
    again = store.hydrate([asin(91), asin(1)])
    assert again.missing == [asin(91)]
    assert [item["asin"] for item in again.items] == [asin(1)]
    assert len(reads) == 1
    clock.now += TTL
    assert store.hydrate([asin(91)]).missing == []
    assert len(reads) == 2


def test_zero_seconds_turns_the_cache_off(client, clock, monkeypatch):
    monkeypatch.setenv(ITEM_CACHE_SECONDS_VARIABLE, "0")
    store = store_of(client, clock, seconds=None)  # from the environment, as the handlers do
    reads = Calls(client, "BatchGetItem")
    gets = Calls(client, "GetItem")
    for _ in range(3):
        assert len(store.hydrate([asin(1), asin(404)]).items) == 1
        assert store.get(asin(2)) is not None
        assert store.get(asin(404)) is None
    assert len(reads) == 3
    assert len(gets) == 6
    assert len(store.cards) == len(store.full_items) == 0


def test_the_product_page_reads_the_whole_item_and_caches_it(client, clock):
    store = store_of(client, clock)
    gets = Calls(client, "GetItem")
    item = store.get(asin(4))
    assert item == {name: value for name, value in ITEMS[3].items() if name != "popularityGroup"}
    assert "ProjectionExpression" not in gets.params[0]
    assert store.get(asin(4)) == item
    assert store.get(asin(404)) is None
    assert store.get(asin(404)) is None
    assert len(gets) == 2
    clock.now += TTL
    store.get(asin(4))
    assert len(gets) == 3


def test_a_caller_changing_an_item_does_not_change_the_cache(client, clock):
    store = store_of(client, clock)
    store.hydrate([asin(1)]).items[0]["Promoted"] = True
    store.get(asin(1))["reviews"] = []
    assert "Promoted" not in store.hydrate([asin(1)]).items[0]
    assert "reviews" not in store.get(asin(1))


def test_the_cache_keeps_the_most_recently_used():
    clock = Clock()
    cache = ItemCache(TTL, max_items=2, clock=clock)
    cache.remember("a", {"asin": "a"})
    cache.remember("b", {"asin": "b"})
    assert cache.lookup("a") == {"asin": "a"}  # now b is the least recently used
    cache.remember("c", None)
    assert cache.lookup("b") is ItemCache.MISS
    assert cache.lookup("a") == {"asin": "a"}
    assert cache.lookup("c") is None
    assert len(cache) == 2


@pytest.mark.parametrize(
    ("text", "seconds"),
    [(None, DEFAULT_ITEM_CACHE_SECONDS), ("", DEFAULT_ITEM_CACHE_SECONDS), ("0", 0.0), (" 2.5 ", 2.5)],
)
def test_item_cache_seconds_from_the_environment(text, seconds):
    environment = {} if text is None else {ITEM_CACHE_SECONDS_VARIABLE: text}
    assert item_cache_seconds(environment) == seconds


@pytest.mark.parametrize("text", ["-1", "thirty", "inf", "nan"])
def test_a_bad_item_cache_seconds_is_refused_by_name(text):
    with pytest.raises(ValueError, match=f"ITEM_CACHE_SECONDS must be a number of seconds.*{text}"):
        item_cache_seconds({ITEM_CACHE_SECONDS_VARIABLE: text})


def test_the_template_sets_the_default_for_every_function():
    variables = load_template()["Globals"]["Function"]["Environment"]["Variables"]
    assert float(variables[ITEM_CACHE_SECONDS_VARIABLE]) == DEFAULT_ITEM_CACHE_SECONDS


def test_lists_ask_for_and_get_only_the_card_attributes(client, clock):
    store = store_of(client, clock, seconds=0)
    reads = Calls(client, "BatchGetItem")
    queries = Calls(client, "Query")
    hydrated = store.hydrate([asin(2), asin(1)])
    assert hydrated.items == [card_of(ITEMS[1]), card_of(ITEMS[0])]
    assert set(hydrated.items[0]) == set(CARD_ATTRIBUTES)
    (request,) = reads.params[0]["RequestItems"].values()
    assert sorted(request["ExpressionAttributeNames"].values()) == sorted(CARD_ATTRIBUTES)
    lists = [
        store.popular(3),
        store.popular_in_category("Camping", 3, exclude=[asin(1)]),
        store.popular_page(3).items,
        store.category_page("Camping", 3).items,
        store.category_items("Camping"),
    ]
    for items in lists:
        assert items and all(set(item) <= set(CARD_ATTRIBUTES) for item in items)
        assert all(item == card_of(ITEMS[int(item["asin"][1:]) - 1]) for item in items)
    assert all("ProjectionExpression" in params for params in queries.params)


def test_pages_of_cards_continue_where_the_last_ended(client, clock):
    store = store_of(client, clock)
    seen: list[str] = []
    token = None
    while True:
        page = store.category_page("Camping", 3, token)
        seen += [item["asin"] for item in page.items]
        token = page.next_token
        if token is None:
            break
    camping = sorted(
        (item for item in ITEMS if item["category"] == "Camping"), key=lambda item: -item["popularity"]
    )
    assert seen[: len(camping)] == [item["asin"] for item in camping]
    assert store.category_size("Camping") == len(seen)


@pytest.mark.parametrize(
    "value",
    [
        "text",
        Decimal("12.99"),
        Decimal("-1E+30"),
        True,
        None,
        Binary(b"\x00\x01"),
        {"a", "b"},
        {Decimal(1), Decimal("2.5")},
        {Binary(b"x"), Binary(b"y")},
        [1, "two", [Decimal(3)], {"four": None}],
        {"nested": {"list": [True, {"s"}]}},
    ],
)
def test_wire_values_convert_as_boto3s_deserializer_does(value):
    wire = TypeSerializer().serialize(value)
    assert python_item({"v": wire}) == {"v": TypeDeserializer().deserialize(wire)}


def test_openapis_card_is_what_lists_read_and_refuses_the_rest():
    card = openapi()["components"]["schemas"]["CardAttributes"]
    assert set(card["properties"]) == set(CARD_ATTRIBUTES)
    with pytest.raises(AssertionError, match="Unevaluated properties"):
        assert_documented_response(
            "/recommendations/{userId}", "get", 200, {"results": [{"asin": "A", "description": "long"}]}
        )


def test_every_item_field_the_web_ui_shows_is_on_the_card():
    source = WEB_UI_TYPES.read_text(encoding="utf-8")
    interface = re.search(r"export interface Item \{(.*?)\n\}", source, re.S)
    assert interface is not None
    fields = set(re.findall(r"^\s+(\w+)\??:", interface.group(1), re.M))
    # Reviews are the product page's alone (GET /items/{id} reads the whole item); lists never carry them.
    assert "reviews" in fields and "reviews" not in CARD_ATTRIBUTES
    assert fields - {"Promoted", "reviews"} <= set(CARD_ATTRIBUTES)
