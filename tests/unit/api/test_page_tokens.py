"""nextToken encoding: opaque, exact for numbers, and validated against the index's key schema."""

from decimal import Decimal

import pytest
from allstore_common.items import CATEGORY_INDEX_KEYS
from allstore_common.page_tokens import decode_page_token, encode_page_token
from aws_lambda_powertools.event_handler.exceptions import BadRequestError

KEY = {"asin": "B000000001", "category": "Camping & Hiking", "popularity": Decimal("12345678901234567890")}


def test_round_trip_is_exact_and_url_safe():
    token = encode_page_token(KEY)
    assert set(token) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
    assert decode_page_token(token, CATEGORY_INDEX_KEYS, {"category": "Camping & Hiking"}) == KEY


def test_no_token_is_the_first_page():
    assert decode_page_token(None, CATEGORY_INDEX_KEYS) is None
    assert decode_page_token("", CATEGORY_INDEX_KEYS) is None


def test_fixed_value_mismatch_is_rejected():
    with pytest.raises(BadRequestError, match="nextToken is not valid"):
        decode_page_token(encode_page_token(KEY), CATEGORY_INDEX_KEYS, {"category": "Cycling"})
