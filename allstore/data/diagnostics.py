"""What is in a data file: counts, field coverage, and the original demo's interaction diagnostics.

The checks follow the original `Personalize/util/diagnostic.py` (missing and duplicate rates,
repeat consumption, per-user and per-item counts, time range, popularity concentration) with its
thresholds, plus Amazon Personalize's minimum data requirements, so a dataset's problems show up
before an hour of training does. Reports are plain dicts so notebooks can use them too.
"""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
from allstore_common import records

from allstore.data.interactions import P5_SEQUENCES, Interactions, detect_format, read_interactions

# The original diagnostic's warning thresholds.
DUPLICATE_RATE_THRESHOLD = 0.1
REPEAT_RATE_THRESHOLD = 0.5
# Amazon Personalize's documented minimums for training a solution.
MIN_INTERACTIONS = 1_000
MIN_USERS_WITH_TWO = 25
SAMPLE_RECORDS = 100_000  # field coverage is measured on the first records of big files
_GENERIC_IDS = {"id", "ID"}  # a users or items file's own id, not an interaction's user or item


def inspect_path(path: str | os.PathLike) -> dict[str, Any]:
    """Describe a file (or a P5 folder): records and field coverage, and interaction diagnostics
    when it holds interactions."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path} does not exist")
    if path.is_dir() and not (path / P5_SEQUENCES).exists():
        raise IsADirectoryError(f"{path} is a folder: give one of its files (or a P5 folder)")
    if detect_format(path) == "p5":
        interactions = read_interactions(path, "p5")
        return {
            "path": str(path),
            "kind": "interactions",
            "format": "p5",
            **describe_interactions(interactions),
        }
    report = describe_records(path)
    if report["kind"] == "interactions":
        interactions = read_interactions(path, "csv" if report["format"] == records.CSV else "ucsd")
        report.update(describe_interactions(interactions))
    return report


def describe_records(path: Path) -> dict[str, Any]:
    """Record count, bad rows, and how often each field and each accessor has a value."""
    bad_rows = records.BadRows()
    total = 0
    present: Counter[str] = Counter()
    accessors = {
        "item id": records.item_id,
        "user id": records.user_id,
        "title": records.title,
        "image url": records.image_url,
        "timestamp": records.timestamp,
        "value": records.value,
        "category": records.category,
        "price": records.price,
    }
    found: Counter[str] = Counter()
    kinds: Counter[str] = Counter()
    format = records.CSV if path.name.lower().removesuffix(".gz").endswith((".csv", ".tsv")) else records.JSON
    for record in records.iter_records(path, bad_rows=bad_rows):
        total += 1
        if total > SAMPLE_RECORDS:
            continue  # keep counting (and collecting bad rows) without measuring coverage
        present.update(key for key, value in record.items() if value not in (None, "", [], {}))
        found.update(name for name, accessor in accessors.items() if accessor(record) not in (None, []))
        kinds[_kind(record)] += 1
    measured = min(total, SAMPLE_RECORDS)
    return {
        "path": str(path),
        "kind": kinds.most_common(1)[0][0] if kinds else "empty",
        "format": format,
        "records": total,
        "bad_rows": {"count": bad_rows.count, "examples": bad_rows.examples},
        "fields": {key: count / measured for key, count in present.most_common()},
        "accessors": {name: found[name] / measured if measured else 0.0 for name in accessors},
        "coverage_sample": measured,
    }


def _kind(record: dict[str, Any]) -> str:
    keys = set(record) - _GENERIC_IDS
    has_user = records.column(keys, records.USER_ID_FIELDS) is not None
    has_item = records.column(keys, records.ITEM_ID_FIELDS) is not None
    if has_user and has_item:
        return "interactions"
    if has_item or records.title(record):
        return "items"
    return "users" if records.user_id(record) else "other"


def describe_interactions(interactions: Interactions) -> dict[str, Any]:
    """The original diagnostic's checks on interactions, with warnings past its thresholds."""
    count = len(interactions)
    users, user_codes = np.unique(interactions.user_ids, return_inverse=True)
    items, item_codes = np.unique(interactions.item_ids, return_inverse=True)
    per_user = np.bincount(user_codes, minlength=len(users))
    per_item = np.bincount(item_codes, minlength=len(items))
    pair = user_codes.astype(np.int64) * max(1, len(items)) + item_codes
    distinct_pairs = len(np.unique(pair))
    distinct_events = np.unique(np.stack([pair, interactions.timestamps]), axis=1).shape[1] if count else 0
    duplicate_rate = (count - distinct_events) / count if count else 0.0
    repeat_rate = (count - distinct_pairs) / count if count else 0.0
    by_popularity = np.sort(per_item)[::-1]
    report: dict[str, Any] = {
        "interactions": count,
        "users": len(users),
        "items": len(items),
        "bad_rows": {"count": interactions.bad_rows.count, "examples": interactions.bad_rows.examples},
        "per_user": _spread(per_user),
        "per_item": _spread(per_item),
        "density": count / (len(users) * len(items)) if count else 0.0,
        "duplicate_rate": duplicate_rate,
        "repeat_rate": repeat_rate,
        "top_1pct_items_share": _head_share(by_popularity, 0.01),
        "top_10pct_items_share": _head_share(by_popularity, 0.10),
        "gini_items": _gini(per_item),
        "event_types": dict(Counter(interactions.event_types.tolist()).most_common(10)) if count else {},
        "has_time": interactions.has_time,
    }
    if interactions.has_time and count:
        first, last = int(interactions.timestamps.min()), int(interactions.timestamps.max())
        report["time_range"] = [_iso(first), _iso(last)]
        report["time_span_days"] = (last - first) / 86_400
    values = interactions.event_values[~np.isnan(interactions.event_values)]
    if len(values):
        report["event_values"] = {
            "min": float(values.min()),
            "mean": float(values.mean()),
            "max": float(values.max()),
        }
    report["warnings"] = _warnings(report, per_user)
    return report


