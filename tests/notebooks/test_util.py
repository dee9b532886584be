"""The workshop's util package on its own: the parts whose mistakes the notebooks would not show."""

from __future__ import annotations

import gzip
import json
import warnings

import numpy as np
import pandas as pd
import pytest
from util import dataformat, diagnostic, preproc, progress  # Personalize/ is on sys.path: see conftest


def test_loglog_fit_recovers_a_power_law_whatever_the_order() -> None:
    values = 1000.0 * np.arange(1, 201) ** -1.2
    np.random.default_rng(0).shuffle(values)  # the original fitted values in the order given
    slope, intercept, rmse = diagnostic.loglog_fit(pd.Series(values))
    assert slope == pytest.approx(-1.2, abs=1e-9)
    assert 10**intercept == pytest.approx(1000.0)
    assert rmse == pytest.approx(0.0, abs=1e-9)  # the original reported the coefficients' RMS here


def test_loglog_fit_error_is_the_residual_rmse() -> None:
    log_rank = np.log10(np.arange(1, 101))
    log_value = 3 - 0.8 * log_rank - 0.3 * log_rank**2  # decreasing, and not a straight line
    slope, intercept, rmse = diagnostic.loglog_fit(10**log_value)
    residuals = log_value - (intercept + slope * log_rank)
    assert rmse == pytest.approx(np.sqrt(np.mean(residuals**2)))
    assert 0.01 < rmse < 1


def test_diagnose_reports_rates_and_warns_on_duplicates(capsys) -> None:
    rows = [("u1", "i1", 1_700_000_000)] * 5 + [
        (f"u{n}", f"i{n % 7}", 1_700_000_000 + n * 3600) for n in range(60)
    ]
    frame = pd.DataFrame(rows, columns=["USER_ID", "ITEM_ID", "TIMESTAMP"])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        rates = diagnostic.diagnose(frame)
    assert rates["duplicate_rate"] == pytest.approx(4 / 65)
    assert rates["missing_rate"] == 0
    assert "ITEMS TABLE NOT FOUND" in capsys.readouterr().out
    assert not [w for w in caught if "duplication" in str(w.message)]  # 6% is under the 10% threshold


def test_read_interactions_skips_and_reports_rows_without_a_time(tmp_path, capsys) -> None:
    path = tmp_path / "reviews.json.gz"
    with gzip.open(path, "wt") as out:
        out.write(
            json.dumps({"reviewerID": "A1", "asin": "B1", "unixReviewTime": 1_600_000_000, "overall": 5})
            + "\n"
        )
        out.write(json.dumps({"reviewerID": "A2", "asin": "B2"}) + "\n")
        out.write(json.dumps({"reviewerID": "A1", "asin": "B3", "reviewTime": "06 17, 2018"}) + "\n")
    frame = dataformat.read_interactions(str(path))
    assert frame.to_dict("list") == {
        "USER_ID": ["A1", "A1"],
        "ITEM_ID": ["B3", "B1"],  # oldest first
        "TIMESTAMP": [1_529_193_600, 1_600_000_000],
        "EVENT_TYPE": ["rating", "rating"],
        "EVENT_VALUE": [pytest.approx(float("nan"), nan_ok=True), 5.0],
    }
    assert "1 bad row (line 2: no user, item or time)" in capsys.readouterr().out


def test_sample_users_keeps_whole_histories() -> None:
    frame = pd.DataFrame(
        {"USER_ID": [f"u{n % 10}" for n in range(100)], "ITEM_ID": "i", "TIMESTAMP": range(100)}
    )
    sample = dataformat.sample_users(frame, 35)
    assert len(sample) == 30  # three users of ten interactions each fit
    assert sample.USER_ID.value_counts().eq(10).all()


def test_k_core_repeats_until_stable() -> None:
    # i3 has 2 interactions; dropping it leaves u2 with 1, which must go too at k=2
    frame = pd.DataFrame(
        {
            "USER_ID": ["u1", "u1", "u2", "u2", "u3", "u3", "u4"],
            "ITEM_ID": ["i1", "i2", "i1", "i3", "i2", "i1", "i3"],
        }
    )
    core = preproc.k_core(frame, 2)
    assert sorted(zip(core.USER_ID, core.ITEM_ID, strict=True)) == [
        ("u1", "i1"),
        ("u1", "i2"),
        ("u3", "i1"),
        ("u3", "i2"),
    ]


