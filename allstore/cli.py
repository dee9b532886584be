"""The `allstore` command: every Typer app is built here, from the plain command functions each area
exposes (`allstore/<area>/commands.py`), so the command tree reads in one place."""

from __future__ import annotations

from typing import Annotated

import typer

from allstore.data import commands as data
from allstore.local import commands as local
from allstore.personalize import commands as personalize
from allstore.search import commands as search

app = typer.Typer(
    help="AllStore: a product-recommendation store for Amazon Personalize, in the cloud or on one machine.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)


def _group(name: str, help: str, *commands) -> typer.Typer:
    group = typer.Typer(help=help, no_args_is_help=True)
    for command in commands:
        group.command()(command)
    app.add_typer(group, name=name)
    return group


_group(
    "data",
    "Datasets: generate the synthetic store, fetch real data, inspect files.",
    data.generate,
    data.fetch,
    data.inspect,
)
_group(
    "local",
    "Run the whole store on this machine (local AWS, search, Personalize, API, web UI).",
    local.up,
    local.env,
    local.notebook,
)
_group("personalize", "The local Amazon Personalize-compatible service.", personalize.serve)
_group("search", "The local OpenSearch-compatible search server.", search.serve)
app.command("evaluate")(personalize.evaluate)
workshop = _group("workshop", "The workshop's resources on real AWS.")


@workshop.command()
def cleanup(
    stack: Annotated[str, typer.Option(help="The stack whose workshop resources to delete (name prefix).")],
    yes: Annotated[bool, typer.Option("--yes", help="Delete without asking for confirmation.")] = False,
    region: Annotated[
        str | None, typer.Option(help="AWS region (default: your AWS configuration's).")
    ] = None,
    profile: Annotated[str | None, typer.Option(help="AWS named profile.")] = None,
) -> None:
    """Delete every Personalize resource named after STACK (campaigns first, dataset groups last)."""
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    from allstore.workshop.cleanup import CleanupError, delete_resources, find_resources

    try:
        client = boto3.session.Session(profile_name=profile, region_name=region).client("personalize")
        plan = find_resources(client, stack)
        if not plan.resources:
            typer.echo(f"No Personalize resources named {stack} or {stack}-*: nothing to delete.")
            return
        typer.echo(f"Personalize resources of stack {stack}, in deletion order:")
        for line in plan.describe():
            typer.echo(f"  {line}")
        if not yes:
            typer.confirm(f"Delete these {len(plan.resources)} resources?", abort=True)
        deleted = delete_resources(client, plan, report=typer.echo)
    except (CleanupError, ClientError, BotoCoreError, ValueError) as error:
        typer.echo(f"Clean-up failed: {error}", err=True)
        raise typer.Exit(1) from error
    typer.echo(f"Deleted {deleted} Personalize resources of stack {stack}.")


if __name__ == "__main__":
    app()
