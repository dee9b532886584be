"""Offline evaluation: both protocols' metrics, the split, and the `allstore evaluate` command."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Mapping, Sequence
from types import MappingProxyType

import numpy as np
import pytest
import typer
from typer.testing import CliRunner

from allstore.personalize.commands import evaluate
from allstore.personalize.evaluation import leave_one_out, personalize_split, solution_metrics
from allstore.personalize.recipes import TrainingData, get_recipe
from tests.unit.personalize.test_recipes import sequential_interactions

SOLUTION_METRIC_KEYS = {
    "coverage",
    "mean_reciprocal_rank_at_25",
    "normalized_discounted_cumulative_gain_at_5",
    "normalized_discounted_cumulative_gain_at_10",
    "normalized_discounted_cumulative_gain_at_25",
    "precision_at_5",
    "precision_at_10",
    "precision_at_25",
}
BASELINES = {"popularity", "implicit-als", "itemknn-cosine"}

# The command on its own (as `allstore evaluate` registers it), independent of the other sub-apps.
app = typer.Typer()
app.command()(evaluate)


@pytest.fixture(scope="module")
def data() -> TrainingData:
    return TrainingData.from_columns(*sequential_interactions())


class Oracle:
    """Knows every user's next item: scores it 1 and everything else 0 (for metric arithmetic)."""

    name = "oracle"
    recipe_type = "USER_PERSONALIZATION"
    default_hyperparameters: Mapping[str, str] = MappingProxyType({})

    def __init__(self, next_item: dict[tuple[str, ...], str]) -> None:
        self.next_item = next_item

    def fit(self, data, hyperparameters):
        self.items = data.items
        return self

    def score_history(self, history: Sequence[str], timestamps=None) -> np.ndarray:
        return (self.items == self.next_item[tuple(history)]).astype(np.float32)

    def score_item(self, item_id: str) -> None:
        return None


def test_leave_one_out_gives_an_oracle_perfect_scores_and_ties_no_credit():
    users, items, timestamps = ["a", "a", "a", "b", "b"], ["x", "y", "z", "y", "x"], [1, 2, 3, 4, 5]
    data = TrainingData.from_columns(users, items, timestamps, catalogue=[f"filler-{k}" for k in range(20)])
    oracle = Oracle({("x", "y"): "z", ("y",): "x"})
    assert leave_one_out(oracle, data, {}) == {"ndcg_at_10": 1.0, "hr_at_10": 1.0, "mrr": 1.0}

    class Constant(Oracle):
        def score_history(self, history, timestamps=None):
            return np.zeros(len(self.items), dtype=np.float32)

    # Everything tied: the expected rank is the middle of the unexcluded catalogue, not first.
    assert leave_one_out(Constant({}), data, {})["hr_at_10"] == 0.0


def test_personalize_split_holds_out_a_tenth_of_users_and_their_newest_tenth(data):
    split = personalize_split(data)
    train_rows, inputs, relevant = split.train_rows, split.inputs, split.relevant
    held_out_users = set(np.unique(data.user_codes)) - set(np.unique(data.user_codes[train_rows]))
    assert len(held_out_users) == round(0.1 * len(data.users))
    assert len(inputs) == len(relevant) <= len(held_out_users)
    for history, newest in zip(inputs, relevant, strict=True):
        assert len(newest) >= 1
        assert not set(newest) & set(history)


def test_solution_metrics_have_the_service_keys_in_range_and_beat_popularity(data):
    personalised = solution_metrics(get_recipe("aws-user-personalization"), data, {})
    popular = solution_metrics(get_recipe("aws-popularity-count"), data, {})
    assert set(personalised) == SOLUTION_METRIC_KEYS
    assert all(0.0 <= value <= 1.0 for value in personalised.values())
    assert personalised["normalized_discounted_cumulative_gain_at_10"] > (
        popular["normalized_discounted_cumulative_gain_at_10"] + 0.2
    )
    assert personalised["coverage"] > popular["coverage"]


@pytest.mark.parametrize("name", ["aws-user-personalization", "aws-sims"])
def test_leave_one_out_personalised_recipes_beat_popularity(name, data):
    personalised = leave_one_out(get_recipe(name), data, {})
    popular = leave_one_out(get_recipe("aws-popularity-count"), data, {})
    assert all(0.0 <= value <= 1.0 for value in personalised.values())
    assert personalised["ndcg_at_10"] > popular["ndcg_at_10"] + 0.3


