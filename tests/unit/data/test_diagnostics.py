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


def _review_count(store_folder) -> int:
    """One review per shopper and product they interacted with."""
    rows = (store_folder / synthetic.INTERACTIONS_FILE).read_text().splitlines()[1:]
    return len({tuple(row.split(",")[:2]) for row in rows})


def test_reviews_file_is_diagnosed_as_interactions(store_folder):
    report = diagnostics.inspect_path(store_folder / synthetic.REVIEWS_FILE)
    reviews = _review_count(store_folder)
    assert 1_000 < reviews < 3_000
    assert report["kind"] == "interactions" and report["records"] == reviews
    assert report["interactions"] == reviews and report["users"] == 150
    assert report["fields"]["reviewerID"] == 1.0 and report["accessors"]["timestamp"] == 1.0
    assert report["per_user"]["min"] >= 1  # a shopper who bought one product three times reviewed it once
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
    assert result.exit_code == 0 and json.loads(result.output)["interactions"] == _review_count(store_folder)
    result = runner.invoke(app, ["data", "inspect", str(store_folder / "missing.csv")])
    assert result.exit_code == 1 and "does not exist" in result.output


def _damaged(lines: list[str], bad: dict[int, str]) -> list[str]:
    """`lines` with line k (1-based, the header is line 1) replaced by bad[k]."""
    return [bad.get(number, line) for number, line in enumerate(lines, start=1)]


CSV_DAMAGE = {
    7: "",  # a blank line: neither a record nor a bad row
    30: "u-short,i-short",  # the wrong width: a bad row
    61: ",,,,",  # the header's width, every cell empty: a record without a user id
    95: "u-no-item,,1600000000,click,1",
    130: "u-date,i-date,2020-06-17,click,1",  # a date: converted
    170: "u-when,i-when,not a time,click,1",  # no timestamp
    200: " ",  # whitespace only: skipped
    240: '"u quoted",i-quoted,1600000001,click,2.5',
    260: "u-extra,i-extra,1,click,1,surplus",
}
JSON_DAMAGE = {
    5: "not a review",
    40: "",
    77: "{'reviewerID': 'P', 'asin': 'Q', 'unixReviewTime': 1400000000}",  # UCSD 2014 literal
    120: json.dumps({"reviewerID": "R", "asin": "S", "reviewTime": "06 14, 2018"}),
    150: json.dumps({"asin": "T", "unixReviewTime": 5}),  # no user id
    190: "[1, 2]",
    230: json.dumps({"reviewerID": "V", "asin": "W", "unixReviewTime": "not a time"}),
}


@pytest.mark.parametrize(
    ("name", "damage", "gzipped", "expected_records"),
    [
        (synthetic.INTERACTIONS_FILE, CSV_DAMAGE, False, 295),  # 299 rows: 4 neither blank nor records
        ("interactions.csv.gz", CSV_DAMAGE, True, 295),
        (synthetic.REVIEWS_FILE, JSON_DAMAGE, True, 297),  # 300 lines: 2 bad, 1 blank
        ("reviews.jsonl", JSON_DAMAGE, False, 297),
    ],
)
def test_inspect_counts_interactions_from_the_bulk_read_as_the_record_parser_does(
    store_folder, tmp_path, monkeypatch, name, damage, gzipped, expected_records
):
    """An interactions file bigger than the coverage sample: the record count, bad rows and their
    line numbers, and every diagnostic are the record path's (the record parser over the whole file,
    and the interactions read by it), while the record parser reads only the sample."""
    from allstore.data import interactions

    csv = ".csv" in name
    source = store_folder / (synthetic.INTERACTIONS_FILE if csv else synthetic.REVIEWS_FILE)
    raw = source.read_bytes()
    text = (gzip.decompress(raw) if raw[:2] == b"\x1f\x8b" else raw).decode()
    lines = _damaged(text.splitlines()[:300], damage)
    path = tmp_path / name
    content = ("\ufeff" + "\n".join(lines) + "\n").encode()
    path.write_bytes(gzip.compress(content) if gzipped else content)
    monkeypatch.setattr(diagnostics, "SAMPLE_RECORDS", 50)
    monkeypatch.setattr(interactions, "JSON_BLOCK_BYTES", 2_000)  # about 15 lines a block: most via msgspec

    parsed = []
    iter_records = diagnostics.records.iter_records

    def counted(*args, **kwargs):
        for record in iter_records(*args, **kwargs):
            parsed.append(1)
            yield record

    monkeypatch.setattr(diagnostics.records, "iter_records", counted)
    fast = diagnostics.inspect_path(path)
    assert len(parsed) <= 51  # the sample, not the file

    def refuse_csv(*args, **kwargs):
        raise interactions.pa.ArrowInvalid("refused")

    def refuse_json(*args, **kwargs):
        return None  # as for a block msgspec refuses: the record parser reads it

    monkeypatch.setattr(interactions, "_arrow_csv_cells", refuse_csv)
    monkeypatch.setattr(interactions, "_decoded_block", refuse_json)
    by_records = interactions.read_interactions(path, "csv" if csv else "ucsd")
    record_path = {**diagnostics.describe_records(path), **diagnostics.describe_interactions(by_records)}
    assert len(parsed) > 290  # describe_records parsed every record
    assert json.dumps(fast) == json.dumps(record_path)  # the same keys in the same order, the same values
    assert fast["records"] == expected_records and fast["coverage_sample"] == 50
    assert fast["interactions"] == expected_records - (3 if csv else 2)  # no user, item or timestamp
    assert sorted(line for line, _ in fast["bad_rows"]["examples"]) == (
        [30, 61, 95, 170, 260] if csv else [5, 150, 190, 230]
    )


