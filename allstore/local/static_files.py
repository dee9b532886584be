"""The gateway's files: the built web UI (with index.html for client-side routes) and product images.

They are served as the cloud's CloudFront serves them from S3: the set-up function's Content-Type
and Cache-Control (allstore_common.web_assets) and the web behaviour's compression (edge_compression).
"""

from __future__ import annotations

from email.message import Message
from http import HTTPStatus
from pathlib import Path
from urllib.parse import unquote, urlsplit

from allstore_common import web_assets

from allstore.local import edge_compression
from allstore.local.api_gateway import json_response
from allstore.loopback import Response

NOT_BUILT_PAGE = (
    b"<!doctype html><title>AllStore</title><h1>AllStore</h1>"
    b"<p>The web UI is not built (it needs Node.js and npm): install them and run "
    b"<code>make run</code> again. The API is served at <a href='/Prod/recommendations'>/Prod/</a>.</p>"
)
IMAGES_CACHE = "public, max-age=86400"


class StaticFiles:
    """`/images/...` from `images_dir`; everything else from the web UI build in `web_dir`."""

    def __init__(self, web_dir: Path | None, images_dir: Path | None) -> None:
        self.web_dir = web_dir
        self.images_dir = images_dir

    def __call__(self, method: str, target: str, headers: Message, body: bytes) -> Response:
        if method not in {"GET", "HEAD"}:
            return json_response(HTTPStatus.METHOD_NOT_ALLOWED, {"message": "the web UI is read-only"})
        path = unquote(urlsplit(target).path)
        accept_encoding = headers.get("Accept-Encoding")
        if path.startswith("/images/"):
            return _file(self.images_dir, path[len("/images/") :], IMAGES_CACHE, accept_encoding)
        if self.web_dir is None or not (self.web_dir / "index.html").is_file():
            return HTTPStatus.OK, {"Content-Type": "text/html; charset=utf-8"}, NOT_BUILT_PAGE
        relative = path.lstrip("/") or "index.html"
        if (
            "." not in relative.rsplit("/", 1)[-1]
        ):  # a client-side route, as the cloud's SPA routing function decides
            relative = "index.html"
        return _file(self.web_dir, relative, web_assets.cache_control(relative), accept_encoding)


def _file(root: Path | None, relative: str, cache: str | None, accept_encoding: str | None) -> Response:
    if root is None:
        return json_response(HTTPStatus.NOT_FOUND, {"message": "not found"})
    root = root.resolve()
    target = (root / relative).resolve()
    if not target.is_relative_to(root) or not target.is_file():
        return json_response(HTTPStatus.NOT_FOUND, {"message": f"/{relative} not found"})
    headers = {"Content-Type": web_assets.content_type(target.name)}
    if cache:
        headers["Cache-Control"] = cache
    return HTTPStatus.OK, *edge_compression.encode(headers, target.read_bytes(), accept_encoding)
