"""The product search index: its mapping, and how an Items-table item becomes a search document.

The mapping is explicit (and `dynamic: false`) so every catalogue indexes the same way: whatever
extra attributes a catalogue carries stay in `_source` for display but never grow the mapping, and
the fields the search API filters or sorts on have `keyword` sub-fields from the first document on.
"""

from __future__ import annotations

import base64
from decimal import Decimal
from typing import Any

from opensearchpy import OpenSearch
from opensearchpy.exceptions import RequestError

_TEXT_WITH_KEYWORD = {"type": "text", "fields": {"keyword": {"type": "keyword", "ignore_above": 256}}}

INDEX_MAPPING: dict[str, Any] = {
    "mappings": {
        "dynamic": False,
        "properties": {
            "asin": {"type": "keyword"},
            "title": _TEXT_WITH_KEYWORD,
            "description": {"type": "text"},
            "feature": {"type": "text"},
            "brand": _TEXT_WITH_KEYWORD,
            "category": {"type": "keyword"},
            "genre": {"type": "text"},
            "price": {"type": "float"},
            "imUrl": {"type": "keyword", "index": False},
            "popularity": {"type": "integer"},
        },
    }
}


def ensure_index(client: OpenSearch, index: str) -> bool:
    """Create `index` with the product mapping unless it exists; True when this call created it.

    Two indexers may race to create it; losing that race is not an error.
    """
    if client.indices.exists(index=index):
        return False
    try:
        client.indices.create(index=index, body=INDEX_MAPPING)
    except RequestError as error:
        if error.error == "resource_already_exists_exception":
            return False
        raise
    return True


def search_document(item: dict[str, Any]) -> dict[str, Any]:
    """A JSON-ready copy of a DynamoDB item: numbers become int/float, sets become sorted lists."""
    return {name: _json_value(value) for name, value in item.items()}


def _json_value(value: Any) -> Any:
    if isinstance(value, Decimal):
        if not value.is_finite():
            return None
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return search_document(value)
    if isinstance(value, list):
        return [_json_value(element) for element in value]
    if isinstance(value, set | frozenset):
        return sorted(_json_value(element) for element in value)
    if isinstance(value, bytes | bytearray):
        return base64.b64encode(value).decode("ascii")
    if hasattr(value, "value") and isinstance(value.value, bytes | bytearray):  # boto3 Binary
        return base64.b64encode(value.value).decode("ascii")
    return value
