"""The temporal protocol (issue 24 §4: `--protocol temporal --cutoff`, a validation split before the
cut-off, cold users and cold items apart) and metrics at several K (`--k`), on hand-computed cases."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from types import MappingProxyType

import numpy as np
import pytest
import typer
from typer.testing import CliRunner

from allstore.personalize.commands import evaluate
from allstore.personalize.evaluation import (
    Ranked,
    evaluate_per_user,
    ranked_metrics,
    split_metrics,
    validation_split,
)
from allstore.personalize.evaluation_protocols import parse_cutoff
from allstore.personalize.evaluation_splits import cutoff_seconds, temporal_split
from allstore.personalize.recipes import TrainingData, get_recipe

app = typer.Typer()
app.command()(evaluate)

DAY = 86_400
JAN_1 = 1_388_534_400  # 2014-01-01T00:00:00Z


def small_store() -> TrainingData:
    """a: x, y before 2014 and z, x after; b: y before only; c: (cold) w after only; w and v are
    first seen after the cut-off (cold items); z was seen before (by b)."""
    rows = [
        ("a", "x", JAN_1 - 3 * DAY),
        ("a", "y", JAN_1 - 2 * DAY),
        ("b", "y", JAN_1 - 2 * DAY),
        ("b", "z", JAN_1 - DAY),
        ("a", "z", JAN_1 + DAY),
        ("a", "x", JAN_1 + 2 * DAY),
        ("a", "v", JAN_1 + 2 * DAY),
        ("c", "w", JAN_1 + 3 * DAY),
    ]
    users, items, timestamps = zip(*rows, strict=True)
    return TrainingData.from_columns(users, items, timestamps)


def ids(data: TrainingData, codes) -> list[str]:
    return sorted(data.items[np.asarray(codes, dtype=np.int64)].tolist())


def test_cutoffs_parse_as_fractions_or_utc_dates():
    assert parse_cutoff("0.8") == 0.8
    assert parse_cutoff("2014-01-01") == JAN_1
    assert parse_cutoff("2014-01-01T01:00:00+01:00") == JAN_1
    for bad, message in (("1.5", "between 0 and 1"), ("0", "between 0 and 1"), ("yesterday", "ISO date")):
        with pytest.raises(ValueError, match=message):
            parse_cutoff(bad)


def test_the_temporal_split_trains_on_the_past_and_tests_what_users_did_next():
    data = small_store()
    split = temporal_split(data, JAN_1)
    assert split.cutoff == JAN_1
    assert (data.timestamps[split.train_rows] < JAN_1).all() and len(split.train_rows) == 4
    tested = dict(zip(data.users[split.users].tolist(), range(len(split.users)), strict=True))
    assert set(tested) == {"a", "c"}  # b did nothing after the cut-off
    a, c = tested["a"], tested["c"]
    assert ids(data, split.inputs[a]) == ["x", "y"]
    assert ids(data, split.relevant[a]) == ["v", "z"]  # x again is not new to a
    assert len(split.inputs[c]) == 0 and ids(data, split.relevant[c]) == ["w"]  # a cold user


def test_a_fractional_cutoff_is_the_timestamp_where_that_share_of_interactions_ends():
    data = small_store()
    assert cutoff_seconds(data, 0.5) == JAN_1 + DAY  # 4 of 8 interactions train
    assert cutoff_seconds(data, JAN_1) == JAN_1
    with pytest.raises(ValueError, match="before and after"):
        temporal_split(data, JAN_1 + 10 * DAY)


def test_the_validation_split_cuts_the_training_part_at_the_same_fraction(store_data):
    test = temporal_split(store_data, 0.8)
    training, split = validation_split(store_data, "temporal", test)
    assert (training.timestamps < test.cutoff).all()
    assert split.cutoff < test.cutoff
    share = (training.timestamps < split.cutoff).mean()
    assert share == pytest.approx(0.8, abs=0.01)
    test_rows = np.setdiff1d(np.arange(len(store_data.timestamps)), test.train_rows)
    assert not set(store_data.timestamps[test_rows].tolist()) & set(training.timestamps.tolist())


class Oracle:
    """Knows what each user does after the cut-off: scores those items as given, everything else 0."""

    name = "oracle"
    recipe_type = "USER_PERSONALIZATION"
    default_hyperparameters: Mapping[str, str] = MappingProxyType({})

    def __init__(self, future: dict[tuple[str, ...], dict[str, float]]) -> None:
        self.future = future

    def fit(self, data, hyperparameters):
        self.items = data.items
        return self

    def score_history(self, history, timestamps=None):
        wanted = self.future.get(tuple(history), {})
        return np.array([wanted.get(item, 0.0) for item in self.items.tolist()], dtype=np.float32)

    def score_item(self, item_id):
        return None


def test_cold_users_and_cold_items_are_reported_apart():
    data = small_store()
    oracle = Oracle({("x", "y"): {"z": 2.0, "v": 1.0}})  # knows a's future; nothing for the cold user c
    run = evaluate_per_user(oracle, data, {}, "temporal", cutoff=JAN_1, ks=(1, 2))
    assert data.users[run.per_user.users].tolist() == ["a"]  # the metrics are over warm users
    assert run.metrics["normalized_discounted_cumulative_gain_at_2"] == 1.0
    assert run.metrics["precision_at_1"] == 1.0
    slices = run.slices
    assert slices["cutoff"] == JAN_1
    # c scores everything 0: w ties with the 4 other items (x, y, z, v), expected rank 3.
    assert slices["cold_users"]["users"] == 1
    assert slices["cold_users"]["mean_reciprocal_rank_at_25"] == pytest.approx(1 / 3)
    assert slices["cold_users"]["precision_at_2"] == 0.0
    # a's relevant items: z (trained on, by b) and v (never seen before the cut-off).
    assert slices["warm_items"] == {"relevant": 1, "share": 0.5, "recall_at_1": 1.0, "recall_at_2": 1.0}
    assert slices["cold_items"] == {"relevant": 1, "share": 0.5, "recall_at_1": 0.0, "recall_at_2": 1.0}
    assert slices["history_length"] == [
        {"history": "2-4", "users": 1} | {name: run.metrics[name] for name in run.per_user.per_user}
    ]


def test_service_metrics_at_any_k_on_a_hand_computed_case():
    """One user with three relevant items at ranks 1, 3 and 30; another with one at rank 2.5 (a tie)."""
    ranks = np.array([1.0, 3.0, 30.0, 2.5])
    rows = np.array([0, 0, 0, 1])
    metrics = ranked_metrics(ranks, rows, np.array([3, 1]), (2, 20, 50))
    ideal = 1 + 1 / math.log2(3) + 1 / math.log2(4)
    assert metrics["normalized_discounted_cumulative_gain_at_20"][0] == pytest.approx((1 + 1 / 2) / ideal)
    assert metrics["normalized_discounted_cumulative_gain_at_50"][0] == pytest.approx(
        (1 + 1 / 2 + 1 / math.log2(31)) / ideal
    )
    assert metrics["normalized_discounted_cumulative_gain_at_2"][0] == pytest.approx(
        1 / (1 + 1 / math.log2(3))
    )
    assert metrics["precision_at_20"].tolist() == [2 / 20, 1 / 20]
    assert metrics["precision_at_50"].tolist() == [3 / 50, 1 / 50]
    assert metrics["precision_at_2"].tolist() == [1 / 2, 0.0]
    assert metrics["normalized_discounted_cumulative_gain_at_20"][1] == pytest.approx(1 / math.log2(3.5))
    assert metrics["mean_reciprocal_rank_at_25"].tolist() == [1.0, 1 / 2.5]


def test_leave_one_out_metrics_at_any_k_on_a_hand_computed_case():
    ranked = Ranked(
        np.array([1.0, 7.0, 30.0]), np.arange(3), np.ones(3, dtype=np.int64), np.zeros((3, 0)), 0, 0
    )
    metrics = split_metrics("leave-one-out", ranked, (5, 20))
    assert metrics["hr_at_5"].tolist() == [1.0, 0.0, 0.0]
    assert metrics["hr_at_20"].tolist() == [1.0, 1.0, 0.0]
    assert metrics["ndcg_at_20"].tolist() == pytest.approx([1.0, 1 / 3, 0.0])  # 1/log2(8) = 1/3
    assert metrics["mrr"].tolist() == pytest.approx([1.0, 1 / 7, 1 / 30])


def run_json(arguments: list[str]) -> dict:
    result = CliRunner().invoke(app, [*arguments, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_the_command_reports_every_k_and_the_temporal_slices(store_csv):
    report = run_json(
        [
            "--interactions",
            store_csv,
            "--recipe",
            "sims",
            "--protocol",
            "temporal",
            "--cutoff",
            "0.8",
            "--k",
            "20,5",
        ]
    )
    assert report["protocol"] == "temporal"
    for row in report["results"]:
        assert {
            "normalized_discounted_cumulative_gain_at_5",
            "normalized_discounted_cumulative_gain_at_20",
        } <= set(row)
        assert "normalized_discounted_cumulative_gain_at_10" not in row
        assert {"catalogue_coverage_at_5", "catalogue_coverage_at_20"} <= set(row["beyond_accuracy"])
        assert set(row["slices"]) >= {"history_length", "cold_users", "warm_items", "cold_items", "cutoff"}
        assert row["slices"]["cold_users"]["users"] >= 0
    loo = run_json(["--interactions", store_csv, "--recipe", "sims", "--k", "1,50"])
    assert {"ndcg_at_1", "ndcg_at_50", "hr_at_1", "hr_at_50", "mrr"} <= set(loo["results"][0])
    for row in loo["results"]:
        assert row["hr_at_1"] <= row["hr_at_50"]


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--k", "0,10"], "whole numbers from 1 to 500"),
        (["--k", "ten"], "whole numbers from 1 to 500"),
        (["--cutoff", "0.5"], "only the temporal protocol"),
        (["--protocol", "temporal", "--cutoff", "soon"], "neither a fraction"),
        (["--protocol", "temporal", "--seeds", "2"], "no random part"),
    ],
)
def test_bad_cutoffs_and_k_are_refused(arguments, message, store_csv):
    result = CliRunner().invoke(app, ["--interactions", store_csv, *arguments])
    assert result.exit_code == 2
    assert message in " ".join(result.output.replace("│", " ").split())


def test_the_automatic_window_is_chosen_before_the_cutoff(store_data, monkeypatch):
    """transition_window=auto validates inside `fit`, which gets only the interactions before the
    cut-off."""
    from allstore.personalize.recipes import tuning

    seen: list[int] = []
    real = tuning.leave_one_out

    def spy(recipe, data, hyperparameters):
        seen.append(int(data.timestamps.max()))
        return real(recipe, data, hyperparameters)

    monkeypatch.setattr(tuning, "leave_one_out", spy)
    run = evaluate_per_user(get_recipe("aws-user-personalization"), store_data, {}, "temporal", cutoff=0.8)
    assert seen and max(seen) < run.slices["cutoff"]
