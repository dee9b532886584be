"""A second server on a state directory in use is refused before it touches anything.

`allstore local up`, `allstore search serve` and `allstore personalize serve` run as the user runs
them (subprocesses); each refusal is one line naming the running server and where it serves, exit
status 1, no traceback, and the running store's files (logs, locks, indices) are as they were.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from allstore.credentials import StoreCredentials
from allstore.local import store as store_module
from allstore.local.store import claim_state_dir
from allstore.state_dir import StateDirectoryInUse, holder
from tests.integration.conftest import eventually
from tests.security.store.conftest import RunningStore
from tests.signing import search_auth

ALLSTORE = [sys.executable, "-m", "allstore.cli"]
REPO = Path(__file__).resolve().parents[2]


def tree(directory: Path) -> dict[str, tuple[int, int]]:
    """Every file and folder under `directory` with its size and modification time."""
    return {
        str(path.relative_to(directory)): (path.stat().st_size, path.stat().st_mtime_ns)
        for path in sorted(directory.rglob("*"))
    }


def settled_tree(directory: Path, timeout: float = 60.0) -> dict[str, tuple[int, int]]:
    """`tree(directory)` once nothing has changed in it for half a second."""
    deadline = time.monotonic() + timeout
    previous = tree(directory)
    while time.monotonic() < deadline:
        time.sleep(0.5)
        current = tree(directory)
        if current == previous:
            return current
        previous = current
    pytest.fail(f"{directory} kept changing for {timeout} s")


def allstore(*arguments: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*ALLSTORE, *map(str, arguments)], cwd=REPO, capture_output=True, text=True, timeout=120, check=False
    )


def assert_refused_in_one_line(result: subprocess.CompletedProcess[str], *expected: str) -> str:
    assert result.returncode == 1, (result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    for text in expected:
        assert text in lines[0], lines[0]
    return lines[0]


def test_a_second_local_up_is_refused_before_it_touches_the_running_store(
    running_store: RunningStore,
) -> None:
    state_dir = running_store.options.state_dir.resolve()
    eventually(running_store.store.snapshot.exists)  # saved in the background once ready
    before = settled_tree(state_dir)
    result = allstore("local", "up", "--state-dir", state_dir, "--port", "0", "--data", "small", "--no-train")
    assert_refused_in_one_line(
        result,
        f"{state_dir} is in use by another local store",
        f"pid {os.getpid()}",
        f"at {running_store.url}",
    )
    assert tree(state_dir) == before
    assert holder(state_dir) == {"owner": "local store", "pid": os.getpid(), "url": running_store.url}
    assert running_store.get("/Prod/session").status_code == 200


@pytest.mark.parametrize(
    ("command", "folder", "owner"),
    [
        (("search", "serve", "--port", "0", "--data-dir"), "search", "search server"),
        (("personalize", "serve", "--port", "0", "--state-dir"), "personalize", "Personalize service"),
    ],
)
def test_a_server_on_a_running_stores_folder_is_refused_naming_the_store(
    running_store: RunningStore, command: tuple[str, ...], folder: str, owner: str
) -> None:
    state_dir = running_store.options.state_dir.resolve()
    eventually(running_store.store.snapshot.exists)  # saved in the background once ready
    before = settled_tree(state_dir)
    result = allstore(*command, state_dir / folder)
    line = assert_refused_in_one_line(
        result,
        f"is in use by another {owner}",
        "at http://127.0.0.1:",
        f"part of the local store at {running_store.url}",
    )
    assert re.search(r"pid \d+", line)
    assert tree(state_dir) == before


@pytest.fixture
def standalone_search(tmp_path: Path) -> Iterator[tuple[Path, str]]:
    """`allstore search serve` on tmp_path/state/search, running: (its data dir, its URL)."""
    data_dir = tmp_path / "state" / "search"
    process = subprocess.Popen(
        [*ALLSTORE, "search", "serve", "--port", "0", "--data-dir", str(data_dir)],
        cwd=REPO,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        match = re.search(r"http://127\.0\.0\.1:\d+", process.stdout.readline())
        assert match
        auth = search_auth(StoreCredentials.read(data_dir))  # made at its first start, printed too
        requests.put(f"{match.group(0)}/products", json={}, auth=auth, timeout=10).raise_for_status()
        yield data_dir, match.group(0)
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def test_a_second_search_serve_is_refused_and_the_first_serves_on(
    standalone_search: tuple[Path, str],
) -> None:
    data_dir, url = standalone_search
    before = tree(data_dir)
    assert_refused_in_one_line(
        allstore("search", "serve", "--port", "0", "--data-dir", data_dir), f"at {url}"
    )
    assert tree(data_dir) == before
    auth = search_auth(StoreCredentials.read(data_dir))
    assert requests.get(f"{url}/products", auth=auth, timeout=10).status_code == 200


def test_a_taken_port_is_refused_in_one_line(standalone_search: tuple[Path, str], tmp_path: Path) -> None:
    _, url = standalone_search
    port = url.rsplit(":", 1)[1]
    assert_refused_in_one_line(
        allstore("search", "serve", "--port", port, "--data-dir", tmp_path / "other"),
        f"port {port} on 127.0.0.1 is in use",
    )
    assert_refused_in_one_line(
        allstore("personalize", "serve", "--port", port, "--state-dir", tmp_path / "other-personalize"),
        f"port {port} on 127.0.0.1 is in use",
    )


def test_a_store_is_not_started_over_a_folder_another_server_holds(
    standalone_search: tuple[Path, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A fresh store would delete its search folder: not while a search server serves it."""
    data_dir, url = standalone_search
    monkeypatch.setattr(store_module, "ORPHAN_EXIT_SECONDS", 0.0)
    before = tree(data_dir)
    with pytest.raises(StateDirectoryInUse, match=f"in use by another search server .*at {url}"):
        claim_state_dir(data_dir.parent, 3000)
    assert holder(data_dir.parent) is None  # the store's own lock was given back
    assert tree(data_dir) == before


def test_a_store_still_starting_is_named_with_its_port(tmp_path: Path) -> None:
    lock = claim_state_dir(tmp_path, 3123)
    try:
        result = allstore("local", "up", "--state-dir", tmp_path, "--port", "3124")
        assert_refused_in_one_line(result, "in use by another local store", "starting on port 3123")
    finally:
        lock.release()
