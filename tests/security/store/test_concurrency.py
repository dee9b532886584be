"""200 connections opened at once to the gateway (API requests that run the functions) and to the
search server are all answered correctly: the listen backlog holds them and no request waits for
a timeout (benchmarks/concurrent_connections.py measures how long answering them all takes)."""

from __future__ import annotations

import json
import socket
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

import pytest

from allstore.local.aws import REGION
from tests.security.store.conftest import RunningStore

CONNECTIONS = 200


def answer(connection: socket.socket) -> tuple[int, bytes]:
    received = b""
    with connection:
        while chunk := connection.recv(65536):
            received += chunk
    head, _, body = received.partition(b"\r\n\r\n")
    return int(head.split()[1]), body


def all_at_once(port: int, request: bytes) -> list[tuple[int, bytes]]:
    """Open every connection first, then send `request` on each, then read every answer."""
    connections = [socket.create_connection(("127.0.0.1", port), timeout=120) for _ in range(CONNECTIONS)]
    for connection in connections:
        connection.sendall(request)
    with ThreadPoolExecutor(max_workers=32) as readers:
        return list(readers.map(answer, connections))


def search_port(store: RunningStore) -> int:
    assert store.store.provisioner is not None
    return int(store.store.provisioner.lookup("SearchDomain", "DomainEndpoint").rsplit(":", 1)[1])


@pytest.mark.parametrize("route", ["/Prod/items?limit=2", "/Prod/search?q=ball"])
def test_200_simultaneous_api_requests_are_all_answered(running_store: RunningStore, route: str) -> None:
    port = urlsplit(running_store.url).port
    request = f"GET {route} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n".encode()
    answers = all_at_once(port, request)
    assert [status for status, _ in answers] == [200] * CONNECTIONS
    assert all(isinstance(json.loads(body)["results"], list) for _, body in answers)


def test_200_simultaneous_searches_are_all_answered(running_store: RunningStore) -> None:
    port = search_port(running_store)
    query = json.dumps({"query": {"match": {"title": "ball"}}, "size": 5}).encode()
    signed = running_store.store.credentials.sign(  # as the functions sign (SigV4, service es)
        "POST",
        f"http://127.0.0.1:{port}/items/_search",
        {"Content-Type": "application/json"},
        query,
        "es",
        REGION,
    )
    head = "".join(f"{name}: {value}\r\n" for name, value in signed.items())
    request = (
        f"POST /items/_search HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n"
        f"{head}Content-Length: {len(query)}\r\n\r\n"
    ).encode() + query
    answers = all_at_once(port, request)
    assert [status for status, _ in answers] == [200] * CONNECTIONS
    assert all("hits" in json.loads(body) for _, body in answers)
