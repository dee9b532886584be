"""Segments of the test: the same metrics by history length, and for items new to the model.

A mean over users hides where a model is weak. Users with a short history (or none: cold users of
the temporal protocol) and relevant items the training part never saw (cold items, which only item
metadata can bring up) are where recipes differ most and where Amazon Personalize's
exploration and metadata are meant to help.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence

import numpy as np

HISTORY_BOUNDS = (1, 2, 5, 10, 20)  # the buckets 1, 2-4, 5-9, 10-19 and 20+ interactions of input


def history_label(low: int, high: int | None) -> str:
    return f"{low}+" if high is None else str(low) if high == low + 1 else f"{low}-{high - 1}"


def by_history_length(lengths: np.ndarray, per_user: Mapping[str, np.ndarray]) -> list[dict]:
    """One entry per non-empty bucket of input length: its label, number of users and mean metrics."""
    slices = []
    bounds = [*HISTORY_BOUNDS, None]
    for low, high in itertools.pairwise(bounds):
        chosen = (lengths >= low) & (lengths < high if high is not None else True)
        if chosen.any():
            slices.append(
                {"history": history_label(low, high), "users": int(chosen.sum())}
                | {name: float(values[chosen].mean()) for name, values in per_user.items()}
            )
    return slices


def by_item_warmth(ranks: np.ndarray, items: np.ndarray, trained: np.ndarray, ks: Sequence[int]) -> dict:
    """Relevant items the training part has interactions with (`warm_items`) and those it has none
    with (`cold_items`): how many, their share, and the share of them ranked in the top K
    (`recall_at_K`, over (user, item) pairs)."""
    cold = ~trained[items]
    result = {}
    for name, chosen in (("warm_items", ~cold), ("cold_items", cold)):
        count = int(chosen.sum())
        result[name] = {"relevant": count, "share": count / max(len(items), 1)} | {
            f"recall_at_{k}": float((ranks[chosen] <= k).mean()) if count else None for k in ks
        }
    return result
