"""Repeated query parameters and headers are handled as API Gateway's Lambda proxy integration
does: the last value in `queryStringParameters` / `headers`, every value in order in the
`multiValue...` fields, and the handlers validate the value they use (the last)."""

from __future__ import annotations

from email.message import Message

from allstore.local.event_shapes import api_gateway_event
from tests.security.store.conftest import RunningStore


def test_the_last_value_is_the_parameter_and_all_are_in_multi_value() -> None:
    headers = Message()
    headers["Host"] = "127.0.0.1:3000"
    headers["X-Tag"] = "first"
    headers["X-Tag"] = "second"
    event = api_gateway_event(
        method="GET",
        path="/items",
        request_path="/Prod/items",
        query="limit=5&limit=500&q=a+b%2Bc&flag",
        headers=headers,
        body=b"",
        resource="/items",
        path_parameters={},
        stage="Prod",
        source_ip="127.0.0.1",
    )
    assert event["queryStringParameters"] == {"limit": "500", "q": "a b+c", "flag": ""}
    assert event["multiValueQueryStringParameters"] == {"limit": ["5", "500"], "q": ["a b+c"], "flag": [""]}
    assert event["headers"]["X-Tag"] == "second"
    assert event["multiValueHeaders"]["X-Tag"] == ["first", "second"]


def test_the_handlers_validate_the_value_they_use(running_store: RunningStore) -> None:
    over = running_store.get("/Prod/items?limit=5&limit=500")
    assert over.status_code == 400 and "500" in over.json()["message"]
    kept = running_store.get("/Prod/items?limit=500&limit=3")
    assert kept.status_code == 200 and len(kept.json()["results"]) == 3
    search = running_store.get("/Prod/search?q=ball&q=%20")
    assert search.status_code == 400, search.text  # the last q is blank
