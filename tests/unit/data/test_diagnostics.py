"""`allstore data inspect`: counts, field coverage and the original diagnostic checks."""

from __future__ import annotations

import gzip
import json

import pytest
from typer.testing import CliRunner

from allstore.cli import app
from allstore.data import diagnostics, synthetic


@pytest.fixture(scope="module")
def store_folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("store")
    synthetic.write_store(synthetic.generate_store(items=200, interactions=3_000, seed=5), folder)
    return folder


def test_reviews_file_is_diagnosed_as_interactions(store_folder):
    report = diagnostics.inspect_path(store_folder / synthetic.REVIEWS_FILE)
    assert report["kind"] == "interactions" and report["records"] == 3_000
    assert report["interactions"] == 3_000 and report["users"] == 150
    assert report["fields"]["reviewerID"] == 1.0 and report["accessors"]["timestamp"] == 1.0
    assert report["per_user"]["min"] >= synthetic.MIN_EVENTS_PER_USER
    assert 0 < report["top_10pct_items_share"] < 1 and 0 < report["gini_items"] < 1
    assert report["time_range"][0].startswith("2023-") and report["time_span_days"] > 300
    assert report["event_values"]["min"] >= 1 and report["event_values"]["max"] <= 5
    assert report["warnings"] == []


def test_products_and_users_files_get_field_coverage_only(store_folder):
    products = diagnostics.inspect_path(store_folder / synthetic.PRODUCTS_FILE)
    assert products["kind"] == "items" and "interactions" not in products
    assert products["accessors"]["title"] == 1.0 and products["accessors"]["category"] == 1.0
    users = diagnostics.inspect_path(store_folder / synthetic.USERS_FILE)
    assert users["kind"] == "users" and users["records"] == synthetic.DEMO_USERS


def test_duplicates_repeats_bad_rows_and_minimums_are_reported(tmp_path):
    path = tmp_path / "events.csv.gz"
    rows = ["USER_ID,ITEM_ID,TIMESTAMP", "u1,i1,10", "u1,i1,10", "u1,i1,20", "u2,i2,30", "u2,,40", "broken"]
    path.write_bytes(gzip.compress("\n".join(rows).encode()))
    report = diagnostics.inspect_path(path)
    assert report["interactions"] == 4 and report["users"] == 2 and report["items"] == 2
    assert report["duplicate_rate"] == pytest.approx(1 / 4)
    assert report["repeat_rate"] == pytest.approx(2 / 4)
    assert report["bad_rows"]["count"] == 2
    warnings = " | ".join(report["warnings"])
    assert "high duplication rate (25.0%)" in warnings
    assert "fewer than 1,000 interactions" in warnings and "2 bad rows skipped" in warnings


def test_p5_folder_without_time(tmp_path):
    (tmp_path / "sequential_data.txt").write_text("1 1 2 3\n2 2 3\n", encoding="utf-8")
    (tmp_path / "datamaps.json").write_text(
        json.dumps({"id2user": {"1": "A", "2": "B"}, "id2item": {"1": "x", "2": "y", "3": "z"}}),
        encoding="utf-8",
    )
    report = diagnostics.inspect_path(tmp_path)
    assert report["format"] == "p5" and report["interactions"] == 5 and report["items"] == 3
    assert "time_range" not in report and any("no timestamps" in w for w in report["warnings"])


def test_missing_path_and_plain_folder_are_refused(tmp_path):
    with pytest.raises(FileNotFoundError):
        diagnostics.inspect_path(tmp_path / "nope.csv")
    with pytest.raises(IsADirectoryError):
        diagnostics.inspect_path(tmp_path)


def test_cli_inspect_prints_tables_and_json(store_folder):
    runner = CliRunner()
    result = runner.invoke(app, ["data", "inspect", str(store_folder / synthetic.INTERACTIONS_FILE)])
    assert result.exit_code == 0, result.output
    assert "Interactions" in result.output and "3,000" in result.output and "repeat rate" in result.output
    result = runner.invoke(app, ["data", "inspect", "--json", str(store_folder / synthetic.REVIEWS_FILE)])
    assert result.exit_code == 0 and json.loads(result.output)["interactions"] == 3_000
    result = runner.invoke(app, ["data", "inspect", str(store_folder / "missing.csv")])
    assert result.exit_code == 1 and "does not exist" in result.output
