"""How a server command refuses to start: one line on stderr and exit status 1, never a traceback.

The two reasons are someone else's: the state directory is another running server's (the message
names it and where it serves), or the port is another program's.
"""

from __future__ import annotations

import contextlib
import errno
from collections.abc import Iterator

import typer

from allstore.state_dir import StateDirectoryInUse


@contextlib.contextmanager
def refused_in_one_line(port: int) -> Iterator[None]:
    """Within the block, StateDirectoryInUse or the `port` being taken ends the command with one line."""
    try:
        yield
    except StateDirectoryInUse as error:
        _refuse(str(error))
    except OSError as error:
        if error.errno != errno.EADDRINUSE:
            raise
        _refuse(f"port {port} on 127.0.0.1 is in use by another program; choose another with --port")


def _refuse(message: str) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(1) from None
