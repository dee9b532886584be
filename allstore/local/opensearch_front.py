"""The store's front for a real OpenSearch node: the same wire rules as every other local server.

OpenSearch answers any `Host` and any `Origin`, so a page could reach a bare node through DNS
rebinding. The store therefore hands its functions and tests this front's URL, a LoopbackServer
(Host and Origin checked before a body is read, the body capped at OpenSearch's 100 MB, a gzip
body decoded within the same cap, OpenSearch's error shape, and the store's SigV4 signature for `es`
required as the embedded server requires it) that forwards each accepted request to the node
unchanged but for the hop-by-hop headers. The node itself listens on ports browsers refuse
to connect to (opensearch_node.BROWSER_BLOCKED_PORTS), so no page reaches it around the front.
"""

from __future__ import annotations

import http.client
import logging
from email.message import Message
from urllib.parse import urlsplit

from allstore.credentials import StoreCredentials
from allstore.loopback import LoopbackServer, Response
from allstore.search.server import MAX_CONTENT_BYTES, render_error, signature_check

log = logging.getLogger(__name__)
# Headers that describe one connection, not the message (RFC 9110 §7.6.1): never forwarded.
HOP_BY_HOP = frozenset(
    {"connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade"}
)
# A request's body arrives read and decoded, and goes on with its own length to the node's address.
NOT_FORWARDED = HOP_BY_HOP | {"expect", "host", "content-length", "content-encoding"}
NODE_TIMEOUT_SECONDS = 120.0  # a large _bulk or a node busy merging segments


def node_app(node_url: str):
    """Forward a request the front accepted to the node at `node_url` (http://127.0.0.1:<port>)."""
    node = urlsplit(node_url)

    def app(method: str, target: str, headers: Message, body: bytes) -> Response:
        forwarded = [(name, value) for name, value in headers.items() if name.lower() not in NOT_FORWARDED]
        connection = http.client.HTTPConnection(node.hostname, node.port, timeout=NODE_TIMEOUT_SECONDS)
        try:
            connection.putrequest(method, target, skip_host=True, skip_accept_encoding=True)
            connection.putheader("Host", node.netloc)
            for name, value in forwarded:
                connection.putheader(name, value)
            if body or method in ("POST", "PUT", "PATCH"):
                connection.putheader("Content-Length", str(len(body)))
            connection.endheaders(body or None)
            answer = connection.getresponse()
            payload = answer.read()
        except (OSError, http.client.HTTPException) as error:
            log.warning("the OpenSearch node at %s did not answer %s %s: %s", node_url, method, target, error)
            return (502, *render_error(502, "the OpenSearch node behind this server is not answering"))
        finally:
            connection.close()
        # The answer goes back as the node sent it (gzip too, when the client accepted gzip).
        kept = [(name, value) for name, value in answer.getheaders() if name.lower() not in HOP_BY_HOP]
        return answer.status, kept, payload

    return app


class OpenSearchFront:
    """`url = OpenSearchFront(node_url, credentials).start()`, then `stop()`; the URL the store hands out."""

    def __init__(self, node_url: str, credentials: StoreCredentials, port: int = 0) -> None:
        self.node_url = node_url
        self._server = LoopbackServer(
            node_app(node_url),
            port=port,
            name="opensearch-front",
            render_error=render_error,
            max_body_bytes=MAX_CONTENT_BYTES,
            authorize=signature_check(credentials),
        )
        self.url = self._server.url

    def start(self) -> str:
        return self._server.start()

    def stop(self) -> None:
        self._server.stop()
