"""Benchmark training time, peak memory and scoring latency of every recipe on Sports 2014.

Each recipe trains in a fresh child process, so its peak RSS is its own (loading the data
included). Then the child scores histories of 1, 5, 10 and 40 random items, as GetRecommendations
would for users and sessions, and reports the time of one `score_history` call: wall clock (what
a request waits on a busy machine) and CPU time (the work itself).

    .venv/bin/python benchmarks/training_speed.py [--sports PATH] [--queries 2000]
        [--synthetic [--interactions N] [--items M]]

Bar (issue 7): training under 60 s on 2 cores and under 2 GiB RSS; scoring well inside the
service's 10 ms p99.
"""

from __future__ import annotations

import argparse
import multiprocessing
import pickle
import resource
import time
from pathlib import Path

import numpy as np

from allstore.data import synthetic
from allstore.personalize.recipes import RECIPES, TrainingData

SPORTS = Path(__file__).resolve().parents[2] / "shared" / "data" / "sports2014_interactions"
HISTORY_LENGTHS = (1, 5, 10, 40)


def synthetic_data(interactions: int, items: int) -> TrainingData:
    """The synthetic store's interactions as a dataset import gives them (string ids)."""
    store = synthetic.generate_store(items=items, interactions=interactions)
    events = store.events
    return TrainingData.from_columns(
        store.user_ids[events.user], store.catalogue.asins[events.item], events.timestamp
    )


def load(sports: Path | None, size: tuple[int, int]) -> TrainingData:
    if sports is None:
        return synthetic_data(*size)
    from allstore.data.interactions import read_interactions

    columns = read_interactions(sports, "p5")
    return TrainingData.from_columns(columns.user_ids, columns.item_ids, columns.timestamps)


def measure(
    name: str, sports: Path | None, size: tuple[int, int], queries: int, results: multiprocessing.Queue
) -> None:
    data = load(sports, size)
    recipe = RECIPES[name]
    started = time.perf_counter()
    model = recipe.fit(data, recipe.default_hyperparameters)
    train_seconds = time.perf_counter() - started
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    rng = np.random.default_rng(0)
    histories = [
        data.items[rng.integers(0, len(data.items), HISTORY_LENGTHS[k % len(HISTORY_LENGTHS)])].tolist()
        for k in range(queries)
    ]
    for history in histories[:20]:  # warm up caches
        model.score_history(history)
    wall, cpu = [], []
    for history in histories:
        wall_start, cpu_start = time.perf_counter(), time.thread_time()
        model.score_history(history)
        cpu.append(time.thread_time() - cpu_start)
        wall.append(time.perf_counter() - wall_start)
    results.put(
        {
            "recipe": name,
            "train_s": train_seconds,
            "peak_rss_mib": peak_mib,
            "model_mib": len(pickle.dumps(model)) / 2**20,
            "wall_p50_ms": float(np.percentile(wall, 50) * 1e3),
            "wall_p99_ms": float(np.percentile(wall, 99) * 1e3),
            "cpu_p50_ms": float(np.percentile(cpu, 50) * 1e3),
            "cpu_p99_ms": float(np.percentile(cpu, 99) * 1e3),
        }
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sports", type=Path, default=SPORTS, help="P5 Sports 2014 folder")
    parser.add_argument("--synthetic", action="store_true", help="use the default synthetic store instead")
    parser.add_argument(
        "--interactions", type=int, default=synthetic.DEFAULT_INTERACTIONS, help="synthetic store size"
    )
    parser.add_argument("--items", type=int, default=synthetic.DEFAULT_ITEMS, help="synthetic catalogue size")
    parser.add_argument("--queries", type=int, default=2_000, help="score_history calls per recipe")
    args = parser.parse_args()
    if not args.synthetic and not args.sports.exists():
        parser.error(f"{args.sports} not found: pass --sports PATH or --synthetic")
    sports = None if args.synthetic else args.sports
    context = multiprocessing.get_context("spawn")
    print("| recipe | train s | peak RSS MiB | model MiB | score p50 / p99 ms (wall) | (CPU) |")
    print("|---|---:|---:|---:|---:|---:|")
    for name in RECIPES:
        results = context.Queue()
        child = context.Process(
            target=measure, args=(name, sports, (args.interactions, args.items), args.queries, results)
        )
        child.start()
        row = results.get()
        child.join()
        print(
            f"| {row['recipe']} | {row['train_s']:.1f} | {row['peak_rss_mib']:.0f} | {row['model_mib']:.1f} | "
            f"{row['wall_p50_ms']:.2f} / {row['wall_p99_ms']:.2f} | "
            f"{row['cpu_p50_ms']:.2f} / {row['cpu_p99_ms']:.2f} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
