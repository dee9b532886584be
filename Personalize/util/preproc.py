"""Turning raw review data into what the store and Amazon Personalize load.

The UCSD Preprocessing notebook uses these to build a store from any UCSD category: a k-core of
the reviews as Personalize interactions, the products the store shows, and the Items dataset the
metadata-aware recipes train on.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pandas as pd

ITEMS_SCHEMA_FIELDS = ("ITEM_ID", "CATEGORY_L1", "CATEGORY_L2", "BRAND", "PRICE")
UNKNOWN = "unknown"  # Personalize categorical fields may not be empty


def k_core(interactions: pd.DataFrame, k: int = 5) -> pd.DataFrame:
    """Only users and items with at least `k` interactions each, repeated until both hold.

    Dropping rare items can push a user below `k` and the other way round, so one pass is not enough.
    """
    frame = interactions
    while True:
        user_counts = frame["USER_ID"].map(frame["USER_ID"].value_counts())
        item_counts = frame["ITEM_ID"].map(frame["ITEM_ID"].value_counts())
        keep = (user_counts >= k) & (item_counts >= k)
        if keep.all():
            return frame.reset_index(drop=True)
        frame = frame[keep]


def displayable_items(items: pd.DataFrame) -> pd.DataFrame:
    """Products the store can show: with a title and an image."""
    return items.dropna(subset=["TITLE", "IMAGE_URL"]).reset_index(drop=True)


def items_dataset(
    items: pd.DataFrame, interactions: pd.DataFrame, catalogue: bool = False, arrived: int | None = None
) -> pd.DataFrame:
    """The Personalize Items dataset (ITEMS_SCHEMA_FIELDS) for the items that have interactions or,
    with `catalogue`, for every item plus its CREATION_TIMESTAMP.

    The genre path becomes two categorical levels (department and leaf) so the recipes can share
    what they learn across an aisle; missing brands and categories become "unknown". With the whole
    catalogue, items nobody interacted with are cold items User-Personalization can explore; an item's
    creation time is its first interaction, and a cold item is new: created at `arrived` (e.g. now),
    else at the newest interaction. Exploration counts an item's age back from the newest interaction
    the model knows, events sent with PutEvents included, so cold items must not look older than those.
    """
    seen = items if catalogue else items[items["ITEM_ID"].isin(interactions["ITEM_ID"].unique())]
    paths = seen["GENRE"].fillna("").str.split("|")
    department, leaf = paths.str[0], paths.str[-1]
    frame = pd.DataFrame(
        {
            "ITEM_ID": seen["ITEM_ID"],
            "CATEGORY_L1": department.where(department != "", UNKNOWN),
            "CATEGORY_L2": leaf.where(leaf != "", UNKNOWN),
            "BRAND": seen["BRAND"].fillna(UNKNOWN),
            "PRICE": seen["PRICE"],
        }
    ).reset_index(drop=True)
    if catalogue:
        first = interactions.groupby("ITEM_ID")["TIMESTAMP"].min()
        newest = interactions["TIMESTAMP"].max() if arrived is None else arrived
        created = frame["ITEM_ID"].map(first).fillna(newest)
        frame["CREATION_TIMESTAMP"] = created.astype("int64")
    return frame


def write_store_products(items: pd.DataFrame, path: str | Path) -> int:
    """Write the products as gzipped JSON lines the store's set-up loads (asin, title, imUrl, genre,
    brand, price); returns how many were written."""
    count = 0
    with gzip.open(path, "wt", encoding="utf-8") as out:
        for row in displayable_items(items).itertuples(index=False):
            product = {"asin": row.ITEM_ID, "title": row.TITLE, "imUrl": row.IMAGE_URL}
            if row.GENRE:
                product["category"] = row.GENRE.split("|")
            if isinstance(row.BRAND, str):
                product["brand"] = row.BRAND
            if pd.notna(row.PRICE):
                product["price"] = f"${row.PRICE:.2f}"
            out.write(json.dumps(product) + "\n")
            count += 1
    return count
