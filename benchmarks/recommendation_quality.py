"""Benchmark recommendation quality: every recipe against popularity and the `implicit` baselines.

Runs the `allstore evaluate` comparison on the real Sports 2014 sequences (research data, read in
place, never copied) and on the synthetic store (a different shape: taste clusters, sessions,
repeat purchases), so a change that only helps one dataset shows up. Prints Markdown tables.

    .venv/bin/python benchmarks/recommendation_quality.py [--sports PATH] [--protocol leave-one-out]
        [--synthetic-interactions 200000] [--skip-sports]

Bar (issue 7): User-Personalization NDCG@10 >= 0.035 on Sports leave-one-out; it and SIMS beat
popularity, implicit ALS and item-kNN cosine. Issue 19: Similar-Items beats popularity, and the
segment recipes beat the most active users (active-users).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from allstore.data import synthetic
from allstore.data.interactions import read_interactions
from allstore.personalize.commands import SUMMARY_FIELDS, compare, short_label
from allstore.personalize.evaluation_protocols import PROTOCOLS
from allstore.personalize.recipes import TrainingData, get_recipe

SPORTS = Path(__file__).resolve().parents[2] / "shared" / "data" / "sports2014_interactions"
RECIPES = (
    "aws-user-personalization",
    "aws-sims",
    "aws-similar-items",
    "aws-item-affinity",
    "aws-item-attribute-affinity",
)


def synthetic_data(interactions: int, seed: int) -> TrainingData:
    """The synthetic store's interactions, with its category path and brand as item metadata
    (what an Items dataset with CATEGORY_L1..L3 and BRAND would give the service)."""
    store = synthetic.generate_store(items=5_000, interactions=interactions, seed=seed)
    events, catalogue, tree = store.events, store.catalogue, synthetic.leaves()
    metadata = {
        asin: {
            "CATEGORY_L1": tree[leaf].path[0],
            "CATEGORY_L2": tree[leaf].path[1],
            "CATEGORY_L3": tree[leaf].path[2],
            "BRAND": catalogue.brand_names[brand],
        }
        for asin, leaf, brand in zip(
            catalogue.asins.tolist(), catalogue.leaf.tolist(), catalogue.brand.tolist(), strict=True
        )
    }
    return TrainingData.from_columns(
        store.user_ids[events.user],
        catalogue.asins[events.item],
        events.timestamp,
        catalogue=catalogue.asins,
        item_metadata=metadata,
    )


def sports_data(path: Path) -> TrainingData:
    columns = read_interactions(path, "p5")
    return TrainingData.from_columns(columns.user_ids, columns.item_ids, columns.timestamps)


def report(name: str, data: TrainingData, protocol: str) -> None:
    started = time.perf_counter()
    results = compare(data, [get_recipe(recipe) for recipe in RECIPES], protocol).results
    print(f"\n### {name}: {len(data.users):,} users, {len(data.items):,} items, protocol {protocol}\n")
    # Item recipes and segment recipes report different metrics: one column per metric of any row.
    metrics = list(dict.fromkeys(key for row in results for key in row if key not in SUMMARY_FIELDS))
    print("| model | " + " | ".join(short_label(key) for key in metrics) + " | train s |")
    print("|---|" + "---:|" * (len(metrics) + 1))
    for row in results:
        cells = " | ".join(f"{row[key]:.4f}" if key in row else "–" for key in metrics)
        print(f"| {row['model']} | {cells} | {row['train_seconds']:.1f} |")
    print(f"\n({time.perf_counter() - started:.0f} s including scoring every held-out user)")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sports", type=Path, default=SPORTS, help="P5 Sports 2014 folder")
    parser.add_argument("--skip-sports", action="store_true", help="only the synthetic store")
    parser.add_argument("--protocol", choices=PROTOCOLS, default="leave-one-out")
    parser.add_argument("--synthetic-interactions", type=int, default=synthetic.DEFAULT_INTERACTIONS)
    parser.add_argument("--seed", type=int, default=synthetic.DEFAULT_SEED)
    args = parser.parse_args()
    if not args.skip_sports:
        if not args.sports.exists():
            parser.error(f"{args.sports} not found: pass --sports PATH or --skip-sports")
        report("Sports 2014 (P5)", sports_data(args.sports), args.protocol)
    report(
        f"Synthetic store (seed {args.seed})",
        synthetic_data(args.synthetic_interactions, args.seed),
        args.protocol,
    )


if __name__ == "__main__":
    main()