@pytest.fixture(scope="module")
def interactions_csv(tmp_path_factory, data) -> str:
    path = tmp_path_factory.mktemp("evaluate") / "interactions.csv"
    users, items, timestamps = sequential_interactions()
    rows = (f"{u},{i},{t}\n" for u, i, t in zip(users, items, timestamps, strict=True))
    path.write_text("USER_ID,ITEM_ID,TIMESTAMP\n" + "".join(rows))
    return str(path)


@pytest.mark.parametrize(
    ("protocol", "metric_keys"),
    [("leave-one-out", {"ndcg_at_10", "hr_at_10", "mrr"}), ("personalize", SOLUTION_METRIC_KEYS)],
)
def test_evaluate_command_json_has_one_entry_per_recipe_and_baseline(protocol, metric_keys, interactions_csv):
    result = CliRunner().invoke(app, ["--interactions", interactions_csv, "--protocol", protocol, "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert set(report) == {
        "dataset",
        "protocol",
        "users",
        "items",
        "seeds",
        "users_evaluated",
        "results",
        "manifest",
    }
    assert (report["dataset"], report["protocol"], report["users"], report["items"]) == (
        "interactions.csv",
        protocol,
        240,
        60,
    )
    by_model = {row["model"]: row for row in report["results"]}
    assert set(by_model) == {"user-personalization", "sims"} | BASELINES
    for row in report["results"]:
        assert (
            set(row)
            == {
                "model",
                "train_seconds",
                "score_seconds",
                "interval_95",
                "vs_best",
                "beyond_accuracy",
                "slices",
                "hyperparameters",
            }
            | metric_keys
        )
        assert row["train_seconds"] >= 0 and row["score_seconds"] >= 0
        assert all(0.0 <= row[key] <= 1.0 for key in metric_keys)
        for key, (low, high) in row["interval_95"].items():
            assert low <= row[key] <= high
    if protocol == "leave-one-out":
        assert by_model["user-personalization"]["ndcg_at_10"] > by_model["popularity"]["ndcg_at_10"]


def test_evaluate_command_reads_p5_and_prints_a_table(tmp_path):
    users, items, _ = sequential_interactions(n_users=60)
    lines: dict[str, list[str]] = {}
    for user, item in zip(users, items, strict=True):
        lines.setdefault(user.removeprefix("user-"), []).append(item.removeprefix("item-"))
    (tmp_path / "sequential_data.txt").write_text(
        "".join(f"{user} {' '.join(sequence)}\n" for user, sequence in lines.items())
    )
    result = CliRunner().invoke(
        app, ["--interactions", str(tmp_path), "--format", "p5", "--recipe", "aws-user-personalization-v2"]
    )
    assert result.exit_code == 0, result.output
    assert "user-personalization" in result.stdout and "itemknn-cosine" in result.stdout
    assert "NDCG@10" in result.stdout and "HR@10" in result.stdout


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--recipe", "aws-nope"], "Unknown recipe"),
        (["--protocol", "k-fold"], "leave-one-out"),
        (["--format", "xml"], "csv"),
    ],
)
def test_evaluate_command_rejects_bad_options(arguments, message, interactions_csv):
    result = CliRunner().invoke(app, ["--interactions", interactions_csv, *arguments])
    assert result.exit_code == 2
    assert message in result.output


@pytest.mark.parametrize("module", ["allstore.personalize.evaluation", "allstore.personalize.recipes.tuning"])
def test_modules_import_first_without_a_cycle(module):
    """evaluation imports the recipes, whose tuning uses evaluation: either may be imported first."""
    completed = subprocess.run([sys.executable, "-c", f"import {module}"], capture_output=True, text=True)
    assert completed.returncode == 0, completed.stderr


def test_evaluate_compares_segment_recipes_with_the_most_active_users(tmp_path):
    users, items, _ = sequential_interactions(n_users=120)
    lines: dict[str, list[str]] = {}
    for user, item in zip(users, items, strict=True):
        lines.setdefault(user.removeprefix("user-"), []).append(item.removeprefix("item-"))
    (tmp_path / "sequential_data.txt").write_text(
        "".join(f"{user} {' '.join(sequence)}\n" for user, sequence in lines.items())
    )
    result = CliRunner().invoke(
        app, ["--interactions", str(tmp_path), "--format", "p5", "--recipe", "aws-item-affinity", "--json"]
    )
    assert result.exit_code == 0, result.output
    rows = {row["model"]: row for row in json.loads(result.stdout)["results"]}
    assert set(rows) == {"item-affinity", "active-users"}  # no item baselines for a segment recipe
    assert rows["item-affinity"]["recall_at_5_percent"] > rows["active-users"]["recall_at_5_percent"]
