"""Downloading datasets, against a local HTTP server on 127.0.0.1 serving fixture bytes."""

from __future__ import annotations

import hashlib
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from typer.testing import CliRunner

from allstore.cli import app
from allstore.data import fetch
from allstore.data.fetch import Dataset, FetchError, RemoteFile


class FixtureServer(ThreadingHTTPServer):
    """Serves `files` with Range support; `cut_after[path]` drops the first response after N bytes."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), FixtureHandler)
        self.files: dict[str, bytes] = {}
        self.cut_after: dict[str, int] = {}
        self.requests: list[tuple[str, str | None]] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/"


class FixtureHandler(BaseHTTPRequestHandler):
    server: FixtureServer

    def log_message(self, *args) -> None:  # keep test output quiet
        pass

    def do_GET(self) -> None:
        path = self.path.lstrip("/")
        range_header = self.headers.get("Range")
        self.server.requests.append((path, range_header))
        body = self.server.files.get(path)
        if body is None:
            self.send_error(404, "Not Found")
            return
        start = int(range_header.removeprefix("bytes=").rstrip("-")) if range_header else 0
        if start >= len(body) and range_header:
            self.send_response(416)
            self.send_header("Content-Range", f"bytes */{len(body)}")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self.send_response(206 if range_header else 200)
        if range_header:
            self.send_header("Content-Range", f"bytes {start}-{len(body) - 1}/{len(body)}")
        self.send_header("Content-Length", str(len(body) - start))
        self.end_headers()
        cut = self.server.cut_after.pop(path, None)
        self.wfile.write(body[start : start + cut] if cut is not None else body[start:])
        if cut is not None:
            self.wfile.flush()
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)


@pytest.fixture
def server():
    server = FixtureServer()
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


REVIEWS = b'{"reviewerID": "A1", "asin": "B1", "overall": 5.0, "unixReviewTime": 1529193600}\n' * 5000
USERS = b'{"id": "A1", "firstName": "Ava", "lastName": "Adams"}\n'
DEMO = Dataset(
    "demo", "test data", ("http://unused.invalid/",), (RemoteFile("Demo_5.json.gz"), RemoteFile("users.json"))
)


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_downloads_files_and_records_checksums(server, tmp_path):
    server.files = {"Demo_5.json.gz": REVIEWS, "users.json": USERS}
    seen = []
    paths = fetch.fetch(DEMO, tmp_path, base_url=server.url, progress=lambda *update: seen.append(update))
    assert [path.read_bytes() for path in paths] == [REVIEWS, USERS]
    sums = (tmp_path / "SHA256SUMS").read_text(encoding="utf-8")
    assert f"{sha256(REVIEWS)}  Demo_5.json.gz\n" in sums and f"{sha256(USERS)}  users.json\n" in sums
    assert seen[-1] == ("users.json", len(USERS), len(USERS))
    assert not list(tmp_path.glob("*.part"))


def test_second_run_verifies_and_skips_and_a_damaged_file_is_fetched_again(server, tmp_path):
    server.files = {"Demo_5.json.gz": REVIEWS, "users.json": USERS}
    fetch.fetch(DEMO, tmp_path, base_url=server.url)
    server.requests.clear()
    fetch.fetch(DEMO, tmp_path, base_url=server.url)
    assert server.requests == []
    (tmp_path / "users.json").write_bytes(b"tampered")
    fetch.fetch(DEMO, tmp_path, base_url=server.url)
    assert server.requests == [("users.json", None)]
    assert (tmp_path / "users.json").read_bytes() == USERS


def test_dropped_connection_resumes_with_a_range_request(server, tmp_path):
    server.files = {"Demo_5.json.gz": REVIEWS, "users.json": USERS}
    server.cut_after["Demo_5.json.gz"] = 300_000
    fetch.fetch(DEMO, tmp_path, base_url=server.url)
    assert (tmp_path / "Demo_5.json.gz").read_bytes() == REVIEWS
    first, resumed = server.requests[:2]
    assert first == ("Demo_5.json.gz", None)
    assert resumed[0] == "Demo_5.json.gz"
    assert 300_000 - fetch.CHUNK_BYTES <= int(resumed[1].removeprefix("bytes=").rstrip("-")) <= 300_000
    assert f"{sha256(REVIEWS)}  Demo_5.json.gz" in (tmp_path / "SHA256SUMS").read_text(encoding="utf-8")


def test_existing_part_file_is_resumed_and_a_complete_one_accepted(server, tmp_path):
    server.files = {"Demo_5.json.gz": REVIEWS, "users.json": USERS}
    (tmp_path / "Demo_5.json.gz.part").write_bytes(REVIEWS[:12_345])
    (tmp_path / "users.json.part").write_bytes(USERS)
    fetch.fetch(DEMO, tmp_path, base_url=server.url)
    assert server.requests == [("Demo_5.json.gz", "bytes=12345-"), ("users.json", f"bytes={len(USERS)}-")]
    assert (tmp_path / "Demo_5.json.gz").read_bytes() == REVIEWS
    assert (tmp_path / "users.json").read_bytes() == USERS


def test_published_checksum_mismatch_is_an_error_and_leaves_no_file(server, tmp_path):
    server.files = {"x.csv": b"USER_ID,ITEM_ID\n"}
    data = Dataset("x", "test", (server.url,), (RemoteFile("x.csv", sha256="0" * 64),))
    with pytest.raises(FetchError, match="does not match the published"):
        fetch.fetch(data, tmp_path)
    assert not (tmp_path / "x.csv").exists()


def test_missing_file_and_silent_host_give_clear_errors(server, tmp_path):
    with pytest.raises(FetchError, match=r"could not download Demo_5.json.gz:\n.*HTTP 404"):
        fetch.fetch(DEMO, tmp_path, base_url=server.url)
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        closed_port = unused.getsockname()[1]
    with pytest.raises(FetchError, match="the host did not answer"):
        fetch.fetch(DEMO, tmp_path, base_url=f"http://127.0.0.1:{closed_port}/")


def test_next_host_is_tried_when_the_first_fails(server, tmp_path):
    server.files = {"data/x.csv": b"a,b\n"}
    data = Dataset("x", "test", (server.url + "missing/", server.url + "data/"), (RemoteFile("x.csv"),))
    assert fetch.fetch(data, tmp_path)[0].read_bytes() == b"a,b\n"


def test_dataset_names():
    assert [f.name for f in fetch.dataset("grocery").files] == [
        "Grocery_and_Gourmet_Food_5.json.gz",
        "meta_Grocery_and_Gourmet_Food_5.01.json.gz",
        "users_Grocery_and_Gourmet_Food.json",
    ]
    gift = fetch.dataset("ucsd2018/Gift_Cards")
    assert [f.path for f in gift.files] == [
        "categoryFilesSmall/Gift_Cards_5.json.gz",
        "metaFiles2/meta_Gift_Cards.json.gz",
    ]
    for bad in ("nope", "ucsd2018/../etc"):
        with pytest.raises(FetchError, match="unknown dataset"):
            fetch.dataset(bad)


def test_cli_fetch_reports_errors_and_success(server, tmp_path):
    runner = CliRunner()
    result = runner.invoke(
        app, ["data", "fetch", "sports", "--dest", str(tmp_path), "--base-url", server.url]
    )
    assert (
        result.exit_code == 1
        and "could not download Sports_and_Outdoors_Interactions-CSV.csv" in result.output
    )
    server.files = {
        "Sports_and_Outdoors_Interactions-CSV.csv": b"USER_ID,ITEM_ID,TIMESTAMP\nu,i,1\n",
        "items_w_Metadata.csv": b"ITEM_ID,TITLE\ni,Tent\n",
        "users_Sports_and_Outdoors.json": USERS,
    }
    result = runner.invoke(
        app, ["data", "fetch", "sports", "--dest", str(tmp_path), "--base-url", server.url]
    )
    assert result.exit_code == 0, result.output
    assert (tmp_path / "items_w_Metadata.csv").read_bytes() == b"ITEM_ID,TITLE\ni,Tent\n"
    result = runner.invoke(app, ["data", "fetch", "movies"])
    assert result.exit_code != 0 and "unknown dataset" in result.output
