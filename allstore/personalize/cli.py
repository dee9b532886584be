"""`allstore personalize serve`: the local Personalize-compatible service on its own, for notebooks
and tools that want it without the rest of the store."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Annotated

import typer

from allstore.personalize.server import PersonalizeServer
from allstore.workshop.commands import cleanup

personalize_app = typer.Typer(help="The local Amazon Personalize-compatible service.", no_args_is_help=True)
personalize_app.command()(cleanup)


@personalize_app.command()
def serve(
    port: Annotated[int, typer.Option(help="Port on 127.0.0.1 (0 picks a free one).")] = 8083,
    state_dir: Annotated[Path, typer.Option(help="Where resources, data, events and models live.")] = Path(
        ".allstore/personalize"
    ),
) -> None:
    """Serve personalize, personalize-runtime and personalize-events on 127.0.0.1 until Ctrl-C."""
    server = PersonalizeServer(state_dir, port=port)
    url = server.start()
    typer.echo(
        f"Personalize service at {url} (state in {state_dir}); use it as endpoint_url. Ctrl-C stops it."
    )
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        typer.echo("stopping")
    finally:
        server.stop()
