"""Uncertainty in `allstore evaluate` (issue 24 §1): per-user metric vectors, bootstrap intervals,
paired tests against the best model, repeated split seeds and the per-user CSV; plus the table's
correctness points (recipe names as printed, no duplicate popularity row, retired recipes refused,
ties ranked alike in both protocols)."""

from __future__ import annotations

import csv
import json
from collections.abc import Mapping
from types import MappingProxyType

import numpy as np
import pytest
import typer
from scipy import stats
from typer.testing import CliRunner

from allstore.personalize.commands import evaluate
from allstore.personalize.evaluation import (
    evaluate_per_user,
    solution_metrics,
    solution_metrics_per_user,
)
from allstore.personalize.evaluation_beyond import beyond_accuracy
from allstore.personalize.evaluation_statistics import interval, paired_p_value
from allstore.personalize.recipes import TrainingData, get_recipe
from allstore.personalize.recipes.validation import leave_one_out, leave_one_out_per_user

app = typer.Typer()
app.command()(evaluate)


def test_a_bootstrap_interval_covers_the_true_mean_about_95_times_in_100():
    rng = np.random.default_rng(1)
    samples = [rng.binomial(1, 0.3, size=300).astype(float) for _ in range(200)]
    intervals = [interval(sample, seed=k) for k, sample in enumerate(samples)]
    covered = np.mean([low <= 0.3 <= high for low, high in intervals])
    assert 0.90 <= covered <= 0.99
    low, high = intervals[0]
    assert low < samples[0].mean() < high
    assert high - low == pytest.approx(2 * 1.96 * np.sqrt(0.21 / 300), rel=0.2)  # the normal theory width


def test_a_constant_vector_has_a_point_interval():
    assert interval(np.full(50, 0.25)) == (0.25, 0.25)


def test_the_paired_test_is_scipys_wilcoxon_and_says_1_for_identical_users():
    rng = np.random.default_rng(2)
    reference = rng.random(400)
    better = reference + rng.normal(0.05, 0.1, size=400)
    assert paired_p_value(better, reference) == pytest.approx(stats.wilcoxon(better - reference).pvalue)
    assert paired_p_value(better, reference) < 1e-6
    assert paired_p_value(reference, reference.copy()) == 1.0


@pytest.mark.parametrize("protocol", ["leave-one-out", "personalize"])
def test_per_user_vectors_average_to_the_reported_metrics(protocol, store_data):
    recipe = get_recipe("aws-user-personalization")
    run = evaluate_per_user(recipe, store_data, {}, protocol)
    assert run.per_user is not None and len(run.per_user.users) > 0
    reported = (
        leave_one_out(recipe, store_data, {})
        if protocol == "leave-one-out"
        else solution_metrics(recipe, store_data, {})
    )
    for name, values in run.per_user.per_user.items():
        assert len(values) == len(run.per_user.users)
        assert values.mean() == pytest.approx(reported[name])
        assert run.metrics[name] == pytest.approx(reported[name])
    assert run.score_seconds > 0


def test_the_personalize_protocol_draws_other_users_with_another_seed(store_data):
    recipe = get_recipe("aws-popularity-count")
    first, _ = solution_metrics_per_user(recipe, store_data, {}, seed=0)
    second, _ = solution_metrics_per_user(recipe, store_data, {}, seed=1)
    assert set(first.users.tolist()) != set(second.users.tolist())


class Constant:
    """Scores every item the same: under random tie-breaking it deserves the middle rank."""

    name = "constant"
    recipe_type = "USER_PERSONALIZATION"
    default_hyperparameters: Mapping[str, str] = MappingProxyType({})

    def fit(self, store_data, hyperparameters):
        self.items = store_data.items
        return self

    def score_history(self, history, timestamps=None):
        return np.zeros(len(self.items), dtype=np.float32)

    def score_item(self, item_id):
        return None


