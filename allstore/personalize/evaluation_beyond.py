"""What the top-K lists recommend, beyond whether they hit the held-out items.

Two models with the same NDCG can recommend very different things: the same few bestsellers to
everyone, or much of the catalogue; items from one category per list, or a mix. These metrics are
computed from every test user's top-K list (item codes, -1 where a list has no more finite scores)
and the items' popularity in the data.
"""

from __future__ import annotations

import numpy as np

from allstore.personalize.recipes.base import TrainingData

LONG_TAIL_HEAD_SHARE = 0.5  # the head: the most popular items that together have half the interactions
CATEGORY_FIELDS = ("CATEGORY_L1", "CATEGORY")  # the Items field intra-list diversity compares


def beyond_accuracy(counts: np.ndarray, data: TrainingData, k: int = 10) -> dict[str, float]:
    """From how many users got each item in their top `k` (`counts`) and the items' popularity in
    `data`: the share of the catalogue recommended (`catalogue_coverage_at_k`), the Gini index of
    the recommendation counts (0: every item equally often, 1: one item only), the mean number of
    interactions of a recommended item, the share of recommendations from the long tail (beyond
    the most popular items that have half the interactions), and novelty (mean -log2 of the share of
    users who interacted with a recommended item; items nobody had count as one user)."""
    total = counts.sum()
    if not total:
        return {}
    popularity = np.bincount(data.item_codes, minlength=len(data.items)).astype(np.float64)
    pairs = np.sort(data.user_codes.astype(np.int64) * len(data.items) + data.item_codes)
    pairs = pairs[np.r_[True, pairs[1:] != pairs[:-1]]] if len(pairs) else pairs  # np.unique, by sorting
    user_share = np.maximum(np.bincount(pairs % len(data.items), minlength=len(data.items)), 1) / len(
        data.users
    )
    by_popularity = np.argsort(-popularity, kind="stable")
    head_size = int(
        np.searchsorted(np.cumsum(popularity[by_popularity]), LONG_TAIL_HEAD_SHARE * popularity.sum())
    )
    in_tail = np.ones(len(data.items), dtype=bool)
    in_tail[by_popularity[: head_size + 1]] = False
    ascending = np.sort(counts).astype(np.float64)
    n = len(ascending)
    gini = float(((2 * np.arange(1, n + 1) - n - 1) * ascending).sum() / (n * ascending.sum()))
    return {
        f"catalogue_coverage_at_{k}": float((counts > 0).mean()),
        f"gini_at_{k}": gini,
        f"mean_popularity_at_{k}": float((counts * popularity).sum() / total),
        f"long_tail_share_at_{k}": float(counts[in_tail].sum() / total),
        f"novelty_at_{k}": float((counts * -np.log2(user_share)).sum() / total),
    }


def top_counts(top: np.ndarray, n_items: int, k: int) -> np.ndarray:
    """How many lists have each item in their first `k` places."""
    listed = top[:, :k]
    return np.bincount(listed[listed >= 0], minlength=n_items)


def item_categories(data: TrainingData) -> np.ndarray | None:
    """Each item's category code (-1 without one) from the Items metadata's CATEGORY_L1 (or
    CATEGORY) field, the whole value when it has several; None when no item has one."""
    field = next(
        (
            name
            for name in CATEGORY_FIELDS
            if any(name in {key.upper() for key in fields} for fields in data.item_metadata.values())
        ),
        None,
    )
    if field is None:
        return None
    values: dict[str, int] = {}
    codes = np.full(len(data.items), -1, dtype=np.int64)
    position = {item: code for code, item in enumerate(data.items.tolist())}
    for item, fields in data.item_metadata.items():
        value = next((v for key, v in fields.items() if key.upper() == field), None)
        if item in position and isinstance(value, str) and value:
            codes[position[item]] = values.setdefault(value, len(values))
    return codes


def intra_list_diversity(top: np.ndarray, categories: np.ndarray, k: int) -> np.ndarray:
    """Per list: the share of pairs among its first `k` items (those with a category) that are of
    different categories; NaN for a list with fewer than two such items."""
    listed = top[:, :k]
    labels = np.where(listed >= 0, categories[np.maximum(listed, 0)], -1)
    pairs = np.zeros(len(listed))
    different = np.zeros(len(listed))
    for i in range(labels.shape[1]):
        for j in range(i + 1, labels.shape[1]):
            both = (labels[:, i] >= 0) & (labels[:, j] >= 0)
            pairs += both
            different += both & (labels[:, i] != labels[:, j])
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(pairs > 0, different / pairs, np.nan)
