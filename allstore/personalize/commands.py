"""The Personalize commands: `allstore evaluate` compares recipes with baselines on an interactions
file, offline; `allstore personalize serve` runs the local Personalize-compatible service on its own.

Every model — the recipes asked for, popularity, `implicit` ALS and item-kNN cosine — goes through
the same split, exclusions and metrics (allstore.personalize.evaluation), so the table answers
"is this recipe better than the obvious alternatives on my data?".
"""

from __future__ import annotations

import json
import signal
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

from allstore.data.interactions import FORMATS, read_interactions
from allstore.personalize.evaluation_protocols import PROTOCOLS, Protocol
from allstore.start_refusals import refused_in_one_line

if TYPE_CHECKING:
    from allstore.personalize.recipes import Recipe, TrainingData

DEFAULT_RECIPES = ("aws-user-personalization", "aws-sims")
WIDE_OUTPUT = 160


def evaluate(
    interactions: Annotated[
        Path, typer.Option(exists=True, help="Interactions file (or P5 folder) to train and test on.")
    ],
    format: Annotated[
        str | None, typer.Option(help=f"One of {', '.join(FORMATS)}; detected from the path when omitted.")
    ] = None,
    recipe: Annotated[
        list[str] | None,
        typer.Option(help="Recipe name or ARN; repeat for several (default: user-personalization and sims)."),
    ] = None,
    protocol: Annotated[str, typer.Option(help=f"One of {', '.join(PROTOCOLS)}.")] = "leave-one-out",
    json_output: Annotated[
        bool, typer.Option("--json", help="Print one JSON object instead of a table.")
    ] = False,
) -> None:
    """Train recipes and baselines on an interactions file and report their offline metrics."""
    # The models load here, not at the top: every other `allstore` command would pay for them.
    from allstore.personalize.recipes import TrainingData, get_recipe

    if protocol not in PROTOCOLS:
        raise typer.BadParameter(f"expected one of {', '.join(PROTOCOLS)}", param_hint="--protocol")
    if format is not None and format not in FORMATS:
        raise typer.BadParameter(f"expected one of {', '.join(FORMATS)}", param_hint="--format")
    try:
        recipes = [get_recipe(name) for name in recipe or DEFAULT_RECIPES]
    except KeyError as error:
        raise typer.BadParameter(error.args[0], param_hint="--recipe") from None
    try:
        columns = read_interactions(interactions, format)
    except (OSError, ValueError) as error:
        raise typer.BadParameter(str(error), param_hint="--interactions") from None
    if len(columns) == 0:
        raise typer.BadParameter("the file has no interactions", param_hint="--interactions")
    data = TrainingData.from_columns(
        columns.user_ids, columns.item_ids, columns.timestamps, columns.event_types, columns.event_values
    )

    try:
        results = compare(data, recipes, protocol)
    except ValueError as error:
        typer.echo(f"Error: {error}", err=True)
        raise typer.Exit(1) from None
    report = {
        "dataset": interactions.name,
        "protocol": protocol,
        "users": len(data.users),
        "items": len(data.items),
        "results": results,
    }
    if json_output:
        typer.echo(json.dumps(report))
    else:
        _print_table(report)


def compare(data: TrainingData, recipes: Sequence[Recipe], protocol: Protocol) -> list[dict]:
    """One result row per recipe and per baseline, all through the same protocol."""
    # Imported here: the models (and `implicit`) take seconds to import, and every other
    # `allstore` command would pay for them at start-up.
    from allstore.personalize.evaluation import evaluate as evaluate_recipe
    from allstore.personalize.recipes.baselines import BASELINES, ActiveUsers
    from allstore.personalize.recipes.popularity import PopularityCount

    named = [(recipe.name.removeprefix("aws-"), recipe) for recipe in recipes]
    if any(recipe.recipe_type != "USER_SEGMENTATION" for recipe in recipes):
        named += [("popularity", PopularityCount()), *((baseline.name, baseline) for baseline in BASELINES)]
    for kind in dict.fromkeys(
        recipe.segment_queries for recipe in recipes if recipe.recipe_type == "USER_SEGMENTATION"
    ):
        baseline = ActiveUsers(kind)
        named.append((baseline.name, baseline))
    results = []
    for name, model in named:
        try:
            metrics, train_seconds = evaluate_recipe(model, data, model.default_hyperparameters, protocol)
        except ValueError as error:
            raise ValueError(f"cannot evaluate {name}: {error}") from error
        results.append({"model": name, "train_seconds": round(train_seconds, 3), **metrics})
    return results


