"""`--data SPEC` resolves to the files the store loads: synthetic sizes, real-data folders, fetched names."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from allstore.local import data_source, personalize_bootstrap


def test_synthetic_sizes() -> None:
    assert data_source.synthetic_size("small") == (500, 20_000)
    assert data_source.synthetic_size("synthetic") == data_source.synthetic_size("default")
    assert data_source.synthetic_size("300") == (300, 12_000)
    assert data_source.synthetic_size("0") is None
    assert data_source.synthetic_size("some/folder") is None


def test_a_ucsd_folder_is_used_as_is_with_reviews_converted_to_a_personalize_csv(tmp_path: Path) -> None:
    source = tmp_path / "giftcards"
    source.mkdir()
    with gzip.open(source / "meta_Gift_Cards.json.gz", "wt") as meta:
        meta.write(json.dumps({"asin": "B1", "title": "Card"}) + "\n")
    with gzip.open(source / "Gift_Cards_5.json.gz", "wt") as reviews:
        for user, item, time in (("U1", "B1", 1500000000), ("U2", "B1", 1500000100)):
            reviews.write(
                json.dumps({"reviewerID": user, "asin": item, "unixReviewTime": time, "overall": 5.0}) + "\n"
            )
    (source / "images").mkdir()

    data = data_source.prepare(str(source), tmp_path / "state")

    assert data.products == source / "meta_Gift_Cards.json.gz"
    assert data.users is None and data.images == source / "images"
    assert data.reviews == source / "Gift_Cards_5.json.gz"  # their words go to ReviewSource
    lines = data.interactions.read_text().splitlines()
    assert lines[0] == "USER_ID,ITEM_ID,TIMESTAMP,EVENT_TYPE,EVENT_VALUE"
    assert lines[1:] == ["U1,B1,1500000000,rating,5.0", "U2,B1,1500000100,rating,5.0"]


def test_a_csv_with_the_import_header_needs_no_conversion(tmp_path: Path) -> None:
    (tmp_path / "items_w_Metadata.csv").write_text("ITEM_ID,TITLE\nB1,Card\n")
    (tmp_path / "Sports_Interactions-CSV.csv").write_text(
        "USER_ID,ITEM_ID,TIMESTAMP,EVENT_TYPE,EVENT_VALUE\nU1,B1,1,click,\n"
    )
    (tmp_path / "users_Sports.json").write_text('{"id": "U1"}\n')
    data = data_source.prepare(str(tmp_path), tmp_path / "state")
    assert data.interactions == tmp_path / "Sports_Interactions-CSV.csv"
    assert data.users == tmp_path / "users_Sports.json" and data.images is None and data.reviews is None


def test_a_csv_in_another_column_order_is_converted_to_the_import_header(tmp_path: Path) -> None:
    """The import refuses a header that is not the schema's fields in order, as the service does."""
    (tmp_path / "items.csv").write_text("ITEM_ID,TITLE\nB1,Card\n")
    (tmp_path / "interactions.csv").write_text("ITEM_ID,USER_ID,TIMESTAMP\nB1,U1,1500000000\n")
    data = data_source.prepare(str(tmp_path), tmp_path / "state")
    assert data.interactions == tmp_path / "state" / "data" / "interactions.csv"
    assert data.interactions.read_text().splitlines() == [
        "USER_ID,ITEM_ID,TIMESTAMP,EVENT_TYPE,EVENT_VALUE",
        "U1,B1,1500000000,rating,",
    ]


def test_the_import_header_is_the_bootstrap_schema() -> None:
    fields = [field["name"] for field in personalize_bootstrap.INTERACTIONS_SCHEMA["fields"]]
    assert ",".join(fields) == data_source.IMPORT_HEADER


def test_unusable_specs_say_what_is_expected(tmp_path: Path) -> None:
    with pytest.raises(data_source.DataError, match="neither a synthetic size"):
        data_source.prepare("no-such-dataset", tmp_path)
    (tmp_path / "empty").mkdir()
    with pytest.raises(data_source.DataError, match="product catalogue"):
        data_source.prepare(str(tmp_path / "empty"), tmp_path)
