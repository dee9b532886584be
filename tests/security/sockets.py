"""Which TCP ports this test process's children listen on, read from /proc (Linux)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path


def _socket_inodes(pid: int) -> set[str]:
    inodes = set()
    try:
        for fd in os.scandir(f"/proc/{pid}/fd"):
            try:
                target = os.readlink(fd.path)
            except OSError:
                continue
            if target.startswith("socket:["):
                inodes.add(target[8:-1])
    except OSError:
        pass
    return inodes


def descendants(pid: int) -> Iterator[int]:
    for task in os.scandir(f"/proc/{pid}/task"):
        try:
            children = Path(task.path, "children").read_text().split()
        except OSError:
            continue
        for child in map(int, children):
            yield child
            yield from descendants(child)


def listening_sockets() -> dict[int, str]:
    """(port, socket inode) → bound address of every TCP socket listening in /proc/net/tcp{,6}."""
    found = {}
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if fields[3] == "0A":  # LISTEN
                address, port = fields[1].split(":")
                found[(int(port, 16), fields[9])] = address
    return found


def children_ports(exclude: set[int] = frozenset()) -> dict[int, str]:
    """The ports the child processes listen on (search, Personalize, function workers, a node), with
    their bound address (hex, as /proc shows it); none of the processes in `exclude`."""
    children = [child for child in descendants(os.getpid()) if child not in exclude]
    inodes = set().union(*(_socket_inodes(child) for child in children))
    return {port: address for (port, inode), address in listening_sockets().items() if inode in inodes}


def process_ports(pid: int) -> set[int]:
    """The ports process `pid` listens on."""
    inodes = _socket_inodes(pid)
    return {port for (port, inode) in listening_sockets() if inode in inodes}
