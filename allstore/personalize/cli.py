"""`allstore personalize serve`: the local Personalize-compatible service on its own, for notebooks
and tools that want it without the rest of the store."""

from __future__ import annotations

import signal
import threading
from pathlib import Path
from typing import Annotated

import typer

from allstore.start_refusals import refused_in_one_line
from allstore.workshop.commands import cleanup

personalize_app = typer.Typer(help="The local Amazon Personalize-compatible service.", no_args_is_help=True)
personalize_app.command()(cleanup)


@personalize_app.callback()
def personalize() -> None:
    """The local Amazon Personalize-compatible service (a group, so `serve` is spelled out even
    when this app runs on its own)."""


@personalize_app.command()
def serve(
    port: Annotated[int, typer.Option(help="Port on 127.0.0.1 (0 picks a free one).")] = 8083,
    state_dir: Annotated[Path, typer.Option(help="Where resources, data, events and models live.")] = Path(
        ".allstore/personalize"
    ),
) -> None:
    """Serve personalize, personalize-runtime and personalize-events on 127.0.0.1 until Ctrl-C or SIGTERM."""
    from allstore.personalize.server import PersonalizeServer  # the models' libraries load slowly

    stopping = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    server = PersonalizeServer(state_dir, port=port)
    with refused_in_one_line(port):  # the state directory or the port is another's: nothing was touched
        url = server.start()
    typer.echo(
        f"Personalize service at {url} (state in {state_dir}); use it as endpoint_url. Ctrl-C stops it."
    )
    try:
        while not stopping.wait(0.5):  # a timed wait, so Ctrl-C is noticed promptly
            pass
    except KeyboardInterrupt:
        pass
    finally:
        typer.echo("stopping: finishing running jobs")
        server.stop()
