"""The rules every store's state directory follows, in one place.

- One process owns a directory: an exclusive `flock` on `<dir>/.lock`, which the OS drops when the
  process dies (a crash never leaves a stale lock). The holder writes who it is and where it
  serves into the lock file, so a second server is refused with one line naming the first.
- A file is replaced whole: written beside itself, flushed to disk, renamed over the old one, and
  the rename flushed too — a crash leaves the old file or the new one, never half of either.
- A resource's ARN names its file the same way everywhere.

Used by the local store, the search server and the Personalize service; imports nothing of them.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

LOCK_FILE = ".lock"


class StateDirectoryInUse(RuntimeError):
    """Another running process owns the state directory; two writers would corrupt it."""


class DirectoryLock:
    """An exclusive lock on a state directory, held until `release()` or the process ends.

    `DirectoryLock.acquire(directory, "search server")` raises StateDirectoryInUse when another
    process holds it; `describe(url=...)` records where the holder serves, for that message.
    """

    def __init__(self, directory: Path, owner: str, fd: int) -> None:
        self.directory = directory
        self.owner = owner
        self._fd: int | None = fd

    @classmethod
    def acquire(cls, directory: str | Path, owner: str) -> DirectoryLock:
        """Lock `directory` (created if missing) for `owner`, e.g. "local store"."""
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        fd = os.open(directory / LOCK_FILE, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _read_holder(fd)
            os.close(fd)
            raise StateDirectoryInUse(in_use_message(directory, owner, holder)) from None
        lock = cls(directory, owner, fd)
        lock.describe()
        return lock

    def describe(self, **details: Any) -> None:
        """Record the holder (pid, owner and `details` such as its URL) in the lock file."""
        if self._fd is None:
            raise RuntimeError("the lock was released")
        text = json.dumps({"owner": self.owner, "pid": os.getpid(), **details}) + "\n"
        os.ftruncate(self._fd, 0)
        os.pwrite(self._fd, text.encode(), 0)

    def release(self) -> None:
        """Give the directory up (closing the file drops the lock); safe to call twice."""
        fd, self._fd = self._fd, None
        if fd is not None:
            os.close(fd)

    def __enter__(self) -> DirectoryLock:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.release()


def holder(directory: str | Path) -> dict[str, Any] | None:
    """What holds `directory`'s lock now ({"owner", "pid", "url"?}), or None when nothing does."""
    path = Path(directory) / LOCK_FILE
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except FileNotFoundError:
        return None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return _read_holder(fd)
        return None
    finally:
        os.close(fd)


def _read_holder(fd: int) -> dict[str, Any]:
    try:
        found = json.loads(os.pread(fd, 4096, 0) or b"{}")
    except ValueError:  # being rewritten at this instant, or an old plain-pid lock file
        return {}
    return found if isinstance(found, dict) else {}


def in_use_message(directory: Path, owner: str, found: dict[str, Any]) -> str:
    """One line: who holds `directory` (pid, URL or the port it is starting on, the store it is part of)."""
    who = found.get("owner") or owner
    details = [f"pid {found['pid']}"] if found.get("pid") else []
    if found.get("url"):
        details.append(f"at {found['url']}")
    else:
        details.append(f"starting on port {found['port']}" if found.get("port") else "still starting")
    parent = holder(directory.parent) if directory.parent != directory else None
    if parent and parent.get("owner") != who:  # e.g. the search server of a running local store
        details.append(
            f"part of the {parent.get('owner')} "
            + (f"at {parent['url']}" if parent.get("url") else f"in {directory.parent}")
        )
    return (
        f"{directory} is in use by another {who} ({', '.join(details)}): "
        "stop it first, or use another directory"
    )


# ---------------------------------------------------------------------- files replaced whole


@contextlib.contextmanager
def atomic_file(path: str | Path) -> Iterator[IO[bytes]]:
    """A binary file to write `path`'s new content into; it replaces `path` when the block ends
    without an error (and is discarded when it raises)."""
    path = Path(path)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as file:
            yield file
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise
    fsync_directory(path.parent)


def write_atomically(path: str | Path, content: bytes | str) -> None:
    """Replace `path` with `content` (text is written as UTF-8) — all of it or none of it."""
    with atomic_file(path) as file:
        file.write(content.encode("utf-8") if isinstance(content, str) else content)


def fsync_directory(directory: str | Path) -> None:
    """Make the directory's entries (a rename, a new file) survive a power cut."""
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_tree(directory: str | Path) -> None:
    """Flush every file and folder under `directory` to disk, e.g. before renaming it into place."""
    for folder, _, files in os.walk(directory, topdown=False):
        for name in files:
            fd = os.open(os.path.join(folder, name), os.O_RDONLY | os.O_CLOEXEC)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        fsync_directory(folder)


# ---------------------------------------------------------------------- names


def arn_filename(arn: str, suffix: str) -> str:
    """The file name for a resource: its ARN's resource part, `/` as `~`, then `suffix`
    (`arn:aws:personalize:us-east-1:123456789012:solution/shop` → `solution~shop.json`)."""
    name = arn.split(":", 5)[-1].replace("/", "~")
    if not name or name.startswith(".") or "\0" in name:
        raise ValueError(f"{arn!r} does not name a resource that can be stored as a file")
    return name + suffix