def test_ties_get_no_credit_in_either_protocol(store_data):
    """The Personalize protocol used to take the first items of a tie (the lowest item codes) as the
    top 25; now it ranks relevant items as leave-one-out does (ties count half)."""
    loo = leave_one_out_per_user(Constant(), store_data, {}).per_user
    personalize, _ = solution_metrics_per_user(Constant(), store_data, {})
    assert loo["hr_at_10"].max() == 0.0
    assert personalize.per_user["precision_at_25"].max() == 0.0
    n_items = len(store_data.items)
    # Every rank is the middle of the unexcluded catalogue, the same in both protocols.
    assert 1 / loo["mrr"].max() > n_items / 3


def run_json(arguments: list[str]) -> dict:
    result = CliRunner().invoke(app, [*arguments, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_seeds_pool_the_users_and_the_per_user_file_holds_every_row(store_csv, tmp_path):
    rows_file = tmp_path / "per-user.csv"
    report = run_json(
        [
            "--interactions",
            store_csv,
            "--protocol",
            "personalize",
            "--seeds",
            "3",
            "--per-user",
            str(rows_file),
        ]
    )
    assert report["seeds"] == [0, 1, 2]
    with rows_file.open() as file:
        rows = list(csv.DictReader(file))
    models = {row["model"] for row in report["results"]}
    assert {row["model"] for row in rows} == models
    assert {row["seed"] for row in rows} == {"0", "1", "2"}
    assert len(rows) == report["users_evaluated"] * len(models)
    key = "normalized_discounted_cumulative_gain_at_10"
    for result in report["results"]:
        mine = [float(row[key]) for row in rows if row["model"] == result["model"]]
        assert np.mean(mine) == pytest.approx(result[key])
        assert set(result["seed_std"]) >= {key, "coverage"}
    best = max(report["results"], key=lambda result: result[key])
    assert key not in best["vs_best"]
    for result in report["results"]:
        if result is not best:
            versus = result["vs_best"][key]
            assert versus["best"] == best["model"]
            assert versus["difference"] == pytest.approx(result[key] - best[key])
            assert 0.0 <= versus["p_value"] <= 1.0
    popularity = next(result for result in report["results"] if result["model"] == "popularity")
    assert popularity["vs_best"][key]["p_value"] < 0.01  # clearly worse on the same users


def test_repeated_seeds_are_refused_for_leave_one_out(store_csv):
    result = CliRunner().invoke(app, ["--interactions", store_csv, "--seeds", "2"])
    assert result.exit_code == 2
    assert "--protocol personalize" in result.output


def test_recipe_names_round_trip_and_popularity_is_one_row(store_csv):
    report = run_json(["--interactions", store_csv, "--recipe", "sims", "--recipe", "popularity"])
    names = [row["model"] for row in report["results"]]
    assert names == ["sims", "popularity", "implicit-als", "itemknn-cosine"]
    again = run_json(
        ["--interactions", store_csv, "--recipe", "aws-popularity-count", "--recipe", "aws-sims"]
    )
    assert sorted(row["model"] for row in again["results"]) == sorted(names)


def test_a_retired_recipe_is_refused_naming_its_successor(store_csv):
    result = CliRunner().invoke(app, ["--interactions", store_csv, "--recipe", "hrnn"])
    assert result.exit_code == 2
    assert "no longer available" in result.output and "aws-user-personalization-v2" in result.output


def test_next_best_action_is_refused_saying_it_needs_action_data(store_csv):
    """It ranks actions from TAKEN / NOT_TAKEN interactions: a 2 exit before anything trains, not a
    traceback from the first model that cannot score an item history."""
    result = CliRunner().invoke(app, ["--interactions", store_csv, "--recipe", "next-best-action"])
    assert result.exit_code == 2
    assert "recommends actions, not items" in " ".join(result.output.replace("│", " ").split())


def test_the_table_shows_users_evaluated_intervals_and_both_timings(store_csv):
    result = CliRunner().invoke(app, ["--interactions", store_csv, "--recipe", "sims"])
    assert result.exit_code == 0, result.output
    assert "users evaluated" in result.stdout
    assert "NDCG@10 95% CI" in result.stdout and "p (Wilcoxon)" in result.stdout
    assert "train s" in result.stdout and "score s" in result.stdout


def test_beyond_accuracy_metrics_on_a_hand_computed_case():
    """Items a (4 interactions by 4 users), b (2), c (1), d (1) among 4 users; the top-10 lists
    recommended a 3 times and c once. Head: a alone has half the interactions."""
    users = ["u1", "u2", "u3", "u4", "u1", "u2", "u3", "u4"]
    items = ["a", "a", "a", "a", "b", "b", "c", "d"]
    data = TrainingData.from_columns(users, items, list(range(8)))
    counts = np.zeros(4, dtype=np.int64)
    counts[list(data.items).index("a")] = 3
    counts[list(data.items).index("c")] = 1
    metrics = beyond_accuracy(counts, data)
    assert metrics["catalogue_coverage_at_10"] == 0.5
    assert metrics["mean_popularity_at_10"] == pytest.approx((3 * 4 + 1 * 1) / 4)
    assert metrics["long_tail_share_at_10"] == pytest.approx(1 / 4)
    assert metrics["novelty_at_10"] == pytest.approx((3 * 0.0 + 1 * 2.0) / 4)  # -log2(4/4), -log2(1/4)
    # Gini of (0, 0, 1, 3): sum((2i - n - 1) x_i) / (n sum x) = (1 * 1 + 3 * 3) / (4 * 4)
    assert metrics["gini_at_10"] == pytest.approx(10 / 16)


def test_the_table_rows_say_what_the_lists_recommend(store_csv):
    report = run_json(["--interactions", store_csv, "--recipe", "sims"])
    rows = {row["model"]: row["beyond_accuracy"] for row in report["results"]}
    assert rows["popularity"]["catalogue_coverage_at_10"] < rows["sims"]["catalogue_coverage_at_10"]
    assert rows["popularity"]["mean_popularity_at_10"] > rows["sims"]["mean_popularity_at_10"]
    assert rows["popularity"]["novelty_at_10"] < rows["sims"]["novelty_at_10"]
    assert rows["popularity"]["gini_at_10"] > rows["sims"]["gini_at_10"]


@pytest.mark.parametrize("wrong", ["p5", "ucsd"])
def test_a_csv_read_with_the_wrong_format_says_which_it_looks_like(store_csv, wrong):
    result = CliRunner().invoke(app, ["--interactions", store_csv, "--format", wrong])
    assert result.exit_code == 2
    message = " ".join(result.output.replace("│", " ").split())  # the error box wraps the line
    assert f"it looks like csv, not {wrong} (--format csv)" in message


@pytest.mark.parametrize("protocol", ["leave-one-out", "personalize"])
def test_the_automatic_window_is_chosen_without_the_test_targets(protocol, store_data, monkeypatch):
    """Issue 24 §2: `transition_window=auto` validates on the data `fit` gets, which in
    `allstore evaluate` has the test targets removed already."""
    from allstore.personalize.evaluation_splits import personalize_split_with_users
    from allstore.personalize.recipes import tuning
    from allstore.personalize.recipes.validation import user_sequences

    def triples(data, rows=slice(None)):
        columns = (data.user_codes[rows], data.item_codes[rows], data.timestamps[rows])
        return set(zip(*(column.tolist() for column in columns), strict=True))

    seen: list[set[tuple[int, int, int]]] = []
    real = tuning.leave_one_out

    def spy(recipe, data, hyperparameters):
        seen.append(triples(data))
        return real(recipe, data, hyperparameters)

    monkeypatch.setattr(tuning, "leave_one_out", spy)
    evaluate_per_user(get_recipe("aws-user-personalization"), store_data, {}, protocol)
    assert seen  # the window was chosen on validation runs
    if protocol == "leave-one-out":
        order, starts = user_sequences(store_data)
        test_rows = order[starts[1:][np.diff(starts) >= 2] - 1]
    else:
        train_rows, *_ = personalize_split_with_users(store_data, 0)
        test_rows = np.setdiff1d(np.arange(len(store_data.user_codes)), train_rows)
    targets = triples(store_data, test_rows)
    assert all(not (validation & targets) for validation in seen)
