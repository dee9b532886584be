"""Opaque `nextToken` values for paginated DynamoDB reads.

A token is the base64url of DynamoDB's LastEvaluatedKey as JSON (numbers as strings, so they round-
trip exactly). A token coming back from a client is untrusted: it is checked against the index's key
schema before it reaches DynamoDB, so a bad token is a 400, not a DynamoDB ValidationException.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

from aws_lambda_powertools.event_handler.exceptions import BadRequestError

KeySchema = Mapping[str, Literal["S", "N"]]
MAX_TOKEN_LENGTH = 2048
INVALID_TOKEN = "nextToken is not valid: pass back the nextToken of the previous page unchanged"  # noqa: S105


def encode_page_token(last_key: Mapping[str, Any]) -> str:
    """The token for the page after `last_key` (a LastEvaluatedKey from the resource API)."""
    plain = {name: str(value) if isinstance(value, Decimal) else value for name, value in last_key.items()}
    raw = json.dumps(plain, separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_page_token(
    token: str | None, schema: KeySchema, fixed: Mapping[str, str] | None = None
) -> dict[str, Any] | None:
    """The ExclusiveStartKey for a token (None: first page); 400 unless it fits `schema` and `fixed`."""
    if not token:
        return None
    if len(token) > MAX_TOKEN_LENGTH:
        raise BadRequestError(INVALID_TOKEN)
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        plain = json.loads(raw)
    except (binascii.Error, ValueError):
        raise BadRequestError(INVALID_TOKEN) from None
    if not isinstance(plain, dict) or set(plain) != set(schema):
        raise BadRequestError(INVALID_TOKEN)
    key: dict[str, Any] = {}
    for name, attribute_type in schema.items():
        value = plain[name]
        if not isinstance(value, str):
            raise BadRequestError(INVALID_TOKEN)
        key[name] = _number(value) if attribute_type == "N" else value
    if any(key[name] != value for name, value in (fixed or {}).items()):
        raise BadRequestError(INVALID_TOKEN)
    return key


def _number(text: str) -> Decimal:
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise BadRequestError(INVALID_TOKEN) from None
    if not number.is_finite():
        raise BadRequestError(INVALID_TOKEN)
    return number
