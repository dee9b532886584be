"""CloudFront's "compress objects automatically", as the cloud applies it to the web UI's files.

The cloud's web behaviour (Compress: true, Managed-CachingOptimized) gzips a response when the
viewer accepts gzip, its Content-Type is one CloudFront compresses, it is 1,000 to 10,000,000
bytes and not already encoded (docs: "Serve compressed files"). Brotli is not offered: browsers
ask for it only over HTTPS, and the local store is plain HTTP. The API's behaviour
(Managed-CachingDisabled) compresses nothing, so the gateway applies this to static files only.
Files do not change while the store runs (a rebuild renames them), so each is compressed once.
"""

from __future__ import annotations

import gzip
from functools import lru_cache

MIN_BYTES, MAX_BYTES = 1_000, 10_000_000
# The Content-Types CloudFront compresses (its documented list; `image/png` and the like are not on it).
COMPRESSIBLE_TYPES = frozenset(
    [
        "application/dash+xml",
        "application/eot",
        "application/font",
        "application/font-sfnt",
        "application/javascript",
        "application/json",
        "application/opentype",
        "application/otf",
        "application/pkcs7-mime",
        "application/protobuf",
        "application/rss+xml",
        "application/truetype",
        "application/ttf",
        "application/vnd.apple.mpegurl",
        "application/vnd.ms-fontobject",
        "application/xhtml+xml",
        "application/xml",
        "application/x-font-opentype",
        "application/x-font-truetype",
        "application/x-font-ttf",
        "application/x-httpd-cgi",
        "application/x-javascript",
        "application/x-mpegurl",
        "application/x-opentype",
        "application/x-otf",
        "application/x-perl",
        "application/x-ttf",
        "font/eot",
        "font/opentype",
        "font/otf",
        "font/ttf",
        "image/svg+xml",
        "text/css",
        "text/csv",
        "text/html",
        "text/javascript",
        "text/js",
        "text/plain",
        "text/richtext",
        "text/tab-separated-values",
        "text/xml",
        "text/x-component",
        "text/x-java-source",
        "text/x-script",
        "vnd.apple.mpegurl",
    ]
)


def accepts_gzip(accept_encoding: str | None) -> bool:
    """Whether an Accept-Encoding header value allows gzip (RFC 9110 §12.5.3: q=0 refuses it)."""
    allowed: dict[str, bool] = {}
    for part in (accept_encoding or "").split(","):
        coding, _, parameters = part.partition(";")
        name, quality = coding.strip().lower(), 1.0
        for parameter in parameters.split(";"):
            key, _, value = parameter.strip().partition("=")
            if key.lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if name:
            allowed[name] = quality > 0
    return allowed.get("gzip", allowed.get("x-gzip", allowed.get("*", False)))


def compressible(content_type: str, size: int) -> bool:
    media_type = content_type.partition(";")[0].strip().lower()
    return media_type in COMPRESSIBLE_TYPES and MIN_BYTES <= size <= MAX_BYTES


def encode(headers: dict[str, str], body: bytes, accept_encoding: str | None) -> tuple[dict[str, str], bytes]:
    """The response (a file's headers and bytes) as CloudFront sends it to this viewer."""
    if "Content-Encoding" in headers or not compressible(headers.get("Content-Type", ""), len(body)):
        return headers, body
    headers = {**headers, "Vary": "Accept-Encoding"}
    if not accepts_gzip(accept_encoding):
        return headers, body
    return {**headers, "Content-Encoding": "gzip"}, _gzipped(body)


@lru_cache(maxsize=256)
def _gzipped(body: bytes) -> bytes:
    return gzip.compress(body, compresslevel=6, mtime=0)
