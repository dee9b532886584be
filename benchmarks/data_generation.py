"""Benchmark the synthetic store: generation time, file sizes, read-back time, and whether it carries signal.

Signal: leave-one-out on the generated interactions (each shopper's last event is the target, ranked
against every product), comparing popularity with a simple recency-weighted item-to-item
co-occurrence model. A store a recommender cannot beat popularity on would teach nothing.

    .venv/bin/python benchmarks/data_generation.py [--interactions 1000000] [--items 20000] [--seed 42]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from allstore.data import synthetic
from allstore.data.interactions import read_interactions

TOP_K = 10
HISTORY = 5  # recent items a co-occurrence score looks at
BATCH = 1_000  # users scored at once (a dense batch x items score matrix)


def leave_last_out(user: np.ndarray, when: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The order sorting rows by (user, time), and a mask of each user's last row in that order."""
    order = np.lexsort((when, user))
    sorted_user = user[order]
    return order, np.r_[sorted_user[1:] != sorted_user[:-1], True]


def _rank_of(scores: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """Rank (0 = best) of each row's target among the row's scores; ties count against the target."""
    target_scores = scores[np.arange(len(targets)), targets]
    return (scores >= target_scores[:, None]).sum(axis=1) - 1


def popularity_ranks(train_items: np.ndarray, targets: np.ndarray, n_items: int) -> np.ndarray:
    counts = np.bincount(train_items, minlength=n_items)
    ascending = np.sort(counts)
    return n_items - np.searchsorted(ascending, counts[targets], side="left") - 1


def cooccurrence_ranks(
    user: np.ndarray, item: np.ndarray, last: np.ndarray, scored: np.ndarray
) -> np.ndarray:
    """Ranks under recency-weighted item-to-item co-occurrence, for the scored users' last rows.

    Rows are sorted by (user, time). Items within HISTORY steps of each other in a user's training
    history co-occur (weight 1/distance, both directions); a user's score for an item sums the
    co-occurrence rows of their last HISTORY items, the most recent weighing most.
    """
    n_items = int(item.max()) + 1
    train_user, train_item = user[~last], item[~last]
    sources, targets, weights = [], [], []
    for gap in range(1, HISTORY + 1):
        same_user = train_user[gap:] == train_user[:-gap]
        for a, b in ((train_item[:-gap], train_item[gap:]), (train_item[gap:], train_item[:-gap])):
            sources.append(a[same_user])
            targets.append(b[same_user])
            weights.append(np.full(int(same_user.sum()), 1.0 / gap))
    matrix = sp.csr_matrix(
        (np.concatenate(weights), (np.concatenate(sources), np.concatenate(targets))),
        shape=(n_items, n_items),
    )
    popularity = np.bincount(train_item, minlength=n_items) / max(1, len(train_item))

    target_rows = np.flatnonzero(last & scored)
    first_rows = np.r_[0, np.flatnonzero(last)[:-1] + 1][np.isin(np.flatnonzero(last), target_rows)]
    ranks = np.empty(len(target_rows), dtype=np.int64)
    for start in range(0, len(target_rows), BATCH):
        batch = slice(start, start + BATCH)
        rows, cols, vals = [], [], []
        for position, (first, end) in enumerate(zip(first_rows[batch], target_rows[batch], strict=True)):
            recent = item[max(first, end - HISTORY) : end][::-1]
            rows.extend([position] * len(recent))
            cols.extend(recent.tolist())
            vals.extend((1.0 / (1.0 + np.arange(len(recent)))).tolist())
        history = sp.csr_matrix((vals, (rows, cols)), shape=(len(target_rows[batch]), n_items))
        scores = (history @ matrix).toarray() + 1e-6 * popularity[None, :]
        ranks[batch] = _rank_of(scores, item[target_rows[batch]])
    return ranks


class Stopwatch:
    """Wall and CPU time of a block: the machine may be shared, and CPU time shows the work itself."""

    def __enter__(self) -> Stopwatch:
        self.wall, self.cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc: object) -> None:
        self.wall, self.cpu = time.perf_counter() - self.wall, time.process_time() - self.cpu

    def __str__(self) -> str:
        return f"{self.wall:.1f} s ({self.cpu:.1f} s CPU)"


def metrics(ranks: np.ndarray) -> dict[str, float]:
    hit = ranks < TOP_K
    return {
        "ndcg_at_10": float(np.mean(np.where(hit, 1.0 / np.log2(ranks + 2), 0.0))),
        "hr_at_10": float(hit.mean()),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--interactions", type=int, default=1_000_000)
    parser.add_argument("--items", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=synthetic.DEFAULT_SEED)
    parser.add_argument(
        "--eval-users", type=int, default=20_000, help="shoppers sampled for the quality check"
    )
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="allstore-synthetic-") as folder:
        with Stopwatch() as generating:
            store = synthetic.generate_store(items=args.items, interactions=args.interactions, seed=args.seed)
        with Stopwatch() as writing:
            paths = synthetic.write_store(store, folder)
        print(
            f"{args.interactions:,} interactions, {args.items:,} products, {len(store.user_ids):,} shoppers: "
            f"generated in {generating}, written in {writing}"
        )
        for name, path in paths.items():
            size = (
                sum(f.stat().st_size for f in Path(path).iterdir()) if path.is_dir() else path.stat().st_size
            )
            count = len(list(path.iterdir())) if path.is_dir() else None
            print(f"  {name:18} {size / 1e6:8.1f} MB" + (f"  ({count} files)" if count else ""))
        with Stopwatch() as reading:
            interactions = read_interactions(paths[synthetic.INTERACTIONS_FILE])
        print(f"read_interactions(interactions.csv): {len(interactions):,} rows in {reading}")

    events = store.events
    order, last = leave_last_out(events.user, events.timestamp)
    user, item = events.user[order], events.item[order]
    sample = np.random.default_rng(0).choice(
        len(store.user_ids), min(args.eval_users, len(store.user_ids)), False
    )
    scored = np.isin(user, sample)
    with Stopwatch() as evaluating:
        results = {
            "popularity": metrics(
                popularity_ranks(item[~last], item[last & scored], len(store.catalogue.asins))
            ),
            "item-to-item co-occurrence": metrics(cooccurrence_ranks(user, item, last, scored)),
        }
    print(f"leave-one-out, {int((last & scored).sum()):,} shoppers ({evaluating}):")
    for name, result in results.items():
        print(f"  {name:28} NDCG@10 {result['ndcg_at_10']:.4f}  HR@10 {result['hr_at_10']:.4f}")


if __name__ == "__main__":
    main()
