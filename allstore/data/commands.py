"""`allstore data generate|fetch|inspect` (registered by allstore/cli.py): generate the synthetic store, fetch the real datasets, inspect any of them."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)
from rich.table import Table

from allstore.data import diagnostics, synthetic
from allstore.data import fetch as fetching

console = Console()

DEFAULT_SYNTHETIC_DIR = Path(".allstore/data/synthetic")


def generate(
    out: Annotated[Path, typer.Option(help="Folder to write the store into.")] = DEFAULT_SYNTHETIC_DIR,
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


def fetch(
    name: Annotated[str, typer.Argument(help="Dataset: grocery, clothing, sports or ucsd2018/<Category>.")],
    dest: Annotated[
        Path | None, typer.Option(help=f"Folder for the files (default: {fetching.DATASETS_DIR}/<name>).")
    ] = None,
    base_url: Annotated[
        str | None,
        typer.Option(help="Download from this host instead (a mirror), e.g. http://127.0.0.1:8000/."),
    ] = None,
) -> None:
    """Download a real dataset the original demo used, with resume and SHA-256 checksums."""
    try:
        remote = fetching.dataset(name)
    except fetching.FetchError as error:
        raise typer.BadParameter(str(error), param_hint="NAME") from error
    dest = dest or fetching.DATASETS_DIR / name
    console.print(f"{remote.description}\n-> {dest}")
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
        console=console,
    ) as bar:
        tasks: dict[str, TaskID] = {}

        def progress(file_name: str, done: int, total: int | None) -> None:
            if file_name not in tasks:
                tasks[file_name] = bar.add_task(file_name, total=total)
            bar.update(tasks[file_name], completed=done, total=total)

        try:
            paths = fetching.fetch(remote, dest, base_url=base_url, progress=progress)
        except fetching.FetchError as error:
            console.print(f"[red]Error:[/red] {error}", markup=True, highlight=False)
            raise typer.Exit(1) from error
    for path in paths:
        console.print(f"  {path}  ({path.stat().st_size / 1e6:.1f} MB)")
    console.print(f"Checksums: {dest / fetching.CHECKSUMS_FILE}")


def inspect(
    path: Annotated[
        Path, typer.Argument(help="A data file (CSV, JSON lines, optionally .gz) or a P5 folder.")
    ],
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as one JSON object.")] = False,
) -> None:
    """Counts, field coverage and the original demo's diagnostic checks for a data file."""
    try:
        report = diagnostics.inspect_path(path)
    except (OSError, ValueError) as error:
        console.print(f"[red]Error:[/red] {error}", highlight=False)
        raise typer.Exit(1) from error
    if as_json:
        print(json.dumps(report, indent=2, default=str))
        return
    _print_report(report)


def _print_report(report: dict) -> None:
    console.print(f"[bold]{report['path']}[/bold]: {report['kind']} ({report['format']})", highlight=False)
    if "records" in report:
        console.print(f"  records: {report['records']:,}")
    bad = report["bad_rows"]
    if bad["count"]:
        examples = "; ".join(f"line {line}: {reason}" for line, reason in bad["examples"])
        console.print(f"  bad rows: {bad['count']:,} ({examples})", highlight=False)
    if "fields" in report:
        fields = Table(
            "field", "present", title=f"Field coverage (first {report['coverage_sample']:,} records)"
        )
        for field, share in report["fields"].items():
            fields.add_row(field, f"{share:.1%}")
        console.print(fields)
        found = ", ".join(f"{name} {share:.0%}" for name, share in report["accessors"].items())
        console.print(f"  understood as: {found}", highlight=False)
    if "interactions" not in report:
        return
    stats = Table("check", "value", title="Interactions")
    stats.add_row("interactions", f"{report['interactions']:,}")
    stats.add_row("users", f"{report['users']:,}")
    stats.add_row("items", f"{report['items']:,}")
    for name in ("per_user", "per_item"):
        spread = report[name]
        if spread:
            stats.add_row(
                f"interactions {name.replace('_', ' ')}",
                f"min {spread['min']}, median {spread['median']:g}, mean {spread['mean']:.1f}, max {spread['max']}",
            )
    stats.add_row("density", f"{report['density']:.5f}")
    stats.add_row("duplicate rate (user, item, time)", f"{report['duplicate_rate']:.2%}")
    stats.add_row("repeat rate (user, item)", f"{report['repeat_rate']:.2%}")
    stats.add_row(
        "top 1% / 10% items' share",
        f"{report['top_1pct_items_share']:.1%} / {report['top_10pct_items_share']:.1%}",
    )
    stats.add_row("item popularity Gini", f"{report['gini_items']:.3f}")
    if "time_range" in report:
        stats.add_row(
            "time range",
            f"{report['time_range'][0]} .. {report['time_range'][1]} ({report['time_span_days']:.0f} days)",
        )
    else:
        stats.add_row("time range", "no timestamps (order within each user only)")
    if report["event_types"]:
        stats.add_row(
            "event types",
            ", ".join(f"{name or '(none)'} {count:,}" for name, count in report["event_types"].items()),
        )
    if "event_values" in report:
        values = report["event_values"]
        stats.add_row(
            "event values", f"min {values['min']:g}, mean {values['mean']:.2f}, max {values['max']:g}"
        )
    console.print(stats)
    for warning in report["warnings"]:
        console.print(f"  [yellow]warning:[/yellow] {warning}", highlight=False)