def test_items_dataset_has_no_empty_categoricals() -> None:
    items = pd.DataFrame(
        {
            "ITEM_ID": ["a", "b", "c"],
            "GENRE": ["Sports|Camping|Tents", None, "Toys"],
            "BRAND": ["Cedarcrest", None, "Kite"],
            "PRICE": [10.0, None, 3.5],
        }
    )
    dataset = preproc.items_dataset(items, pd.DataFrame({"ITEM_ID": ["a", "b"]}))
    assert dataset.to_dict("records")[0] == {
        "ITEM_ID": "a",
        "CATEGORY_L1": "Sports",
        "CATEGORY_L2": "Tents",
        "BRAND": "Cedarcrest",
        "PRICE": 10.0,
    }
    second = dataset.to_dict("records")[1]
    assert (second["CATEGORY_L1"], second["CATEGORY_L2"], second["BRAND"]) == ("unknown",) * 3


def test_sample_users_always_keeps_the_demo_users() -> None:
    interactions = pd.DataFrame(
        {"USER_ID": [f"u{n % 50}" for n in range(1000)], "ITEM_ID": [f"i{n % 7}" for n in range(1000)]}
    )
    demo = ["u3", "u17", "not-a-shopper"]
    for seed in range(5):
        sample = dataformat.sample_users(interactions, 200, seed=seed, keep=demo)
        assert {"u3", "u17"} <= set(sample.USER_ID)
        assert len(sample) <= 200 and sample.USER_ID.nunique() == 10  # whole histories of 20 rows


def test_a_wait_says_what_to_expect_first(capsys) -> None:
    states = iter([{"status": "CREATE IN_PROGRESS"}, {"status": "ACTIVE"}])
    progress.wait_until_active(lambda: next(states), "training", expected="30-60 min on AWS")
    assert capsys.readouterr().out.startswith("training: expected 30-60 min on AWS\n")


def test_the_whole_catalogue_as_items_with_cold_items_new() -> None:
    items = pd.DataFrame(
        {
            "ITEM_ID": ["a", "b", "cold"],
            "GENRE": ["Sports|Balls", None, "Sports|Nets"],
            "BRAND": ["X", None, "Y"],
            "PRICE": [1.0, None, 3.0],
        }
    )
    interactions = pd.DataFrame({"ITEM_ID": ["a", "a", "b"], "TIMESTAMP": [50, 20, 90]})
    dataset = preproc.items_dataset(items, interactions, catalogue=True)
    assert list(dataset.ITEM_ID) == ["a", "b", "cold"]
    assert list(dataset.CREATION_TIMESTAMP) == [20, 90, 90]  # first interaction; a cold item is new
    assert list(preproc.items_dataset(items, interactions).ITEM_ID) == ["a", "b"]
    arrived = preproc.items_dataset(items, interactions, catalogue=True, arrived=1000)
    assert list(arrived.CREATION_TIMESTAMP) == [20, 90, 1000]


def test_recommendations_shown_as_cards_in_order() -> None:
    from util import show

    catalogue = pd.DataFrame(
        {"TITLE": ["Ball <red>", "Net"], "IMAGE_URL": ["https://img/ball.jpg", None]},
        index=pd.Index(["b1", "n1"], name="ITEM_ID"),
    )
    page = show.grid_html(catalogue, [{"itemId": "n1", "score": 0.25}, {"itemId": "b1"}, "unknown"])
    assert page.index("Net") < page.index("Ball &lt;red&gt;") < page.index("unknown")
    assert page.count("<img") == 1 and 'src="https://img/ball.jpg"' in page and "score 0.2500" in page
    both = show.side_by_side(catalogue, before=["b1"], after=["n1"]).data
    assert both.index("before") < both.index("Ball") < both.index("after") < both.index("Net")
