"""`allstore data ...`: generate the synthetic store, fetch the real datasets, inspect any of them."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from allstore.data import synthetic

data_app = typer.Typer(help="Datasets: generate the synthetic store, fetch real data, inspect files.")
console = Console()

DEFAULT_DATA_DIR = Path(".allstore/data")


@data_app.command()
def generate(
    out: Annotated[Path, typer.Option(help="Folder to write the store into.")] = DEFAULT_DATA_DIR
    / "synthetic",
    items: Annotated[int, typer.Option(min=1, help="Number of products.")] = synthetic.DEFAULT_ITEMS,
    interactions: Annotated[
        int, typer.Option(min=1, help="Number of interactions.")
    ] = synthetic.DEFAULT_INTERACTIONS,
    users: Annotated[
        int | None, typer.Option(min=1, help="Number of shoppers (default: interactions / 20).")
    ] = None,
    seed: Annotated[int, typer.Option(help="The same seed gives the same files.")] = synthetic.DEFAULT_SEED,
) -> None:
    """Generate the synthetic store (products, reviews, interactions CSV, demo users, images)."""
    started = time.perf_counter()
    store = synthetic.generate_store(items=items, interactions=interactions, users=users, seed=seed)
    paths = synthetic.write_store(store, out)
    elapsed = time.perf_counter() - started
    console.print(
        f"Generated {len(store.catalogue.asins):,} products, {len(store.user_ids):,} shoppers and "
        f"{len(store.events.user):,} interactions in {elapsed:.1f} s (seed {seed}):"
    )
    for path in paths.values():
        console.print(f"  {path}  ({path.stat().st_size / 1e6:.1f} MB)" if path.is_file() else f"  {path}/")
