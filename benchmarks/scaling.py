"""Benchmark how training time and peak memory grow with the data (issue 23).

For each size, a child process generates the synthetic store once and saves its columns; then each
recipe trains in a fresh child that reads them, builds `TrainingData` from string ids (as a
dataset import does) and fits, so a row's peak RSS is that recipe's with the data included, and
its seconds are the fit alone: CPU seconds (user + system of the training process, what the bar is
judged by on a shared machine) beside wall seconds, with the load average after each size. Last, the
growth exponents of CPU seconds and peak RSS: the slope of log(value) against log(interactions)
from 3M up (1.0 is linear).

    .venv/bin/python benchmarks/scaling.py [--sizes 1M/30k,3M/100k,10M/300k,25M/300k]
        [--recipes aws-user-personalization,aws-sims,aws-personalized-ranking | all]
        [--item-metadata] [--cache DIR] [--read]

Each recipe gets the data it trains on in the service. Similar-Items, Item-Affinity and
Item-Attribute-Affinity also get the Items dataset: the synthetic catalogue's categories and brands
(`synthetic.item_metadata`, what the products file reads as), every product in the catalogue;
`--item-metadata` gives it to every recipe (User-Personalization, SIMS and Personalized-Ranking
weigh it too; their figures in docs/recipes.md were measured without it). Next-Best-Action trains on action
interactions instead (`synthetic.action_interactions`): every product doubles as an action and
every interaction as an action interaction with it (TAKEN, NOT_TAKEN or VIEWED), so its data has the
store's size, and the Actions dataset gives each action a VALUE and, for consumables, a
REPEAT_FREQUENCY.

`--read` also writes each store as a Personalize-style interactions CSV
(USER_ID,ITEM_ID,TIMESTAMP,EVENT_TYPE) and times `read_interactions` on it in a fresh child, the
read `allstore data inspect` and `allstore evaluate` start with (bar: 25M rows under a minute);
benchmarks/reading.py measures reading alone, CSV and JSON lines, and the whole inspect.

Bar (issue 23): every recipe trains on 25M interactions / 300k items under 6 GiB peak RSS and
under 5 minutes, growing at most linearly from 3M to 25M. Check `free -g` before 25M.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from allstore.data import synthetic
from allstore.personalize.recipes import RECIPES, TrainingData

DEFAULT_SIZES = "1M/30k,3M/100k,10M/300k,25M/300k"
DEFAULT_RECIPES = "aws-user-personalization,aws-sims,aws-personalized-ranking"
# The recipes whose models are built from the Items dataset (similar items by metadata, segments by
# item attributes): they train with the catalogue's metadata, as they would in the service.
ITEM_METADATA_RECIPES = ("aws-similar-items", "aws-item-affinity", "aws-item-attribute-affinity")
GROWTH_FROM = 3_000_000
UNITS = {"k": 1_000, "M": 1_000_000}


def count(text: str) -> int:
    """`25M`, `300k` or a plain number."""
    return int(float(text[:-1]) * UNITS[text[-1]]) if text[-1] in UNITS else int(text)


def generate(interactions: int, items: int, path: Path) -> None:
    store = synthetic.generate_store(items=items, interactions=interactions)
    events = store.events
    np.savez(
        path,
        users=store.user_ids,
        items=store.catalogue.asins,
        user=events.user.astype(np.int32),
        item=events.item.astype(np.int32),
        timestamp=events.timestamp,
    )


def write_csv(path: Path, csv_path: Path) -> None:
    """The store's interactions as the CSV a dataset import reads (ids as strings)."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    with np.load(path) as columns:
        event_types = pa.DictionaryArray.from_arrays(
            (columns["user"] % 3).astype(np.int32), np.array(["click", "purchase", "view"])
        )
        table = pa.table(
            {
                "USER_ID": pa.DictionaryArray.from_arrays(columns["user"], columns["users"]).cast(
                    pa.string()
                ),
                "ITEM_ID": pa.DictionaryArray.from_arrays(columns["item"], columns["items"]).cast(
                    pa.string()
                ),
                "TIMESTAMP": columns["timestamp"],
                "EVENT_TYPE": event_types.cast(pa.string()),
            }
        )
    pacsv.write_csv(table, csv_path, write_options=pacsv.WriteOptions(quoting_style="none"))


def read(csv_path: Path, results: multiprocessing.Queue) -> None:
    from allstore.data.interactions import read_interactions

    started = time.perf_counter()
    rows = len(read_interactions(csv_path))
    seconds = time.perf_counter() - started
    results.put((rows, seconds, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20))


def fit(name: str, path: Path, item_metadata: bool, results: multiprocessing.Queue) -> None:
    recipe = RECIPES[name]
    data = training_data(path, recipe.recipe_type == "PERSONALIZED_ACTIONS", item_metadata)
    cpu_started = cpu_seconds()
    started = time.perf_counter()
    recipe.fit(data, recipe.default_hyperparameters)
    seconds = time.perf_counter() - started
    cpu = cpu_seconds() - cpu_started
    results.put((seconds, cpu, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20))


