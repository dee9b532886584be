"""A faster answer path for moto's DynamoDB item operations, for the local store's API latency.

moto 5 serialises every response by walking botocore's shape model value by value; for DynamoDB
items (attribute-value trees) that costs ~3 ms per product, so one BatchGetItem of 25 products took
80 ms — most of an API request's time. The item operations' results are already wire-shaped
(attribute names and type tags as the JSON 1.0 protocol sends them), so they are written with
`json.dumps`, binary values base64-encoded as on the wire. Every other operation, and every error,
keeps moto's own serialiser. tests/unit/local/test_moto_speedups.py checks both paths agree.
"""

from __future__ import annotations

import base64
import json
from decimal import Decimal
from typing import Any

from moto.dynamodb.responses import DynamoResult

ITEM_OPERATIONS = frozenset(
    {"GetItem", "BatchGetItem", "Query", "Scan", "PutItem", "UpdateItem", "DeleteItem"}
)
_original_execute_result = DynamoResult.execute_result


def _wire_value(value: Any) -> Any:
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def _execute_result(self: DynamoResult, context: Any) -> tuple[int, dict[str, str], str]:
    if context.operation_model.name not in ITEM_OPERATIONS or isinstance(self.result, Exception):
        return _original_execute_result(self, context)
    body = json.dumps(self.result, default=_wire_value, separators=(",", ":"))
    return 200, {"Content-Type": "application/x-amz-json-1.0"}, body


def install() -> None:
    """Use the fast path in this process (idempotent)."""
    DynamoResult.execute_result = _execute_result  # type: ignore[method-assign]