def test_describe_interactions_counts_as_plain_python_does():
    """Users, items, their spreads, duplicate and repeat rates and event types (ties in the order
    they first appear, as Counter.most_common) on codes, checked against sets and Counters."""
    from collections import Counter

    import numpy as np

    from allstore.data.interactions import Interactions

    rng = np.random.default_rng(3)
    count = 5_000
    users = np.array([f"u{k}" for k in rng.integers(0, 300, count)])
    items = np.array([f"i{k}" for k in rng.zipf(1.5, count) % 400])
    times = rng.integers(0, 50, count).astype(np.int64)
    types = np.array(["view", "click", "cart", "buy", "x"])[rng.integers(0, 5, count)]
    types[:12] = ["t" + str(k) for k in range(12)]  # twelve types seen once: ties beyond the top 10
    got = diagnostics.describe_interactions(
        Interactions.from_strings(users, items, times, types, np.full(count, np.nan, np.float32), "csv", True)
    )
    per_user, per_item = Counter(users.tolist()), Counter(items.tolist())
    assert got["users"] == len(per_user) and got["items"] == len(per_item)
    assert got["per_user"] == diagnostics._spread(np.array(sorted(per_user.values())))
    assert got["per_item"] == diagnostics._spread(np.array(list(per_item.values())))
    assert got["gini_items"] == diagnostics._gini(np.array(list(per_item.values())))
    pairs = set(zip(users.tolist(), items.tolist(), strict=True))
    events = set(zip(users.tolist(), items.tolist(), times.tolist(), strict=True))
    assert got["repeat_rate"] == (count - len(pairs)) / count
    assert got["duplicate_rate"] == (count - len(events)) / count
    assert list(got["event_types"].items()) == Counter(types.tolist()).most_common(10)
    assert got["density"] == count / (len(per_user) * len(per_item))


@pytest.mark.parametrize(
    "scale",
    [1, 2**44, 2**61],  # one group of pairs; several (a wide time range); too wide: rows counted
)
def test_duplicate_and_repeat_rates_are_exact_whatever_the_time_range(scale):
    import numpy as np

    from allstore.data.interactions import Interactions

    rng = np.random.default_rng(5)
    count = 20_000
    users = np.array([f"u{k}" for k in rng.integers(0, 3_000, count)])
    items = np.array([f"i{k}" for k in rng.integers(0, 2_000, count)])
    users[-500:], items[-500:] = users[:500], items[:500]  # repeated pairs, half at the same time
    times = rng.integers(0, 4, count).astype(np.int64) * scale - (scale // 2) * 2
    times[-250:] = times[:250]
    got = diagnostics.describe_interactions(
        Interactions.from_strings(users, items, times, users, np.full(count, np.nan, np.float32), "csv", True)
    )
    pairs = set(zip(users.tolist(), items.tolist(), strict=True))
    events = set(zip(users.tolist(), items.tolist(), times.tolist(), strict=True))
    assert len(events) < len(pairs) + 500 and len(pairs) < count  # both rates are above zero
    assert got["repeat_rate"] == (count - len(pairs)) / count
    assert got["duplicate_rate"] == (count - len(events)) / count
