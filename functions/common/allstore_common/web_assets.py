"""How the web UI's built files are served: their Content-Type and Cache-Control.

One rule for both ways of running: the set-up function writes it into the S3 objects CloudFront
serves, and the local store's gateway sends it. Vite names everything under `assets/` after its
content hash, so a browser may keep those a year; index.html names the current hashes, so it is
revalidated on every visit; other files (favicon.svg) get no header, as S3 sends none.
"""

from __future__ import annotations

import mimetypes
import posixpath

CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".json": "application/json",
    ".map": "application/json",
    ".webmanifest": "application/manifest+json",
    ".svg": "image/svg+xml",
    ".ico": "image/x-icon",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".webp": "image/webp",
    ".woff": "font/woff",
    ".woff2": "font/woff2",
    ".txt": "text/plain; charset=utf-8",
    ".wasm": "application/wasm",
}
HASHED_DIR = "assets/"  # Vite's build.assetsDir
HASHED = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"


def content_type(name: str) -> str:
    extension = posixpath.splitext(name)[1].lower()
    return CONTENT_TYPES.get(extension) or mimetypes.guess_type(name)[0] or "application/octet-stream"


def cache_control(name: str) -> str | None:
    """The Cache-Control of the built file at `name` (relative to the build's root), or None."""
    if name.endswith(".html"):
        return REVALIDATE
    if name.startswith(HASHED_DIR):
        return HASHED
    return None
