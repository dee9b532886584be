"""The gateway's files: the built web UI (with index.html for client-side routes) and product images."""

from __future__ import annotations

import mimetypes
from email.message import Message
from http import HTTPStatus
from pathlib import Path
from urllib.parse import unquote, urlsplit

from allstore.local.api_gateway import json_response
from allstore.loopback import Response

NOT_BUILT_PAGE = (
    b"<!doctype html><title>AllStore</title><h1>AllStore</h1>"
    b"<p>The web UI is not built (it needs Node.js and npm): install them and run "
    b"<code>make run</code> again. The API is served at <a href='/Prod/recommendations'>/Prod/</a>.</p>"
)


class StaticFiles:
    """`/images/...` from `images_dir`; everything else from the web UI build in `web_dir`."""

    def __init__(self, web_dir: Path | None, images_dir: Path | None) -> None:
        self.web_dir = web_dir
        self.images_dir = images_dir

    def __call__(self, method: str, target: str, headers: Message, body: bytes) -> Response:
        if method not in {"GET", "HEAD"}:
            return json_response(HTTPStatus.METHOD_NOT_ALLOWED, {"message": "the web UI is read-only"})
        path = unquote(urlsplit(target).path)
        if path.startswith("/images/"):
            return _file(self.images_dir, path[len("/images/") :], cache="public, max-age=86400")
        if self.web_dir is None or not (self.web_dir / "index.html").is_file():
            return HTTPStatus.OK, {"Content-Type": "text/html; charset=utf-8"}, NOT_BUILT_PAGE
        relative = path.lstrip("/") or "index.html"
        if (
            "." not in relative.rsplit("/", 1)[-1]
        ):  # a client-side route, as the cloud's SPA routing function decides
            relative = "index.html"
        cache = "no-cache" if relative == "index.html" else "public, max-age=31536000, immutable"
        return _file(self.web_dir, relative, cache=cache)


def _file(root: Path | None, relative: str, cache: str) -> Response:
    if root is None:
        return json_response(HTTPStatus.NOT_FOUND, {"message": "not found"})
    root = root.resolve()
    target = (root / relative).resolve()
    if not target.is_relative_to(root) or not target.is_file():
        return json_response(HTTPStatus.NOT_FOUND, {"message": f"/{relative} not found"})
    content_type = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
    return HTTPStatus.OK, {"Content-Type": content_type, "Cache-Control": cache}, target.read_bytes()
