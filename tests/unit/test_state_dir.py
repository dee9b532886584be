"""The state directory's rules: one owner (refused in one line naming it), whole-file writes, ARN names."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from allstore.state_dir import (
    DirectoryLock,
    StateDirectoryInUse,
    arn_filename,
    atomic_file,
    holder,
    write_atomically,
)

HOLD = """
import sys, time
from allstore.state_dir import DirectoryLock
lock = DirectoryLock.acquire(sys.argv[1], "local store")
lock.describe(url="http://127.0.0.1:3123/")
print("locked", flush=True)
time.sleep(60)
"""


def hold_in_a_child(directory: Path) -> subprocess.Popen[str]:
    child = subprocess.Popen([sys.executable, "-c", HOLD, str(directory)], stdout=subprocess.PIPE, text=True)
    assert child.stdout is not None and child.stdout.readline().strip() == "locked"
    return child


def test_a_second_owner_is_refused_in_one_line_naming_the_first(tmp_path: Path) -> None:
    child = hold_in_a_child(tmp_path)
    try:
        with pytest.raises(StateDirectoryInUse) as refused:
            DirectoryLock.acquire(tmp_path, "local store")
        message = str(refused.value)
        assert "\n" not in message
        assert f"pid {child.pid}" in message and "http://127.0.0.1:3123/" in message
        assert "another local store" in message
        assert holder(tmp_path) == {"owner": "local store", "pid": child.pid, "url": "http://127.0.0.1:3123/"}
    finally:
        child.kill()
        child.wait()


def test_the_lock_goes_with_a_killed_process(tmp_path: Path) -> None:
    child = hold_in_a_child(tmp_path)
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    assert holder(tmp_path) is None
    with DirectoryLock.acquire(tmp_path, "search server") as lock:
        assert holder(tmp_path) == {"owner": "search server", "pid": os.getpid()}
        lock.describe(url="http://127.0.0.1:9200")
        with pytest.raises(
            StateDirectoryInUse, match=r"another search server \(pid \d+, at http://127\.0\.0\.1:9200\)"
        ):
            DirectoryLock.acquire(tmp_path, "search server")
    assert holder(tmp_path) is None


def test_a_holder_that_has_not_said_where_it_serves_is_still_starting(tmp_path: Path) -> None:
    with (
        DirectoryLock.acquire(tmp_path, "Personalize service"),
        pytest.raises(StateDirectoryInUse, match="still starting"),
    ):
        DirectoryLock.acquire(tmp_path, "Personalize service")


def test_a_file_is_replaced_whole_or_not_at_all(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    write_atomically(path, '{"old": true}')
    with pytest.raises(RuntimeError), atomic_file(path) as file:
        file.write(b'{"new": ')
        raise RuntimeError("crash mid-write")
    assert path.read_text() == '{"old": true}'
    assert sorted(p.name for p in tmp_path.iterdir()) == ["state.json"], "no temporary file is left"
    write_atomically(path, b"new")
    assert path.read_bytes() == b"new"


def test_arn_filename() -> None:
    arn = "arn:aws:personalize:us-east-1:123456789012:solution/shop"
    assert arn_filename(arn, ".json") == "solution~shop.json"
    assert arn_filename(arn + "/1a2b", ".pkl") == "solution~shop~1a2b.pkl"
    for bad in ("arn:aws:personalize:us-east-1:123456789012:", "arn:aws:s3:::..", "x:y:z:a:b:c\0d"):
        with pytest.raises(ValueError):
            arn_filename(bad, ".json")
