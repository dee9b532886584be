"""allstore.workshop.storefront: where the notebooks find the store's API, and what they get from it."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import boto3
import pytest
from botocore.stub import Stubber

from allstore.workshop.storefront import API_URL_VARIABLE, StoreError, Storefront, api_url

STACK_ID = "arn:aws:cloudformation:eu-west-1:123456789012:stack/shop/1"


def stubbed_cloudformation(outputs: list[dict[str, str]]):
    client = boto3.client(
        "cloudformation", region_name="eu-west-1", aws_access_key_id="x", aws_secret_access_key="x"
    )
    stub = Stubber(client)
    stub.add_response(
        "describe_stacks",
        {
            "Stacks": [
                {
                    "StackName": "shop",
                    "StackId": STACK_ID,
                    "CreationTime": "2026-12-01T00:00:00Z",
                    "StackStatus": "CREATE_COMPLETE",
                    "Outputs": outputs,
                }
            ]
        },
        {"StackName": "shop"},
    )
    return client, stub


def test_api_url_is_the_stacks_output_unless_the_variable_says(monkeypatch) -> None:
    monkeypatch.delenv(API_URL_VARIABLE, raising=False)
    client, stub = stubbed_cloudformation(
        [
            {"OutputKey": "WebsiteURL", "OutputValue": "https://d1.cloudfront.net/"},
            {"OutputKey": "ApiURL", "OutputValue": "https://abc.execute-api.eu-west-1.amazonaws.com/Prod"},
        ]
    )
    with stub:
        assert api_url("shop", client) == "https://abc.execute-api.eu-west-1.amazonaws.com/Prod/"
    monkeypatch.setenv(API_URL_VARIABLE, "http://127.0.0.1:3000/Prod")
    assert api_url("shop", client) == "http://127.0.0.1:3000/Prod/"  # no AWS call: the stub has none left


def test_a_stack_without_the_output_is_refused(monkeypatch) -> None:
    monkeypatch.delenv(API_URL_VARIABLE, raising=False)
    client, stub = stubbed_cloudformation([])
    with stub, pytest.raises(LookupError, match="no ApiURL output"):
        api_url("shop", client)


@pytest.fixture
def store_api():
    """A stand-in for the store's API: the first recommendations answer warns (not wired yet)."""
    asked: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            asked.append(self.path)
            if self.path.startswith("/Prod/items/missing"):
                status, body = 404, {"message": "Item missing not found"}
            elif self.path.startswith("/Prod/recommendations/") and len(asked) == 1:
                status, body = 200, {"results": [{"asin": "B1"}], "warning": "no campaign"}
            else:
                status, body = 200, {"results": [{"asin": "B2"}]}
            payload = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/Prod", asked
    finally:
        server.shutdown()
        server.server_close()


def test_get_when_wired_asks_again_until_the_warning_is_gone(store_api, monkeypatch) -> None:
    url, asked = store_api
    monkeypatch.setattr("allstore.workshop.storefront.time.sleep", lambda seconds: None)
    store = Storefront(url)
    assert store.get_when_wired("recommendations/A 1") == {"results": [{"asin": "B2"}]}
    assert asked == ["/Prod/recommendations/A%201"] * 2
    assert store.get("search", q="red shoe", u="A1") == {"results": [{"asin": "B2"}]}
    assert asked[-1] == "/Prod/search?q=red+shoe&u=A1"
    with pytest.raises(StoreError, match="404 Item missing not found"):
        store.get("items/missing")
