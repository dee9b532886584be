"""Helpers for the security suite: raw HTTP, so each test controls every byte a client sends, and
the integration suite's running local store for the tests that probe the whole store."""

from __future__ import annotations

import socket

from tests.integration.conftest import RunningStore, running_store, web_dir

__all__ = ["RunningStore", "raw_exchange", "responses_in", "running_store", "web_dir"]


def raw_exchange(port: int, request: bytes, timeout: float = 10.0) -> bytes:
    """Send `request` bytes on one connection and read until the server closes it (or times out)."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as connection:
        connection.sendall(request)
        received = b""
        try:
            while chunk := connection.recv(65536):
                received += chunk
        except TimeoutError:
            pass
        return received


def responses_in(raw: bytes) -> list[bytes]:
    """The status lines of every HTTP response in `raw`."""
    return [line for line in raw.split(b"\r\n") if line.startswith(b"HTTP/1.")]
