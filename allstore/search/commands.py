"""`allstore search serve` (registered by allstore/cli.py): the local OpenSearch-compatible search server on its own, for tools and
notebooks that want product search without the rest of the store."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated

import typer

from allstore.start_refusals import refused_in_one_line

DEFAULT_PORT = 9200  # OpenSearch's own


def serve(
    port: Annotated[int, typer.Option(help="Port on 127.0.0.1 (0 picks a free one).")] = DEFAULT_PORT,
    data_dir: Annotated[Path, typer.Option(help="Where the indices live.")] = Path(".allstore/search"),
) -> None:
    """Serve the OpenSearch REST subset on 127.0.0.1 until Ctrl-C (see docs/search.md)."""
    from allstore.search.server import SearchServer  # tantivy loads slowly; other commands need not

    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    server = SearchServer(data_dir, port=port)
    with refused_in_one_line(port):  # the data directory or the port is another's: nothing was touched
        server.serve(
            on_ready=lambda url: typer.echo(f"Search server at {url} (data in {data_dir}). Ctrl-C stops it.")
        )
    typer.echo("stopped; indices saved")
