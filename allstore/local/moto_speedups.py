"""Faster equivalents of moto's DynamoDB hot paths, for the local store's load time and API latency.

moto 5 is written for correctness, not speed, and three of its DynamoDB paths dominate the local
store's CPU time. Each replacement below computes exactly what moto's own code does
(tests/unit/local/test_moto_speedups.py runs the same operations both ways and compares):

- Answers: moto serialises every response by walking botocore's shape model value by value, ~3 ms
  per product. Item operations' results are already wire-shaped, so they are written with
  `json.dumps` (binary values base64-encoded, as on the wire); other operations and every error
  keep moto's serialiser. Before that, results are turned into plain data by a direct recursion.
- Item construction: moto re-measures the whole item each time it adds an attribute (quadratic in
  the attribute count); the item is measured once instead, against the same 400 KB limit.
- Item size (BatchGetItem's 16 MB budget): one recursion over the values, not a DynamoType per
  nested value.
- Routing: moto lists its own package directory on every request to find the service; the list
  cannot change while the process runs, so it is read once.
"""

from __future__ import annotations

import base64
import json
from decimal import Decimal
from functools import cache
from typing import Any

from moto import backends
from moto.dynamodb import responses as dynamodb_responses
from moto.dynamodb.exceptions import ItemSizeTooLarge
from moto.dynamodb.models.dynamo_type import DynamoType, Item, LimitedSizeDict
from moto.dynamodb.models.utilities import bytesize
from moto.dynamodb.responses import DynamoResult

ITEM_OPERATIONS = frozenset(
    {"GetItem", "BatchGetItem", "Query", "Scan", "PutItem", "UpdateItem", "DeleteItem"}
)
ITEM_SIZE_LIMIT = 405000  # moto's limit: DynamoDB's 400 KB, as measured against the real service
ORIGINALS = {
    (DynamoResult, "execute_result"): DynamoResult.execute_result,
    (Item, "__init__"): Item.__init__,
    (DynamoType, "size"): DynamoType.size,
    (dynamodb_responses, "dynamo_to_dict"): dynamodb_responses.dynamo_to_dict,
    (backends, "list_of_moto_modules"): backends.list_of_moto_modules,
}


def _wire_value(value: Any) -> Any:
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def _execute_result(self: DynamoResult, context: Any) -> tuple[int, dict[str, str], str]:
    if context.operation_model.name not in ITEM_OPERATIONS or isinstance(self.result, Exception):
        return ORIGINALS[DynamoResult, "execute_result"](self, context)
    body = json.dumps(self.result, default=_wire_value, separators=(",", ":"))
    return 200, {"Content-Type": "application/x-amz-json-1.0"}, body


def _plain(value: Any) -> Any:
    """moto's `dynamo_to_dict`: DynamoType trees → {type: value} dicts, binary values as bytes."""
    if isinstance(value, DynamoType):
        kind, inner = value.type, value.value
        if kind == "M":
            return {"M": {key: _plain(child) for key, child in inner.items()}}
        if kind == "L":
            return {"L": [_plain(child) for child in inner]}
        if kind == "B":
            return {"B": inner if isinstance(inner, bytes) else base64.b64decode(inner)}
        if kind == "BS":
            return {"BS": [v if isinstance(v, bytes) else base64.b64decode(v) for v in inner]}
        return {kind: list(inner) if isinstance(inner, list) else inner}
    if isinstance(value, dict):
        return {key: _plain(child) for key, child in value.items()}
    if isinstance(value, list):
        return [_plain(child) for child in value]
    return ORIGINALS[dynamodb_responses, "dynamo_to_dict"](value)  # datetimes, models with to_json


def _size(self: DynamoType) -> int:
    """moto's DynamoType.size: the byte size DynamoDB bills and limits an attribute value by."""
    kind, value = self.type, self.value
    if kind == "N":
        return len(str(value))
    if kind in ("SS", "BS"):
        return sum(bytesize(member) for member in value)
    if kind == "NS":
        return sum(len(str(member)) for member in value)
    if kind == "L":
        return sum(_size(member) for member in value)
    if kind == "M":
        return sum(bytesize(key) + _size(member) for key, member in value.items())
    if isinstance(value, bool):
        return 1
    return bytesize(value)


def _item_init(self: Item, hash_key: DynamoType, range_key: DynamoType | None, attrs: dict[str, Any]) -> None:
    self.hash_key = hash_key
    self.range_key = range_key
    values = {key: DynamoType(value) for key, value in attrs.items()}
    if sum(bytesize(key) + _size(value) for key, value in values.items()) > ITEM_SIZE_LIMIT:
        raise ItemSizeTooLarge
    self.attrs = LimitedSizeDict()
    dict.update(self.attrs, values)  # already measured: skip the per-attribute re-measuring


@cache
def _moto_modules() -> tuple[str, ...]:
    return tuple(ORIGINALS[backends, "list_of_moto_modules"]())


REPLACEMENTS = {
    (DynamoResult, "execute_result"): _execute_result,
    (Item, "__init__"): _item_init,
    (DynamoType, "size"): _size,
    (dynamodb_responses, "dynamo_to_dict"): _plain,
    (backends, "list_of_moto_modules"): _moto_modules,
}


def install() -> None:
    """Use the fast paths in this process (idempotent)."""
    for (owner, name), replacement in REPLACEMENTS.items():
        setattr(owner, name, replacement)


def uninstall() -> None:
    """Put moto's own code back (for the equivalence tests)."""
    for (owner, name), original in ORIGINALS.items():
        setattr(owner, name, original)
