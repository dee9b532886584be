"""The catalogue's departments and categories, with how many items each has, for the category menu.

Where they live: a table of their own, `Categories`, one small item per category —
`{"category": "Tents", "department": "Sports & Outdoors", "itemCount": 41}` — keyed by the
category name, as category-index is. The set-up loader writes it when it loads the catalogue; the
`/categories` route reads it whole with one Scan (the table holds one item per category, a few KB,
not the catalogue). Why not the Items table: a summary record there would be returned by the reads
that trust every Items item to be a product (GetItem, BatchGetItem, the DynamoDB stream that feeds
the search index), and why not one big record: one DynamoDB item holds at most 400 KB, which a real
catalogue's thousands of categories could outgrow.

A category's department is the one most of its items name (`records.department`; ties go to the
first name in alphabetical order); its `itemCount` counts every item whose `category` it is, the
same items a category page (category-index) lists. A category none of whose items names a
department has no `department`.

When it is right: the loader counts the items it writes (every shard counts its own, the
coordinator adds them up) and, once every shard has succeeded, replaces the table's contents —
each category put, then the categories the new catalogue no longer has deleted — so after every
(re)load the table matches what was loaded. A load that fails leaves the previous counts alone.
Items written to the Items table by anything else later (one PutItem, a notebook) are not counted
until the next load: the stream that sees them is the search index's, and counting there twice on
every retried batch would drift. Neither are items an earlier load left in the table that the new
catalogue file no longer has (a reload overwrites items by id; it does not delete).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from typing import Any

import boto3

NO_DEPARTMENT = ""  # in counts: items that name no department

CategoryRow = tuple[str, str, int]  # (category, department or NO_DEPARTMENT, items)


class CategoryCounts:
    """Items per category and department, as the loader counts them; shards' counts add up."""

    def __init__(self, rows: Iterable[CategoryRow] = ()) -> None:
        self._counts: defaultdict[str, Counter[str]] = defaultdict(Counter)
        for category, department, count in rows:
            self._counts[category][department] += int(count)

    def add(self, category: str, department: str | None) -> None:
        self._counts[category][department or NO_DEPARTMENT] += 1

    def merge(self, other: CategoryCounts) -> None:
        for category, departments in other._counts.items():
            self._counts[category].update(departments)

    def rows(self) -> list[CategoryRow]:
        """Every (category, department, count), for a shard's answer to the coordinator."""
        return [
            (category, department, count)
            for category, departments in sorted(self._counts.items())
            for department, count in sorted(departments.items())
        ]

    def __len__(self) -> int:
        return len(self._counts)

    def items(self) -> list[dict[str, Any]]:
        """The Categories table's items: per category its department (the most named) and size."""
        result = []
        for category, departments in sorted(self._counts.items()):
            named = [(-count, department) for department, count in departments.items() if department]
            item: dict[str, Any] = {"category": category, "itemCount": sum(departments.values())}
            if named:
                item["department"] = min(named)[1]
            result.append(item)
        return result


class CategoryTable:
    """The Categories table: replaced whole by the loader, read whole by the `/categories` route."""

    def __init__(self, table_name: str, dynamodb: Any = None) -> None:
        self._table = (dynamodb or boto3.resource("dynamodb")).Table(table_name)

    def _scan(self, **arguments: Any) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        while True:
            response = self._table.scan(**arguments)
            found += response.get("Items", [])
            if "LastEvaluatedKey" not in response:
                return found
            arguments["ExclusiveStartKey"] = response["LastEvaluatedKey"]

    def replace(self, counts: CategoryCounts) -> int:
        """Make the table hold exactly `counts`' categories; returns how many stale ones went."""
        items = counts.items()
        kept = {item["category"] for item in items}
        stale = [
            row["category"]
            for row in self._scan(ProjectionExpression="#c", ExpressionAttributeNames={"#c": "category"})
            if row["category"] not in kept
        ]
        with self._table.batch_writer(overwrite_by_pkeys=["category"]) as writer:
            for item in items:
                writer.put_item(Item=item)
        with self._table.batch_writer(overwrite_by_pkeys=["category"]) as writer:
            for category in stale:  # after every put, so no category is ever missing meanwhile
                writer.delete_item(Key={"category": category})
        return len(stale)

    def departments(self) -> dict[str, Any]:
        """`{"departments": [{"name", "itemCount", "categories": [{"name", "itemCount"}]}], "itemCount"}`:
        departments and their categories by name (case-insensitively); the categories that name no
        department last, under `"name": null`."""
        grouped: defaultdict[str | None, list[dict[str, Any]]] = defaultdict(list)
        for row in self._scan():
            grouped[row.get("department") or None].append(
                {"name": row["category"], "itemCount": int(row.get("itemCount", 0))}
            )
        departments = []
        for name in sorted(grouped, key=lambda name: (name is None, (name or "").casefold(), name or "")):
            categories = sorted(
                grouped[name], key=lambda category: (category["name"].casefold(), category["name"])
            )
            departments.append(
                {
                    "name": name,
                    "itemCount": sum(category["itemCount"] for category in categories),
                    "categories": categories,
                }
            )
        return {
            "departments": departments,
            "itemCount": sum(department["itemCount"] for department in departments),
        }
