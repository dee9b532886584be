"""Bad input is a 4xx in the service's own shape on every server the store opens, never a 5xx,
Python's HTML error page, or a dropped connection.

Each case goes over raw HTTP to the running local store: the API (API Gateway's `{"message"}`),
the web UI's AWS proxy and the Lambda API (AWS JSON errors), local AWS (moto, signed with the
store's key: the protocol's error), search (signed too: OpenSearch's `{"error", "status"}`) and
Personalize (signed too: `__type`). The inputs: non-UTF-8 bodies, JSON nested thousands deep, `%00` in the path, unknown
methods, a malformed request line.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

import pytest

from allstore.local.aws import REGION
from tests.security.conftest import raw_exchange
from tests.security.store.conftest import RunningStore

DEPTH = 5000
DEEP_JSON = b'{"a":' * DEPTH + b"1" + b"}" * DEPTH
DEEP_ARRAY = b"[" * DEPTH + b"]" * DEPTH
NOT_UTF8 = b'{"q": "\xff\xfe\xc3\x28"}'


@dataclass(frozen=True)
class Server:
    """One server of the store: where it is, how a request is made acceptable to it, its error shape."""

    name: str
    url: Callable[[RunningStore], str]  # base URL, no trailing slash
    path: str  # a path that takes a JSON POST
    headers: Callable[[RunningStore, str, str, bytes], dict[str, str]]
    shape: Callable[[dict[str, str], bytes], bool]


def plain(store: RunningStore, method: str, url: str, body: bytes) -> dict[str, str]:
    return {"Content-Type": "application/json"}


def signed(
    service: str, target: str | None = None
) -> Callable[[RunningStore, str, str, bytes], dict[str, str]]:
    """Headers signed with the store's key, as boto3 would send them."""

    def headers(store: RunningStore, method: str, url: str, body: bytes) -> dict[str, str]:
        base = {"Content-Type": "application/x-amz-json-1.0"}
        if target:
            base["X-Amz-Target"] = target
        return store.store.credentials.sign(method, url, base, body, service, REGION)

    return headers


def api_gateway_shape(headers: dict[str, str], body: bytes) -> bool:
    document = json.loads(body)
    return isinstance(document.get("message"), str)


def aws_json_shape(headers: dict[str, str], body: bytes) -> bool:
    lowered = {name.lower(): value for name, value in headers.items()}
    if "xml" in lowered.get("content-type", ""):
        return b"<Code>" in body and b"<Message>" in body
    document = json.loads(body)
    return bool(document.get("__type") or lowered.get("x-amzn-errortype")) and bool(
        document.get("message") or document.get("Message")
    )


def opensearch_shape(headers: dict[str, str], body: bytes) -> bool:
    document = json.loads(body)
    return isinstance(document.get("error"), dict) and isinstance(document.get("status"), int)


def personalize_shape(headers: dict[str, str], body: bytes) -> bool:
    document = json.loads(body)
    return isinstance(document.get("__type"), str) and isinstance(document.get("message"), str)


SERVERS = [
    Server("api", lambda s: s.url.rstrip("/"), "/Prod/search", plain, api_gateway_shape),
    Server(
        "browser-proxy",
        lambda s: s.url.rstrip("/"),
        "/aws/kinesis/",
        lambda s, m, u, b: {
            "Content-Type": "application/x-amz-json-1.1",
            "X-Amz-Target": "Kinesis_20131202.PutRecord",
        },
        aws_json_shape,
    ),
    Server(
        "lambda-api",
        lambda s: s.store.endpoints["lambda"],
        "/2015-03-31/functions/nothing/invocations",
        signed("lambda"),
        aws_json_shape,
    ),
    Server(
        "moto",
        lambda s: s.store.endpoints["dynamodb"],
        "/",
        signed("dynamodb", "DynamoDB_20120810.GetItem"),
        aws_json_shape,
    ),
    Server(
        "search",
        lambda s: search_url(s),
        "/items/_search",
        signed("es"),
        opensearch_shape,
    ),
    Server(
        "personalize",
        lambda s: s.store.endpoints["personalize-runtime"],
        "/recommendations",
        signed("personalize"),
        personalize_shape,
    ),
]


def search_url(store: RunningStore) -> str:
    assert store.store.provisioner is not None
    return "http://" + store.store.provisioner.lookup("SearchDomain", "DomainEndpoint")


def request(
    store: RunningStore, server: Server, method: str, path: str, body: bytes, *, sign_path: str | None = None
) -> tuple[int, dict[str, str], bytes]:
    """One raw request; (status, headers, body) of the answer — the server must answer, not drop it."""
    base = server.url(store)
    split = urlsplit(base)
    url = base + path
    headers = server.headers(store, method, base + (sign_path or path), body)
    headers = {
        name: value for name, value in headers.items() if name.lower() not in ("host", "content-length")
    }
    lines = [
        f"{method} {split.path}{path} HTTP/1.1",
        f"Host: {split.netloc}",
        f"Content-Length: {len(body)}",
        "Connection: close",
    ]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    raw = raw_exchange(split.port or 80, ("\r\n".join(lines) + "\r\n\r\n").encode() + body + b"", timeout=30)
    return parse_response(raw, url)


