"""Benchmark: 200 connections opened at once — how long until every one is answered.

    .venv/bin/python benchmarks/concurrent_connections.py [--data small] [--connections 200]

Starts `allstore local up` (as benchmarks/local_store.py does), then for the gateway (API routes
that run the functions) and the search server: opens every connection first, sends one request
on each, and reports the seconds until the first and the last answer arrive, with the statuses.
With a listen backlog of 5 (issue 15) answers came in waves, some after 90 s; now the time to the
last answer is the work itself (requests / throughput), printed as JSON.
"""

from __future__ import annotations

import argparse
import json
import socket
import tempfile
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from local_store import start_store, stop_store

from allstore.credentials import StoreCredentials
from allstore.local.aws import REGION, free_port
from allstore.local.state_file import read_state


def _read(connection: socket.socket, started: float) -> tuple[int, float]:
    received = b""
    with connection:
        while chunk := connection.recv(65536):
            received += chunk
    return int(received.split(b" ", 2)[1]) if received else 0, time.monotonic() - started


def simultaneous(port: int, request: bytes, connections: int) -> dict[str, object]:
    started = time.monotonic()
    opened = [socket.create_connection(("127.0.0.1", port), timeout=300) for _ in range(connections)]
    connected = time.monotonic() - started
    for connection in opened:
        connection.sendall(request)
    with ThreadPoolExecutor(max_workers=64) as readers:
        answers = list(readers.map(lambda connection: _read(connection, started), opened))
    seconds = sorted(elapsed for _, elapsed in answers)
    return {
        "connections": connections,
        "all_connected_s": round(connected, 3),
        "first_answer_s": round(seconds[0], 3),
        "median_answer_s": round(seconds[len(seconds) // 2], 3),
        "all_answered_s": round(seconds[-1], 3),
        "statuses": dict(Counter(status for status, _ in answers)),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--data", default="small")
    parser.add_argument("--connections", type=int, default=200)
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="allstore-concurrency-") as folder:
        state_dir = Path(folder)
        port = free_port()
        process, url, _ = start_store(state_dir, port, arguments.data)
        try:
            search_port = int(read_state(state_dir)["outputs"]["SearchDomainEndpoint"].rsplit(":", 1)[1])
            query = json.dumps({"query": {"match": {"title": "ball"}}, "size": 5}).encode()
            search_url = f"http://127.0.0.1:{search_port}/items/_search"
            signed = StoreCredentials.read(state_dir).sign(  # the search server answers the store's key only
                "POST", search_url, {"Content-Type": "application/json"}, query, "es", REGION
            )
            signature = "".join(f"{name}: {value}\r\n" for name, value in signed.items())
            loads = {
                "gateway GET /Prod/items?limit=2": (
                    port,
                    f"GET /Prod/items?limit=2 HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n".encode(),
                ),
                "gateway GET /Prod/search?q=ball": (
                    port,
                    f"GET /Prod/search?q=ball HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n".encode(),
                ),
                "gateway GET / (web UI)": (
                    port,
                    f"GET / HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n".encode(),
                ),
                "search POST /items/_search": (
                    search_port,
                    f"POST /items/_search HTTP/1.1\r\nHost: 127.0.0.1:{search_port}\r\nConnection: close\r\n"
                    f"{signature}Content-Length: {len(query)}\r\n\r\n".encode()
                    + query,
                ),
            }
            results = {
                name: simultaneous(target, request, arguments.connections)
                for name, (target, request) in loads.items()
            }
            print(json.dumps({"url": url, "data": arguments.data, "results": results}, indent=2))
        finally:
            stop_store(process)


if __name__ == "__main__":
    main()
