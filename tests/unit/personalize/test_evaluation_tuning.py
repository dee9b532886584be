"""`allstore evaluate --tune` (issue 24 §2): hyperparameters searched on a validation split of the
training part, which holds no test target, in every protocol; the winner is what is evaluated."""

from __future__ import annotations

import json

import numpy as np
import pytest
import typer
from typer.testing import CliRunner

from allstore.personalize import evaluation_tuning
from allstore.personalize.commands import evaluate
from allstore.personalize.evaluation import protocol_split
from allstore.personalize.recipes import get_recipe

app = typer.Typer()
app.command()(evaluate)


def triples(data, rows=slice(None)):
    columns = (data.user_codes[rows], data.item_codes[rows], data.timestamps[rows])
    return set(zip(*(column.tolist() for column in columns), strict=True))


@pytest.mark.parametrize("protocol", ["leave-one-out", "personalize", "temporal"])
def test_every_trial_is_scored_without_the_test_targets(protocol, store_data, monkeypatch):
    test = protocol_split(store_data, protocol, 0, 0.8 if protocol == "temporal" else None)
    test_rows = np.setdiff1d(np.arange(len(store_data.user_codes)), test.train_rows)
    targets = triples(store_data, test_rows)
    seen = []
    real = evaluation_tuning.rank_split

    def spy(recipe, training, hyperparameters, split, depth, *rest):
        seen.append((triples(training), dict(hyperparameters)))
        assert set(split.train_rows) <= set(range(len(training.user_codes)))
        return real(recipe, training, hyperparameters, split, depth, *rest)

    monkeypatch.setattr(evaluation_tuning, "rank_split", spy)
    tuned = evaluation_tuning.tune(get_recipe("aws-sims"), store_data, protocol, test, budget_seconds=60)
    assert len(seen) == len(tuned.trials) > 1
    assert all(not (training & targets) for training, _ in seen)
    assert all(training == triples(store_data, test.train_rows) for training, _ in seen)
    key = "ndcg_at_10" if protocol == "leave-one-out" else "normalized_discounted_cumulative_gain_at_10"
    best = max(tuned.trials, key=lambda trial: trial[key])
    assert tuned.hyperparameters == {**get_recipe("aws-sims").default_hyperparameters, **best["changed"]}
    assert tuned.trials[0]["changed"] == {} and tuned.validation_users > 0


def test_the_budget_stops_the_search_and_fixed_values_are_not_searched(store_data):
    recipe = get_recipe("aws-sims")
    test = protocol_split(store_data, "leave-one-out")
    tuned = evaluation_tuning.tune(recipe, store_data, "leave-one-out", test, budget_seconds=0)
    assert len(tuned.trials) == 1  # the starting point only
    fixed = {name: values[0] for name, values in recipe.search_space.items()}
    untouched = evaluation_tuning.tune(recipe, store_data, "leave-one-out", test, 60, fixed=fixed)
    assert untouched.trials == [] and untouched.hyperparameters == {**recipe.default_hyperparameters, **fixed}


def test_the_command_reports_what_was_tuned_and_on_what(store_csv):
    result = CliRunner().invoke(
        app, ["--interactions", store_csv, "--recipe", "sims", "--tune", "30", "--json"]
    )
    assert result.exit_code == 0, result.output
    rows = {row["model"]: row for row in json.loads(result.stdout)["results"]}
    tuning = rows["sims"]["tuning"]
    assert tuning["validation_users"] > 0 and len(tuning["trials"]) > 1
    assert set(rows["sims"]["hyperparameters"]) >= set(get_recipe("aws-sims").search_space)
    assert "tuning" not in rows["implicit-als"]  # the baselines have nothing to search
    assert rows["implicit-als"]["hyperparameters"]["factors"] == "256"


def test_each_stage_is_announced_for_the_progress_bars(store_data):
    """The command's per-model bars move on these calls (tuning is announced by the command)."""
    from allstore.personalize.evaluation import evaluate_per_user

    heard: list[str] = []
    evaluate_per_user(get_recipe("aws-sims"), store_data, {}, "temporal", cutoff=0.8, stage=heard.append)
    assert heard == ["splitting", "training", "scoring", "metrics"]


def test_segment_recipes_and_two_task_baselines_announce_their_stages_too(store_data):
    """A segment recipe's bar moves through its split, fit and queries; a baseline ranking the
    catalogue and the candidate lists scores once, then computes each task's metrics."""
    from allstore.personalize.evaluation import evaluate_per_user, evaluate_tasks, task_stages
    from allstore.personalize.recipes.popularity import PopularityCount

    heard: list[str] = []
    evaluate_per_user(get_recipe("aws-item-affinity"), store_data, {}, "leave-one-out", stage=heard.append)
    assert heard == ["splitting", "training", "scoring"]
    heard.clear()
    evaluate_tasks(
        PopularityCount(), store_data, {}, "leave-one-out", stage=heard.append, tasks=("catalogue", "ranking")
    )
    assert heard == ["splitting", "training", "scoring", "metrics", "re-ranking metrics"]
    assert task_stages(("catalogue", "ranking")) == ("scoring", "metrics", "re-ranking metrics")
    assert task_stages(("ranking",)) == ("re-ranking", "re-ranking metrics")
