"""GET /categories: the catalogue's departments and categories with item counts (Categories table)."""

from __future__ import annotations

import inspect

from botocore.stub import Stubber

from tests.unit.api.conftest import (
    CATEGORIES_TABLE,
    api_event,
    assert_cors,
    assert_error,
    create_categories_table,
    invoke,
)

# As the set-up loader writes them (allstore_common.categories): one item per category.
CATEGORIES = [
    {"category": "Tents", "department": "Sports & Outdoors", "itemCount": 41},
    {"category": "bike lights", "department": "Sports & Outdoors", "itemCount": 7},
    {"category": "Headphones", "department": "Electronics", "itemCount": 12},
    {"category": "Cables", "department": "Electronics", "itemCount": 3},
    {"category": "Gift Cards", "itemCount": 5},  # its items name no department
]


def list_categories(handler):
    return invoke(handler, api_event("/categories"))


def test_departments_and_their_categories_with_item_counts_in_alphabetical_order(aws, load):
    create_categories_table(CATEGORIES)
    response = list_categories(load("list_categories", CATEGORIES_TABLE=CATEGORIES_TABLE))
    assert response.status == 200, response.body
    assert response.body == {
        "departments": [
            {
                "name": "Electronics",
                "itemCount": 15,
                "categories": [{"name": "Cables", "itemCount": 3}, {"name": "Headphones", "itemCount": 12}],
            },
            {
                "name": "Sports & Outdoors",
                "itemCount": 48,
                "categories": [{"name": "bike lights", "itemCount": 7}, {"name": "Tents", "itemCount": 41}],
            },
            {"name": None, "itemCount": 5, "categories": [{"name": "Gift Cards", "itemCount": 5}]},
        ],
        "itemCount": 68,
    }
    assert_cors(response)


def test_a_table_the_loader_never_filled_is_an_empty_list(aws, load):
    create_categories_table(name="never-loaded")
    response = list_categories(load("list_categories", CATEGORIES_TABLE="never-loaded"))
    assert response.status == 200
    assert response.body == {"departments": [], "itemCount": 0}


def test_every_page_of_the_scan_is_read(aws, load):
    many = [{"category": f"Category {n:04d} " + "x" * 300, "itemCount": 1} for n in range(4000)]
    create_categories_table(many, name="many-categories")  # ~1.3 MB: more than one Scan page (1 MB)
    handler = load("list_categories", CATEGORIES_TABLE="many-categories")
    client = inspect.unwrap(handler).__globals__["table"]._table.meta.client
    scans = []
    client.meta.events.register("before-call.dynamodb.Scan", lambda **kwargs: scans.append(kwargs))
    response = list_categories(handler)
    assert response.status == 200
    assert len(scans) >= 2
    (department,) = response.body["departments"]
    assert len(department["categories"]) == 4000
    assert response.body["itemCount"] == 4000


def test_a_missing_table_is_502_naming_the_call(aws, load):
    handler = load("list_categories", CATEGORIES_TABLE="no-such-table")
    assert_error(list_categories(handler), 502, "Scan", "ResourceNotFoundException")


def test_throttling_is_503_worth_retrying(aws, load):
    create_categories_table(name="throttled")
    handler = load("list_categories", CATEGORIES_TABLE="throttled")
    client = inspect.unwrap(handler).__globals__["table"]._table.meta.client
    with Stubber(client) as stubber:
        stubber.add_client_error("scan", "ProvisionedThroughputExceededException", http_status_code=400)
        assert_error(list_categories(handler), 503, "Scan", "Try again shortly")


def test_its_only_call_is_a_scan_of_its_own_table_and_the_role_refuses_any_other(aws, load, monkeypatch):
    from tests.conftest import RECORDER
    from tests.unit.iam import least_privilege

    seen = []
    check = least_privilege.missing

    def spy(call, environment, event=None):
        seen.append(call)
        return check(call, environment, event)

    monkeypatch.setattr(least_privilege, "missing", spy)
    create_categories_table(CATEGORIES, name="checked-categories")
    response = list_categories(load("list_categories", CATEGORIES_TABLE="checked-categories"))
    assert response.status == 200
    assert [(call.caller, call.operation, call.params["TableName"]) for call in seen] == [
        ("ListCategoriesFunction", "Scan", "checked-categories")
    ]
    assert RECORDER.take() == []
    environment = {"CATEGORIES_TABLE": "checked-categories"}
    items = least_privilege.Call(
        "ListCategoriesFunction", "dynamodb", "Scan", {"TableName": "items"}, "us-east-1"
    )
    assert "does not allow dynamodb:Scan on arn:aws:dynamodb:us-east-1:123456789012:table/items" in check(
        items, environment
    )
    write = least_privilege.Call(
        "ListCategoriesFunction", "dynamodb", "PutItem", {"TableName": "checked-categories"}, "us-east-1"
    )
    assert "does not allow dynamodb:PutItem" in check(write, environment)
