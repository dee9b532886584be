"""The gateway's web UI files are served with the cloud's caching headers and CloudFront's compression."""

from __future__ import annotations

import gzip
from email.message import Message
from pathlib import Path

import pytest

from allstore.local.edge_compression import accepts_gzip
from allstore.local.static_files import StaticFiles

SCRIPT = b"export const catalogue = " + b"[" + b'"product",' * 400 + b"];\n"  # 4 KB, compressible


@pytest.fixture
def files(tmp_path: Path) -> StaticFiles:
    web = tmp_path / "dist"
    (web / "assets").mkdir(parents=True)
    (web / "index.html").write_text("<!doctype html><title>AllStore</title>" + "<p>shop</p>" * 100)
    (web / "assets" / "index-1a2b3c.js").write_bytes(SCRIPT)
    (web / "assets" / "tiny-4d5e.js").write_bytes(b"export {};")
    (web / "favicon.svg").write_text("<svg xmlns='http://www.w3.org/2000/svg'/>")
    images = tmp_path / "images"
    images.mkdir()
    (images / "photo.png").write_bytes(b"\x89PNG" + bytes(4000))
    return StaticFiles(web, images)


def get(files: StaticFiles, path: str, accept_encoding: str | None = "gzip, deflate, br") -> tuple:
    headers = Message()
    if accept_encoding is not None:
        headers["Accept-Encoding"] = accept_encoding
    status, answer, body = files("GET", path, headers, b"")
    return status, dict(answer), body


def test_a_hashed_script_is_gzipped_for_a_browser_and_kept_a_year(files: StaticFiles) -> None:
    status, headers, body = get(files, "/assets/index-1a2b3c.js")

    assert status == 200
    assert headers["Content-Encoding"] == "gzip" and headers["Vary"] == "Accept-Encoding"
    assert headers["Content-Type"] == "text/javascript; charset=utf-8"
    assert headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert len(body) < len(SCRIPT) / 4 and gzip.decompress(body) == SCRIPT


@pytest.mark.parametrize("accept_encoding", [None, "identity", "gzip;q=0, deflate", "br", "*;q=0"])
def test_a_client_that_does_not_take_gzip_gets_the_bytes_as_they_are(
    files: StaticFiles, accept_encoding: str | None
) -> None:
    _, headers, body = get(files, "/assets/index-1a2b3c.js", accept_encoding)

    assert "Content-Encoding" not in headers and headers["Vary"] == "Accept-Encoding"
    assert body == SCRIPT


def test_what_cloudfront_would_not_compress_is_sent_as_it_is(files: StaticFiles) -> None:
    _, small, small_body = get(files, "/assets/tiny-4d5e.js")  # under 1,000 bytes
    _, image, image_body = get(files, "/images/photo.png")  # not a type CloudFront compresses

    assert "Content-Encoding" not in small and small_body == b"export {};"
    assert "Content-Encoding" not in image and image_body.startswith(b"\x89PNG")
    assert image["Cache-Control"] == "public, max-age=86400"


def test_index_html_is_revalidated_and_unhashed_files_get_no_cache_header(files: StaticFiles) -> None:
    _, root, root_body = get(files, "/")
    _, route, route_body = get(files, "/product/B000000001")
    _, favicon, _ = get(files, "/favicon.svg")

    assert root["Cache-Control"] == route["Cache-Control"] == "no-cache"
    assert root["Content-Encoding"] == "gzip" and route_body == root_body
    assert "Cache-Control" not in favicon


@pytest.mark.parametrize(
    ("header", "accepted"),
    [
        ("gzip", True),
        ("GZIP;q=0.5", True),
        ("deflate, gzip;q=1.0, *;q=0.5", True),
        ("*", True),
        ("x-gzip", True),
        ("gzip;q=0", False),
        ("gzip;q=0.000", False),
        ("*;q=0.1, gzip;q=0", False),
        ("gzip;q=bogus", False),
        ("", False),
        (None, False),
        ("br, deflate", False),
    ],
)
def test_accept_encoding_is_read_with_its_quality_values(header: str | None, accepted: bool) -> None:
    assert accepts_gzip(header) is accepted
