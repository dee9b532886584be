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
    credentials: Annotated[
        Path | None,
        typer.Option(
            exists=True,
            dir_okay=False,
            help="The key pair requests must be signed with (SigV4, service es), e.g. a store's "
            "<state-dir>/credentials.json; default: <data-dir>/credentials.json, made at the first start.",
        ),
    ] = None,
) -> None:
    """Serve the OpenSearch REST subset on 127.0.0.1 until Ctrl-C (see docs/search.md).

    As an Amazon OpenSearch Service domain with an IAM access policy, it answers only requests
    signed with its key pair (printed as `export` lines).
    """
    from allstore.credentials import CREDENTIALS_FILE, StoreCredentials, export_lines
    from allstore.search.server import SearchServer  # tantivy loads slowly; other commands need not

    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    key_pair = StoreCredentials.read_file(credentials) if credentials is not None else None
    server = SearchServer(data_dir, port=port, credentials=key_pair, own_credentials=key_pair is None)

    def ready(url: str) -> None:
        assert server.credentials is not None
        typer.echo(
            f"Search server at {url} (data in {data_dir}); sign requests (SigV4, service es) with the "
            f"key pair in {credentials or data_dir / CREDENTIALS_FILE}:"
        )
        for line in export_lines(server.credentials.environment()):
            typer.echo(f"  {line}")
        typer.echo("Ctrl-C stops it.")

    with refused_in_one_line(port):  # the data directory or the port is another's: nothing was touched
        server.serve(on_ready=ready)
    typer.echo("stopped; indices saved")
