"""The shared loopback server's wire rules (allstore/loopback.py), which every local server inherits."""

from __future__ import annotations

import gzip
import json
import select
import socket

import pytest
import requests

from allstore.loopback import LoopbackServer, listen_backlog, parse_json

from .conftest import raw_exchange, responses_in


def echo(method, target, headers, body):
    return (
        200,
        {"Content-Type": "application/json"},
        json.dumps({"method": method, "size": len(body)}).encode(),
    )


@pytest.fixture
def server():
    with LoopbackServer(echo, max_body_bytes=1000, max_decoded_bytes=5000) as running:
        yield running


def request(port: int, head: str, body: bytes = b"") -> bytes:
    return raw_exchange(port, head.replace("\n", "\r\n").encode() + b"\r\n" + body, timeout=3)


def test_own_host_is_answered(server):
    for host in ("127.0.0.1", "localhost", "[::1]"):
        reply = requests.get(server.url, headers={"Host": f"{host}:{server.port}"}, timeout=5)
        assert reply.status_code == 200


@pytest.mark.parametrize("host", ["evil.example", "evil.example:80", "127.0.0.1:1", "127.0.0.1", "127.0.0.2"])
def test_other_hosts_are_refused_dns_rebinding(server, host):
    reply = requests.get(server.url, headers={"Host": host}, timeout=5)
    assert reply.status_code == 403
    assert "answers only requests addressed to" in reply.json()["message"]


def test_a_request_without_host_is_refused(server):
    raw = request(server.port, "GET / HTTP/1.0\n")
    assert responses_in(raw) == [b"HTTP/1.1 403 Forbidden"]


def test_a_foreign_origin_is_refused_and_its_own_is_not(server):
    assert requests.get(server.url, headers={"Origin": "https://evil.example"}, timeout=5).status_code == 403
    assert requests.get(server.url, headers={"Origin": "null"}, timeout=5).status_code == 403
    assert requests.get(server.url, headers={"Origin": server.url}, timeout=5).status_code == 200


@pytest.mark.parametrize("length", ["-1", "abc", "1e3", "5, 6"])
def test_bad_content_length_is_400_and_closes(server, length):
    raw = request(
        server.port, f"POST / HTTP/1.1\nHost: 127.0.0.1:{server.port}\nContent-Length: {length}\n", b"x"
    )
    assert responses_in(raw) == [b"HTTP/1.1 400 Bad Request"]
    assert b"Connection: close" in raw
    assert json.loads(raw.split(b"\r\n\r\n", 1)[1])["message"].startswith("invalid Content-Length")


def test_an_oversized_body_is_refused_unread_and_not_smuggled(server):
    """The refused body holds a second request: it must never be served from the same connection."""
    smuggled = f"GET /smuggled HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\n\r\n".encode()
    body = smuggled + b"x" * 2000
    raw = request(
        server.port, f"POST / HTTP/1.1\nHost: 127.0.0.1:{server.port}\nContent-Length: {len(body)}\n", body
    )
    assert responses_in(raw) == [b"HTTP/1.1 413 Request Entity Too Large"]
    assert b"Connection: close" in raw


def test_a_refused_host_closes_before_its_body_is_read_as_a_request(server):
    smuggled = f"GET /smuggled HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\n\r\n".encode()
    raw = request(
        server.port, f"POST / HTTP/1.1\nHost: evil.example\nContent-Length: {len(smuggled)}\n", smuggled
    )
    assert responses_in(raw) == [b"HTTP/1.1 403 Forbidden"]


def test_chunked_bodies_are_read(server):
    raw = request(
        server.port,
        f"POST / HTTP/1.1\nHost: 127.0.0.1:{server.port}\nTransfer-Encoding: chunked\nConnection: close\n",
        b"5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n",
    )
    assert responses_in(raw) == [b"HTTP/1.1 200 OK"]
    assert json.loads(raw.split(b"\r\n\r\n", 1)[1])["size"] == 11