def parse_response(raw: bytes, what: str) -> tuple[int, dict[str, str], bytes]:
    assert raw, f"{what}: the connection was dropped without an answer"
    head, _, body = raw.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers = dict(line.split(": ", 1) for line in header_lines if ": " in line)
    return int(status_line.split()[1]), headers, body


def assert_4xx_in_shape(server: Server, answer: tuple[int, dict[str, str], bytes]) -> None:
    status, headers, body = answer
    assert 400 <= status < 500, (server.name, status, body[:300])
    assert b"<html" not in body.lower() and b"traceback" not in body.lower(), body[:300]
    assert server.shape(headers, body), (server.name, status, body[:300])


@pytest.fixture(scope="module")
def store(running_store: RunningStore) -> RunningStore:
    return running_store


@pytest.mark.parametrize("server", SERVERS, ids=lambda server: server.name)
@pytest.mark.parametrize(
    "body", [NOT_UTF8, DEEP_JSON, DEEP_ARRAY], ids=["not-utf8", "deep-object", "deep-array"]
)
def test_bad_bodies_are_a_4xx_in_the_services_shape(store: RunningStore, server: Server, body: bytes) -> None:
    assert_4xx_in_shape(server, request(store, server, "POST", server.path, body))


@pytest.mark.parametrize("server", SERVERS, ids=lambda server: server.name)
def test_nul_in_the_path_is_a_4xx(store: RunningStore, server: Server) -> None:
    assert_4xx_in_shape(server, request(store, server, "POST", server.path + "%00x", b"{}"))


@pytest.mark.parametrize("server", SERVERS, ids=lambda server: server.name)
@pytest.mark.parametrize("method", ["TRACE", "CONNECT", "PROPFIND", "FOO"])
def test_unknown_methods_are_a_json_403_or_405(store: RunningStore, server: Server, method: str) -> None:
    status, headers, body = request(store, server, method, server.path, b"")
    assert status in (403, 405), (server.name, status, body[:300])
    assert_4xx_in_shape(server, (status, headers, body))


@pytest.mark.parametrize("server", SERVERS, ids=lambda server: server.name)
@pytest.mark.parametrize("line", [b"GET\r\n", b"GET / HTTP/9.9\r\n", b"\x16\x03\x01\x02\x00\x01\x00\r\n"])
def test_malformed_request_lines_are_answered_without_html(
    store: RunningStore, server: Server, line: bytes
) -> None:
    port = urlsplit(server.url(store)).port
    raw = raw_exchange(port, line + b"Host: 127.0.0.1\r\nConnection: close\r\n\r\n", timeout=30)
    status, _, body = parse_response(raw, server.name)
    if b"HTTP/9.9" in line:  # the status HTTP defines for it (RFC 9110 15.6.6)
        assert status == 505
    assert (400 <= status < 500 or status == 505) and b"<html" not in body.lower(), (server.name, raw[:300])


DEEP_QUERIES = [
    "q=" + "(" * DEPTH + "x" + ")" * DEPTH,
    "q=" + "%5B" * DEPTH,
    "a" + "[b]" * DEPTH + "=1",
    "&".join(f"limit={n}" for n in range(2000)),
]


@pytest.mark.parametrize("server", SERVERS, ids=lambda server: server.name)
@pytest.mark.parametrize("query", DEEP_QUERIES, ids=["parens", "brackets", "nested-keys", "repeated"])
def test_deep_or_repeated_query_strings_are_answered_without_a_5xx(
    store: RunningStore, server: Server, query: str
) -> None:
    status, _, body = request(
        store, server, "GET", f"{server.path}?{query}", b"", sign_path=f"{server.path}?{query}"
    )
    assert status < 500 and b"<html" not in body.lower(), (server.name, status, body[:300])


@pytest.mark.parametrize("refused_by", ["Origin: https://evil.example", "Host: evil.example"])
def test_local_aws_refuses_a_page_before_reading_its_body(store: RunningStore, refused_by: str) -> None:
    """A 10 GB body announced by a page (or a rebound name) is never read: 403 at once."""
    split = urlsplit(store.store.endpoints["dynamodb"])
    host = "" if refused_by.startswith("Host") else f"Host: {split.netloc}\r\n"
    head = f"POST / HTTP/1.1\r\n{host}{refused_by}\r\nContent-Length: 10000000000\r\n\r\n"
    status, _, body = parse_response(raw_exchange(split.port, head.encode(), timeout=10), "moto")
    assert status == 403 and b"AccessDenied" in body
