"""The `allstore` command. Each area registers its own sub-commands here, one line each."""

import typer

from allstore.data.cli import data_app
from allstore.local.cli import app as local_app
from allstore.personalize.cli import personalize_app
from allstore.personalize.evaluate_command import evaluate
from allstore.search.cli import search_app

app = typer.Typer(
    help="AllStore: a product-recommendation store for Amazon Personalize, in the cloud or on one machine.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)
app.add_typer(data_app, name="data")
app.add_typer(local_app, name="local")
app.add_typer(personalize_app, name="personalize")
app.add_typer(search_app, name="search")
app.command("evaluate")(evaluate)

if __name__ == "__main__":
    app()