def training_data(path: Path, actions: bool, item_metadata: bool) -> TrainingData:
    """The cached store as the service's `TrainingData` from string ids: its interactions (with the
    Items dataset when `item_metadata`), or with `actions` its Next-Best-Action data."""
    with np.load(path) as columns:
        item_codes = columns["item"]
        user_ids = columns["users"][columns["user"]]
        item_ids = columns["items"][item_codes]
        timestamps = columns["timestamp"]
        asins = columns["items"]
    if not (actions or item_metadata):
        return TrainingData.from_columns(user_ids, item_ids, timestamps)
    catalogue = synthetic.generate_catalogue(len(asins))
    if not np.array_equal(catalogue.asins, asins):
        raise SystemExit(f"{path} is not a store of the default seed: its metadata cannot be generated")
    if actions:
        types, rows = synthetic.action_interactions(catalogue, item_codes)
        event_types = np.array(synthetic.ACTION_EVENT_TYPES)[types]
        del types, item_codes
        return TrainingData.from_columns(
            user_ids, item_ids, timestamps, event_types, catalogue=list(rows), item_metadata=rows
        )
    del item_codes
    metadata = synthetic.item_metadata(catalogue)
    return TrainingData.from_columns(
        user_ids, item_ids, timestamps, catalogue=list(metadata), item_metadata=metadata
    )


def cpu_seconds() -> float:
    """User plus system CPU seconds of this process so far (every thread)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def in_child(context, target, *args) -> None:
    child = context.Process(target=target, args=args)
    child.start()
    child.join()
    if child.exitcode != 0:
        raise SystemExit(f"{target.__name__}{args[:-1]} failed with exit code {child.exitcode}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default=DEFAULT_SIZES, help="interactions/items, comma-separated")
    parser.add_argument(
        "--recipes", default=DEFAULT_RECIPES, help="recipe names, comma-separated, or all (every recipe)"
    )
    parser.add_argument(
        "--item-metadata",
        action="store_true",
        help=f"train every recipe with the Items dataset (default: only {', '.join(ITEM_METADATA_RECIPES)})",
    )
    parser.add_argument("--cache", type=Path, help="keep generated stores here (default: a temporary folder)")
    parser.add_argument("--read", action="store_true", help="also time reading each store as a CSV")
    args = parser.parse_args()
    sizes = [tuple(count(part) for part in size.split("/")) for size in args.sizes.split(",")]
    names = list(RECIPES) if args.recipes == "all" else args.recipes.split(",")
    unknown = [name for name in names if name not in RECIPES]
    if unknown:
        parser.error(f"unknown recipes: {', '.join(unknown)}")
    context = multiprocessing.get_context("spawn")
    measured: dict[str, list[tuple[int, float, float]]] = {name: [] for name in names}
    with tempfile.TemporaryDirectory() as temporary:
        cache = args.cache or Path(temporary)
        cache.mkdir(parents=True, exist_ok=True)
        print("| interactions / items | " + " | ".join(names) + " | load average (1, 5, 15 min) |")
        print("|---|" + "---|" * (len(names) + 1), flush=True)
        for interactions, items in sizes:
            path = cache / f"synthetic_{interactions}_{items}.npz"
            if not path.exists():
                in_child(context, generate, interactions, items, path)
            if args.read:
                csv_path = path.with_suffix(".csv")
                in_child(context, write_csv, path, csv_path)
                results = context.Queue()
                in_child(context, read, csv_path, results)
                rows, seconds, peak_gib = results.get()
                megabytes = csv_path.stat().st_size / 1e6
                csv_path.unlink()
                print(
                    f"read {rows:,} rows ({megabytes:,.0f} MB CSV): {seconds:.1f} s, {peak_gib:.2f} GiB peak"
                )
            cells = []
            for name in names:
                results = context.Queue()
                metadata = args.item_metadata or name in ITEM_METADATA_RECIPES
                in_child(context, fit, name, path, metadata, results)
                seconds, cpu, peak_gib = results.get()
                measured[name].append((interactions, items, cpu, peak_gib))
                digits = 2 if cpu < 1 else 1  # popularity counts take hundredths
                cell = f"{cpu:.{digits}f} CPU s ({seconds:.{digits}f} s wall), {peak_gib:.2f} GiB peak"
                cells.append(cell)
                load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
                print(
                    f"{name} at {interactions:,} / {items:,}: {cell}, load {load}",
                    file=sys.stderr,
                    flush=True,
                )
            load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
            print(f"| {interactions:,} / {items:,} | " + " | ".join(cells) + f" | {load} |", flush=True)
    print(f"\nGrowth exponents from {GROWTH_FROM:,} interactions (slope of log value on log interactions):")
    for name, rows in measured.items():
        rows = [row for row in rows if row[0] >= GROWTH_FROM]
        print(f"- {name}: {exponents(rows)}")
        for items in sorted({row[1] for row in rows}):
            fixed = [row for row in rows if row[1] == items]
            if len({row[0] for row in fixed}) >= 2 and len(fixed) < len(rows):
                print(f"  - at a fixed catalogue of {items:,} items: {exponents(fixed)}")


def exponents(rows: list[tuple[int, int, float, float]]) -> str:
    """The slopes of log CPU seconds and log peak RSS on log interactions over (interactions,
    items, CPU seconds, peak GiB) rows."""
    if len({row[0] for row in rows}) < 2:
        return f"needs two sizes from {GROWTH_FROM:,}"
    sizes_log = np.log([row[0] for row in rows])
    time_slope = np.polyfit(sizes_log, np.log([max(row[2], 1e-3) for row in rows]), 1)[0]
    memory_slope = np.polyfit(sizes_log, np.log([row[3] for row in rows]), 1)[0]
    return f"CPU seconds {time_slope:.2f}, peak RSS {memory_slope:.2f}"


if __name__ == "__main__":
    main()
