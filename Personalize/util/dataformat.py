"""Workshop data as pandas tables, read through the project's data layer (`allstore_common.records`).

Every field is read with the layer's accessors, so the notebooks understand the same files the
store loads — UCSD 2014/2018 reviews and metadata, Personalize CSV exports, the synthetic store —
gzipped or not, from a path or straight from S3.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable
from typing import IO, Any

import pandas as pd
from allstore_common import records

INTERACTION_COLUMNS = ["USER_ID", "ITEM_ID", "TIMESTAMP", "EVENT_TYPE", "EVENT_VALUE"]
ITEM_COLUMNS = ["ITEM_ID", "TITLE", "GENRE", "CATEGORY", "BRAND", "PRICE", "IMAGE_URL"]
DEFAULT_EVENT_TYPE = "rating"  # what a review is, when the file does not say


def staging_keys(s3: Any, bucket: str, prefix: str) -> list[str]:
    """Keys of the non-empty objects under `prefix` (the stack copies each source there)."""
    keys = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        keys.extend(item["Key"] for item in page.get("Contents", []) if item["Size"] > 0)
    if not keys:
        raise FileNotFoundError(f"s3://{bucket}/{prefix} is empty: was the stack's data copied?")
    return keys


def open_source(source: str | IO[bytes], s3: Any = None) -> tuple[IO[bytes], str | None]:
    """A binary stream and its name for a path, an `s3://bucket/key` URL (needs `s3`) or a stream."""
    if not isinstance(source, str):
        return source, getattr(source, "name", None)
    if source.startswith("s3://"):
        if s3 is None:
            raise ValueError(f"reading {source} needs an S3 client: pass s3=boto3.client('s3')")
        bucket, _, key = source.removeprefix("s3://").partition("/")
        return s3.get_object(Bucket=bucket, Key=key)["Body"], key
    return open(source, "rb"), source


def _valid_records(source: str | IO[bytes], s3: Any, problem: Callable[[dict[str, Any]], str | None]):
    """The records for which `problem(record)` is None; the others are bad rows, summarised at the end."""
    bad_rows = records.BadRows()
    stream, name = open_source(source, s3)
    try:
        for line, record in records.iter_numbered_records(stream, name=name, bad_rows=bad_rows):
            reason = problem(record)
            if reason is None:
                yield record
            else:
                bad_rows.add(line, reason)
    finally:
        stream.close()
    if bad_rows:
        print(bad_rows.summary())


def _interaction_problem(record: dict[str, Any]) -> str | None:
    if None in (records.user_id(record), records.item_id(record), records.timestamp(record)):
        return "no user, item or time"
    return None


def read_interactions(source: str | IO[bytes], s3: Any = None) -> pd.DataFrame:
    """Interactions as USER_ID, ITEM_ID, TIMESTAMP (unix seconds), EVENT_TYPE, EVENT_VALUE, oldest first.

    Rows without a user, an item or a time are skipped and reported, as Personalize would reject them.
    """
    rows = [
        (
            records.user_id(record),
            records.item_id(record),
            records.timestamp(record),
            records.event_type(record) or DEFAULT_EVENT_TYPE,
            records.value(record),
        )
        for record in _valid_records(source, s3, _interaction_problem)
    ]
    frame = pd.DataFrame(rows, columns=INTERACTION_COLUMNS)
    frame["TIMESTAMP"] = frame["TIMESTAMP"].astype("int64")
    frame["EVENT_VALUE"] = frame["EVENT_VALUE"].astype("float64")
    return frame.sort_values("TIMESTAMP", kind="stable", ignore_index=True)


def read_items(source: str | IO[bytes], s3: Any = None) -> pd.DataFrame:
    """Product metadata as ITEM_ID, TITLE, GENRE (category path joined by `|`), CATEGORY (its
    leaf), BRAND, PRICE, IMAGE_URL; later rows for the same id win."""
    rows = [
        (
            records.item_id(record),
            records.title(record),
            "|".join(records.category_path(record)) or None,
            records.category(record),
            records.brand(record),
            records.price(record),
            records.image_url(record),
        )
        for record in _valid_records(
            source, s3, lambda record: None if records.item_id(record) else "no item id"
        )
    ]
    frame = pd.DataFrame(rows, columns=ITEM_COLUMNS)
    return frame.drop_duplicates("ITEM_ID", keep="last", ignore_index=True)


def read_users(source: str | IO[bytes], s3: Any = None) -> pd.DataFrame:
    """Users as USER_ID plus whatever other fields the file has (e.g. the demo users' names)."""
    valid = _valid_records(source, s3, lambda record: None if records.user_id(record) else "no user id")
    return pd.DataFrame([{"USER_ID": records.user_id(record), **record} for record in valid])


def demo_users(s3: Any, bucket: str) -> pd.Series:
    """The store's demo users (its log-in list), as the stack's set-up copied them to `raw/users/`."""
    key = staging_keys(s3, bucket, "raw/users/")[0]
    return read_users(f"s3://{bucket}/{key}", s3=s3).USER_ID


def sample_users(
    interactions: pd.DataFrame, max_interactions: int, seed: int = 42, keep: Iterable[str] = ()
) -> pd.DataFrame:
    """Whole histories of the `keep` users (the store's demo users: a participant logs in as one and
    must see personalised results) plus randomly chosen users, as many as fit in `max_interactions`
    rows.

    Sampling users rather than rows keeps each kept user's sequence intact, which the sequence-aware
    recipes learn from.
    """
    if len(interactions) <= max_interactions:
        return interactions
    counts = interactions["USER_ID"].value_counts()
    kept = counts.index.intersection(pd.Index(list(keep)))
    others = counts.drop(kept).sample(frac=1.0, random_state=seed)
    room = max_interactions - int(counts[kept].sum())
    chosen = kept.append(others.index[others.cumsum() <= room])
    return interactions[interactions["USER_ID"].isin(chosen)].reset_index(drop=True)


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """A CSV file with a header row, as Personalize imports it (empty cells for missing values)."""
    buffer = io.StringIO()
    frame.to_csv(buffer, index=False)
    return buffer.getvalue().encode("utf-8")
