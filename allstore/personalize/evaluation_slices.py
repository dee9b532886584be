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


def slices_table(
    rows: Sequence[Mapping], primary: str
) -> tuple[list[str], list[tuple[str, list[str]]]] | None:
    """The slices of result rows (the JSON's `slices`) as a table, for the terminal and the report:
    (header, [(model, cells)]) with `primary` per history-length bucket (users in brackets) and for
    cold users (temporal), then the recall at `primary`'s K of warm and of cold relevant items
    (with their number and share of the relevant items); None when no row has slices."""
    sliced = [row for row in rows if row.get("slices")]
    if not sliced:
        return None
    k = int(primary.rsplit("_", 1)[1])
    buckets = list(
        dict.fromkeys(part["history"] for row in sliced for part in row["slices"]["history_length"])
    )
    cold_users = any("cold_users" in row["slices"] for row in sliced)
    header = [f"history {bucket}" for bucket in buckets] + (["cold users"] if cold_users else [])
    header += [f"R@{k} warm items", f"R@{k} cold items (items, share)"]
    table = []
    for row in sliced:
        slices = row["slices"]
        by_bucket = {part["history"]: part for part in slices["history_length"]}
        cells = [
            f"{by_bucket[b][primary]:.4f} ({by_bucket[b]['users']:,})" if b in by_bucket else "–"
            for b in buckets
        ]
        if cold_users:
            cold = slices.get("cold_users", {})
            cells.append("–" if cold.get(primary) is None else f"{cold[primary]:.4f} ({cold['users']:,})")
        for name in ("warm_items", "cold_items"):
            recall = slices[name].get(f"recall_at_{k}")
            cell = "–" if recall is None else f"{recall:.4f}"
            if name == "cold_items":
                cell += f" ({slices[name]['relevant']:,}, {slices[name]['share']:.2%})"
            cells.append(cell)
        table.append((row["model"], cells))
    return header, table