def short_label(metric: str) -> str:
    """`normalized_discounted_cumulative_gain_at_10` → `NDCG@10`, so the table fits a terminal."""
    for long, short in (
        ("mean_reciprocal_rank_of_users", "user MRR"),
        ("recall", "R"),
        ("normalized_discounted_cumulative_gain", "NDCG"),
        ("mean_reciprocal_rank", "MRR"),
        ("precision", "P"),
        ("ndcg", "NDCG"),
        ("hr", "HR"),
        ("mrr", "MRR"),
    ):
        if metric.startswith(long):
            return short + metric.removeprefix(long).replace("_at_", "@").replace("_percent", "%")
    return metric


def _print_table(report: dict) -> None:
    table = Table(
        title=f"{report['dataset']}: {report['users']:,} users, {report['items']:,} items, "
        f"protocol {report['protocol']}"
    )
    metric_names = list(
        dict.fromkeys(
            name for row in report["results"] for name in row if name not in ("model", "train_seconds")
        )
    )
    table.add_column("model", no_wrap=True)
    for name in metric_names:
        table.add_column(short_label(name), justify="right")
    table.add_column("train s", justify="right")
    for row in report["results"]:
        table.add_row(
            row["model"],
            *(f"{row[name]:.4f}" if name in row else "–" for name in metric_names),
            f"{row['train_seconds']:.2f}",
        )
    console = Console()
    if not console.is_terminal:  # piped into a file: no terminal width to respect, so do not squeeze
        console = Console(width=WIDE_OUTPUT)
    console.print(table)


def serve(
    port: Annotated[int, typer.Option(help="Port on 127.0.0.1 (0 picks a free one).")] = 8083,
    state_dir: Annotated[Path, typer.Option(help="Where resources, data, events and models live.")] = Path(
        ".allstore/personalize"
    ),
    credentials: Annotated[
        Path | None,
        typer.Option(
            exists=True,
            dir_okay=False,
            help="The key pair requests must be signed with (a store's <state-dir>/credentials.json); "
            "default: <state-dir>/credentials.json, made at the first start.",
        ),
    ] = None,
) -> None:
    """Serve personalize, personalize-runtime and personalize-events on 127.0.0.1 until Ctrl-C or SIGTERM.

    Only requests signed with the service's key pair are answered; it prints them as `export` lines.
    """
    from allstore.credentials import CREDENTIALS_FILE, StoreCredentials, export_lines
    from allstore.personalize.server import PersonalizeServer  # the models' libraries load slowly

    stopping = threading.Event()
    # Ctrl-C interrupts also when started from a script in the background (the shell leaves SIGINT
    # ignored there), as `allstore local up` does; TERM stops too.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    key_pair = StoreCredentials.read_file(credentials) if credentials is not None else None
    server = PersonalizeServer(state_dir, port=port, credentials=key_pair)
    with refused_in_one_line(port):  # the state directory or the port is another's: nothing was touched
        url = server.start()
    assert server.credentials is not None
    typer.echo(
        f"Personalize service at {url} (state in {state_dir}); use it as endpoint_url, signed with "
        f"the key pair in {credentials or state_dir / CREDENTIALS_FILE}:"
    )
    exports = {
        **server.credentials.environment(),
        **{
            f"AWS_ENDPOINT_URL_{name}": url
            for name in ("PERSONALIZE", "PERSONALIZE_RUNTIME", "PERSONALIZE_EVENTS")
        },
    }
    for line in export_lines(exports):
        typer.echo(f"  {line}")
    typer.echo("Ctrl-C stops it.")
    try:
        while not stopping.wait(0.5):  # a timed wait, so Ctrl-C is noticed promptly
            pass
    except KeyboardInterrupt:
        pass
    finally:
        typer.echo("stopping: finishing running jobs")
        server.stop()