def test_chunked_with_content_length_or_bad_chunks_is_400(server):
    both = request(
        server.port,
        f"POST / HTTP/1.1\nHost: 127.0.0.1:{server.port}\nTransfer-Encoding: chunked\nContent-Length: 3\n",
        b"0\r\n\r\n",
    )
    assert responses_in(both) == [b"HTTP/1.1 400 Bad Request"]
    bad = request(
        server.port,
        f"POST / HTTP/1.1\nHost: 127.0.0.1:{server.port}\nTransfer-Encoding: chunked\n",
        b"zz\r\n",
    )
    assert responses_in(bad) == [b"HTTP/1.1 400 Bad Request"]
    oversized = request(
        server.port,
        f"POST / HTTP/1.1\nHost: 127.0.0.1:{server.port}\nTransfer-Encoding: chunked\n",
        b"10000\r\n" + b"x" * 100,
    )
    assert responses_in(oversized) == [b"HTTP/1.1 413 Request Entity Too Large"]


def test_a_gzip_bomb_is_refused_and_small_gzip_is_decoded(server):
    small = requests.post(
        server.url, data=gzip.compress(b"a" * 4000), headers={"Content-Encoding": "gzip"}, timeout=5
    )
    assert small.json()["size"] == 4000
    bomb = gzip.compress(b"a" * 500_000)
    assert len(bomb) < 1000  # within the body limit: only the decoded size gives it away
    reply = requests.post(server.url, data=bomb, headers={"Content-Encoding": "gzip"}, timeout=5)
    assert reply.status_code == 413
    corrupt = requests.post(server.url, data=b"not gzip", headers={"Content-Encoding": "gzip"}, timeout=5)
    assert corrupt.status_code == 400


@pytest.mark.parametrize("method", ["TRACE", "CONNECT", "FOO", "PROPFIND"])
def test_unknown_methods_are_json_405_not_html_501(server, method):
    raw = request(server.port, f"{method} / HTTP/1.1\nHost: 127.0.0.1:{server.port}\n")
    assert responses_in(raw) == [b"HTTP/1.1 405 Method Not Allowed"]
    assert b"application/json" in raw and b"<html" not in raw.lower()


def test_malformed_request_lines_are_json_not_html(server):
    raw = request(server.port, "GET / HTTP/9.9\n")
    assert b"<html" not in raw.lower() and b"application/json" in raw


def test_nul_in_the_path_is_400(server):
    assert requests.get(server.url + "/a%00b", timeout=5).status_code == 400


def test_an_app_failure_is_a_500_without_details():
    def broken(method, target, headers, body):
        raise RuntimeError("secret detail /home/user/path")

    with LoopbackServer(broken) as server:
        reply = requests.get(server.url, timeout=5)
    assert reply.status_code == 500
    assert "secret" not in reply.text and "/home" not in reply.text and "Traceback" not in reply.text


def test_deep_json_is_a_value_error_not_a_recursion_error():
    with pytest.raises(ValueError, match="nested"):
        parse_json(b"[" * 100_000 + b"]" * 100_000)
    with pytest.raises(ValueError, match="nested"):
        parse_json(b"[" * 150 + b"]" * 150)
    with pytest.raises(ValueError, match="UTF-8"):
        parse_json(b'{"a": "\xff\xfe"}')
    assert parse_json(b'{"a": [[1]]}') == {"a": [[1]]}


def test_200_concurrent_connections_are_queued_by_the_kernel_and_all_answered():
    """With Python's default backlog of 5, connections beyond it wait for SYN retransmits (waves of
    1, 3, 7 s): here the server is busy (not accepting) while 200 clients connect, and every one
    of them must complete its handshake at once, then be answered."""
    assert listen_backlog() >= 200
    server = LoopbackServer(echo)
    clients = []
    try:
        for _ in range(200):
            client = socket.socket()
            client.setblocking(False)
            client.connect_ex(("127.0.0.1", server.port))
            clients.append(client)
        pending, connected = set(clients), 0
        while pending:
            _, writable, _ = select.select([], list(pending), [], 2.0)
            if not writable:
                break
            for client in writable:
                pending.discard(client)
                connected += client.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) == 0
        assert connected == 200, f"{connected} of 200 connections completed while the server was busy"
        server.start()
        for client in clients:
            client.setblocking(True)
            client.settimeout(30)
            client.sendall(
                f"GET / HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\nConnection: close\r\n\r\n".encode()
            )
        answered = 0
        for client in clients:
            data = b""
            while chunk := client.recv(4096):
                data += chunk
            answered += data.startswith(b"HTTP/1.1 200")
        assert answered == 200
    finally:
        for client in clients:
            client.close()
        server.stop()
