"""What is in a data file: counts, field coverage, and the original demo's interaction diagnostics.

The checks follow the original `Personalize/util/diagnostic.py` (missing and duplicate rates,
repeat consumption, per-user and per-item counts, time range, popularity concentration) with its
thresholds, plus Amazon Personalize's minimum data requirements, so a dataset's problems show up
before an hour of training does. Reports are plain dicts so notebooks can use them too.
"""

from __future__ import annotations

import itertools
import os
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import polars
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
    when it holds interactions.

    Field coverage and the file's kind come from its first SAMPLE_RECORDS records, through the
    record parser. An interactions file is then read in bulk (pyarrow, polars: what `allstore
    evaluate` reads) and its record count taken from those columns, not by parsing every record a
    second time, when the bulk reader reads the file in the record parser's format (the format its
    name gives); other files are counted by the record parser."""
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
    format = _format(path)
    in_bulk = records.format_from_name(path.name) == format

    def count_rest(kind: str) -> bool:
        return not (in_bulk and kind == "interactions")

    report = _describe_records(path, count_rest)
    if report["kind"] == "interactions":
        interactions = read_interactions(path, "csv" if format == records.CSV else "ucsd")
        if not count_rest(report["kind"]):
            report["records"] = interactions.records
        report.update(describe_interactions(interactions))
    return report


def describe_records(path: Path) -> dict[str, Any]:
    """Record count, bad rows, and how often each field and each accessor has a value."""
    return _describe_records(path, lambda kind: True)


_ACCESSORS = {
    "item id": records.item_id,
    "user id": records.user_id,
    "title": records.title,
    "image url": records.image_url,
    "timestamp": records.timestamp,
    "value": records.value,
    "category": records.category,
    "price": records.price,
}


def _format(path: Path) -> str:
    return records.CSV if path.name.lower().removesuffix(".gz").endswith((".csv", ".tsv")) else records.JSON


def _describe_records(path: Path, count_rest: Callable[[str], bool]) -> dict[str, Any]:
    """`describe_records` from the first SAMPLE_RECORDS records; the rest are counted (with their
    bad rows) only if `count_rest(kind)`, else "records" and "bad_rows" are the sample's."""
    bad_rows = records.BadRows()
    present: Counter[str] = Counter()
    found: Counter[str] = Counter()
    kinds: Counter[str] = Counter()
    iterator = records.iter_records(path, bad_rows=bad_rows)
    measured = 0
    for record in itertools.islice(iterator, SAMPLE_RECORDS):
        measured += 1
        present.update(key for key, value in record.items() if value not in (None, "", [], {}))
        found.update(name for name, accessor in _ACCESSORS.items() if accessor(record) not in (None, []))
        kinds[_kind(record)] += 1
    kind = kinds.most_common(1)[0][0] if kinds else "empty"
    total = measured
    if count_rest(kind):
        total += sum(1 for _ in iterator)  # keep counting (and collecting bad rows) without measuring
    iterator.close()
    return {
        "path": str(path),
        "kind": kind,
        "format": _format(path),
        "records": total,
        "bad_rows": {"count": bad_rows.count, "examples": bad_rows.examples},
        "fields": {key: count / measured for key, count in present.most_common()},
        "accessors": {name: found[name] / measured if measured else 0.0 for name in _ACCESSORS},
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
    """The original diagnostic's checks on interactions, with warnings past its thresholds.

    Everything is counted on the readers' codes of the ids (no string per row, no sort of string
    columns): distinct (user, item) pairs by polars' hashing, and distinct (user, item, timestamp)
    events among the rows whose pair repeats, the only rows where two events can be the same."""
    count = len(interactions)
    user_codes, users = interactions.user_codes, interactions.distinct_users
    item_codes, items = interactions.item_codes, interactions.distinct_items
    per_user = np.bincount(user_codes, minlength=len(users))
    per_item = np.bincount(item_codes, minlength=len(items))
    distinct_pairs, distinct_events = _distinct_pairs_and_events(
        user_codes, item_codes, len(items), interactions.timestamps
    )
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
        "event_types": _most_common(interactions.event_type_codes, interactions.distinct_event_types, 10),
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


def _distinct_pairs_and_events(
    user_codes: np.ndarray, item_codes: np.ndarray, n_items: int, timestamps: np.ndarray
) -> tuple[int, int]:
    """(distinct (user, item) pairs, distinct (user, item, timestamp) events), by polars' hashing.

    An event is one int64, (pair mod 2**bits) * span + (time - first time), with bits as large as
    that allows (span = the time range), counted within each group of pairs `pair >> bits` (a few
    groups): exact, and several times faster than counting (pair, time) rows."""
    if not len(user_codes):
        return 0, 0
    pair = user_codes.astype(np.int64) * max(1, n_items) + item_codes
    first = int(timestamps.min())
    span = int(timestamps.max()) - first + 1
    frame = polars.DataFrame({"pair": pair, "time": timestamps})
    if span.bit_length() > 61:  # (no real clock) count the rows
        return frame["pair"].n_unique(), frame.n_unique()
    unit = 1 << (62 - span.bit_length())  # unit * span < 2**62
    event = (polars.col("pair") % unit) * span + (polars.col("time") - first)
    counts = frame.group_by((polars.col("pair") // unit).alias("group")).agg(
        polars.col("pair").n_unique().alias("pairs"), event.n_unique().alias("events")
    )
    return int(counts["pairs"].sum()), int(counts["events"].sum())


def _most_common(codes: np.ndarray, distinct: np.ndarray, n: int) -> dict[str, int]:
    """`Counter(values).most_common(n)` of the values `distinct[codes]`, where `distinct` is in the
    order the values first appear: by count, ties in that order."""
    if not len(codes):
        return {}
    counts = np.bincount(codes, minlength=len(distinct))
    return {str(distinct[code]): int(counts[code]) for code in np.argsort(-counts, kind="stable")[:n]}


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
