"""Custom::ProductData records the catalogue's categories and their item counts in the Categories
table (allstore_common.categories): counted by every shard, replaced whole after each (re)load."""

from __future__ import annotations

import json

import boto3

from ..api.conftest import CATEGORIES_TABLE, ITEMS_TABLE
from .conftest import REGION, put_object


def _product(number: int, path: list[str], main_cat: str | None = None) -> str:
    record = {"asin": f"P{number:03d}", "title": f"Product {number}", "category": path}
    if main_cat is not None:
        record["main_cat"] = main_cat
    return json.dumps(record)


def _catalogue(*groups: tuple[int, list[str], str | None]) -> str:
    """`count` products for each (count, category path, main_cat), numbered in order."""
    lines, number = [], 0
    for count, path, main_cat in groups:
        for _ in range(count):
            lines.append(_product(number, path, main_cat))
            number += 1
    return "\n".join(lines) + "\n"


def _properties(source: str, shards: int) -> dict[str, str]:
    return {
        "Source": source,
        "TableName": ITEMS_TABLE,
        "CategoriesTable": CATEGORIES_TABLE,
        "Shards": str(shards),
    }


def _categories() -> dict[str, dict]:
    table = boto3.resource("dynamodb", region_name=REGION).Table(CATEGORIES_TABLE)
    return {item.pop("category"): item for item in table.scan()["Items"]}


def _items_per_category() -> dict[str, int]:
    counts: dict[str, int] = {}
    for item in boto3.resource("dynamodb", region_name=REGION).Table(ITEMS_TABLE).scan()["Items"]:
        counts[item["category"]] = counts.get(item["category"], 0) + 1
    return counts


FIRST = _catalogue(
    (9, ["Sports & Outdoors", "Camping", "Tents"], None),  # department: the path's first level
    (4, ["Lights"], "Sports &amp; Outdoors"),  # UCSD 2018's main_cat, entities and all
    (2, ["Lights"], "Tools & Home Improvement"),  # the minority's department is outvoted
    (3, ["Gift Cards"], ""),  # a lone category names no department
    (1, ["Jackets"], '<img src="https://images.example/fashion.png" alt="AMAZON FASHION"/>'),
)


def test_every_shards_categories_are_added_up_with_the_department_most_items_name(setup_function):
    source = put_object("products/first.jsonl", FIRST)

    answer = setup_function.request("Custom::ProductData", _properties(source, 3))

    assert answer["Status"] == "SUCCESS", answer["Reason"]
    assert answer["Data"]["Categories"] == "4"
    assert len(setup_function.lambda_service.calls) == 2  # shards 1 and 2 counted in their own invocations
    assert _categories() == {
        "Tents": {"department": "Sports & Outdoors", "itemCount": 9},
        "Lights": {"department": "Sports & Outdoors", "itemCount": 6},
        "Gift Cards": {"itemCount": 3},
        "Jackets": {"department": "AMAZON FASHION", "itemCount": 1},
    }
    assert {name: int(item["itemCount"]) for name, item in _categories().items()} == _items_per_category()


def test_a_reload_replaces_the_categories_and_a_failed_one_leaves_them(setup_function):
    first = put_object("products/first.jsonl", FIRST)
    created = setup_function.request("Custom::ProductData", _properties(first, 2))
    second = put_object(
        "products/second.jsonl",
        _catalogue(
            (5, ["Sports & Outdoors", "Camping", "Tents"], None), (2, ["Electronics", "Cables"], None)
        ),
    )

    reloaded = setup_function.request(
        "Custom::ProductData",
        _properties(second, 2),
        request_type="Update",
        old_properties=_properties(first, 2),
        physical_id=created["PhysicalResourceId"],
    )

    assert reloaded["Status"] == "SUCCESS", reloaded["Reason"]
    # The second file's products P000-P006 overwrite the first's; Lights, Gift Cards and Jackets
    # are no longer in the catalogue file, so their categories go (items left over from the first
    # file stay in the Items table: a reload does not delete products).
    assert _categories() == {
        "Tents": {"department": "Sports & Outdoors", "itemCount": 5},
        "Cables": {"department": "Electronics", "itemCount": 2},
    }

    broken = put_object("products/broken.jsonl", "not a product\n")
    failed = setup_function.request(
        "Custom::ProductData",
        _properties(broken, 1),
        request_type="Update",
        old_properties=_properties(second, 2),
        physical_id=created["PhysicalResourceId"],
    )
    assert failed["Status"] == "FAILED"
    assert set(_categories()) == {"Tents", "Cables"}


def test_without_a_categories_table_only_the_items_are_loaded(setup_function):
    source = put_object("products/first.jsonl", FIRST)
    properties = {"Source": source, "TableName": ITEMS_TABLE, "Shards": "1"}

    answer = setup_function.request("Custom::ProductData", properties)

    assert answer["Status"] == "SUCCESS", answer["Reason"]
    assert "Categories" not in answer["Data"]
    assert _categories() == {}


def test_a_categories_table_that_cannot_be_written_fails_the_request_naming_it(setup_function):
    source = put_object("products/first.jsonl", FIRST)

    answer = setup_function.request(
        "Custom::ProductData", {**_properties(source, 1), "CategoriesTable": "no-such-table"}
    )

    assert answer["Status"] == "FAILED"
    assert "recording the categories in table no-such-table failed" in answer["Reason"]
    assert "ResourceNotFoundException" in answer["Reason"]