def _spread(counts: np.ndarray) -> dict[str, float]:
    if not len(counts):
        return {}
    return {
        "min": int(counts.min()),
        "median": float(np.median(counts)),
        "mean": float(counts.mean()),
        "max": int(counts.max()),
    }


def _head_share(descending_counts: np.ndarray, fraction: float) -> float:
    if not descending_counts.sum():
        return 0.0
    head = max(1, round(len(descending_counts) * fraction))
    return float(descending_counts[:head].sum() / descending_counts.sum())


def _gini(counts: np.ndarray) -> float:
    """0 when every item is equally popular, near 1 when a few items take everything."""
    if not len(counts) or not counts.sum():
        return 0.0
    ascending = np.sort(counts).astype(np.float64)
    n = len(ascending)
    return float((2 * np.arange(1, n + 1) - n - 1) @ ascending / (n * ascending.sum()))


def _iso(seconds: int) -> str:
    return str(np.datetime64(seconds, "s")) + "Z"


def _warnings(report: dict[str, Any], per_user: np.ndarray) -> list[str]:
    warnings = []
    if report["duplicate_rate"] > DUPLICATE_RATE_THRESHOLD:
        warnings.append(
            f"high duplication rate ({report['duplicate_rate']:.1%}): only one event counts per "
            "(user, item, timestamp)"
        )
    if report["repeat_rate"] > REPEAT_RATE_THRESHOLD:
        warnings.append(
            f"high rate of repeated consumption ({report['repeat_rate']:.1%}): consider keeping only the "
            "last interaction per user-item pair"
        )
    if report["interactions"] < MIN_INTERACTIONS:
        warnings.append(f"fewer than {MIN_INTERACTIONS:,} interactions: Amazon Personalize will not train")
    if int((per_user >= 2).sum()) < MIN_USERS_WITH_TWO:
        warnings.append(
            f"fewer than {MIN_USERS_WITH_TWO} users with 2+ interactions: Amazon Personalize will not train"
        )
    if not report["has_time"]:
        warnings.append("no timestamps: event order is the position in each user's history")
    if report["bad_rows"]["count"]:
        warnings.append(f"{report['bad_rows']['count']:,} bad rows skipped")
    return warnings
