"""Personalized-Ranking scored as a re-ranker (issue 24: "scored as a re-ranker of candidate lists,
not as a full-catalogue recommender"): in every protocol each test user's candidate list, the same
lists for every model on the ranking task, the baselines re-ranking them, their own table in the
JSON, the terminal, the per-user file and the report; on hand-computed cases."""

from __future__ import annotations

import csv
import json
from collections.abc import Mapping
from types import MappingProxyType

import numpy as np
import pytest
import typer
from typer.testing import CliRunner

from allstore.personalize import evaluation_candidates, evaluation_tuning
from allstore.personalize.commands import compare, evaluate
from allstore.personalize.evaluation import evaluate_per_user, protocol_split
from allstore.personalize.evaluation_candidates import RANKING_CANDIDATES, candidate_lists
from allstore.personalize.recipes import TrainingData, get_recipe
from tests.unit.personalize.test_evaluation_config_report import Page, _tables

app = typer.Typer()
app.command()(evaluate)


class ByCode:
    """A re-ranker that scores items by their code (a..e are 0..4): ranks are countable by hand."""

    name = "by-code"
    recipe_type = "PERSONALIZED_RANKING"
    default_hyperparameters: Mapping[str, str] = MappingProxyType({})
    sign = 1.0

    def fit(self, data, hyperparameters):
        self.n_items = len(data.items)
        return self

    def score_history(self, history, timestamps=None):
        return self.sign * np.arange(self.n_items, dtype=np.float32)

    def score_item(self, item_id):
        return None


class ReverseCode(ByCode):
    name = "reverse-code"
    sign = -1.0


def two_users() -> TrainingData:
    """u1 had a, b, then e; u2 had d, e, then a. The last item is each one's target (leave-one-out,
    the personalize protocol's newest 10%, the temporal protocol after time 2.5)."""
    rows = [("u1", "a", 1), ("u1", "b", 2), ("u1", "e", 3), ("u2", "d", 1), ("u2", "e", 2), ("u2", "a", 3)]
    users, items, timestamps = zip(*rows, strict=True)
    data = TrainingData.from_columns(users, items, timestamps, catalogue=["a", "b", "c", "d", "e"])
    assert data.items.tolist() == ["a", "b", "c", "d", "e"]
    return data


MRR = {
    "leave-one-out": "mrr",
    "personalize": "mean_reciprocal_rank_at_25",
    "temporal": "mean_reciprocal_rank_at_25",
}


@pytest.mark.parametrize("protocol", ["leave-one-out", "personalize", "temporal"])
def test_a_reranker_ranks_only_each_users_candidate_list(protocol, monkeypatch):
    """Lists of two: the target and one unseen item. u1's list is e and c or d: by code e is first
    whichever negative was drawn. u2's is a and b or c: a is second. Over the whole catalogue
    (what a full-catalogue recommender faces) u2's a would be third, behind b and c."""
    monkeypatch.setattr(evaluation_candidates, "RANKING_CANDIDATES", 2)
    data = two_users()
    cutoff = 3 if protocol == "temporal" else None
    for seed in (0, 1, 2):
        run = evaluate_per_user(ByCode(), data, {}, protocol, seed, cutoff=cutoff)
        whole = evaluate_per_user(ByCode(), data, {}, protocol, seed, cutoff=cutoff, task="catalogue")
        assert run.per_user is not None and whole.per_user is not None
        users = data.users[run.per_user.users].tolist()
        assert users == ["u1", "u2"] if protocol != "personalize" else len(users) == 1  # 10% of users
        expected = {"u1": 1.0, "u2": 1 / 2}
        assert run.per_user.per_user[MRR[protocol]].tolist() == [expected[user] for user in users]
        over_catalogue = {"u1": 1.0, "u2": 1 / 3}
        assert whole.per_user.per_user[MRR[protocol]].tolist() == [over_catalogue[user] for user in users]
        ndcg = "ndcg_at_10" if protocol == "leave-one-out" else "normalized_discounted_cumulative_gain_at_10"
        assert run.per_user.per_user[ndcg].tolist() == pytest.approx(
            [{"u1": 1.0, "u2": 1 / np.log2(3)}[user] for user in users]
        )
        assert "coverage" not in run.metrics and not run.beyond_accuracy  # they would describe the lists
        if protocol != "leave-one-out":
            assert "coverage" in whole.metrics


def test_the_candidate_lists_follow_the_documented_rule(store_data):
    split = protocol_split(store_data, "personalize", 3)
    lists = candidate_lists(len(store_data.items), split.inputs, split.relevant, 3)
    again = candidate_lists(len(store_data.items), split.inputs, split.relevant, 3)
    other = candidate_lists(len(store_data.items), split.inputs, split.relevant, 4)
    assert all(np.array_equal(a, b) for a, b in zip(lists, again, strict=True))  # seeded
    assert any(not np.array_equal(a, b) for a, b in zip(lists, other, strict=True))
    for listed, history, wanted in zip(lists, split.inputs, split.relevant, strict=True):
        assert len(listed) == len(set(listed.tolist())) == RANKING_CANDIDATES
        assert set(wanted.tolist()) <= set(listed.tolist())
        assert not set(listed.tolist()) & (set(history.tolist()) - set(wanted.tolist()))  # unseen negatives
    few = candidate_lists(5, [np.array([0, 1])], [np.array([4])], 0)[0]  # fewer unseen items than 99
    assert sorted(few.tolist()) == [2, 3, 4]


def test_every_model_on_the_ranking_task_reranks_the_same_lists(store_data):
    """By code and by reverse code, a target's two ranks in the same list of 100 add up to 101;
    the baselines re-rank the lists too (every rank within 100) from the same fit, and keep their
    full-catalogue rows."""
    comparison = compare(store_data, [ByCode(), ReverseCode()], "leave-one-out")
    assert [row["model"] for row in comparison.results] == ["popularity", "implicit-als", "itemknn-cosine"]
    ranking = comparison.ranking
    assert ranking is not None
    names = ["by-code", "reverse-code", "popularity", "implicit-als", "itemknn-cosine"]
    assert [row["model"] for row in ranking.results] == names
    ((_, forward),) = ranking.per_user["by-code"]
    ((_, backward),) = ranking.per_user["reverse-code"]
    assert np.array_equal(forward.users, backward.users)
    assert ranking.users_evaluated == len(forward.users) == comparison.users_evaluated
    assert (1 / forward.per_user["mrr"] + 1 / backward.per_user["mrr"]) == pytest.approx(
        np.full(len(forward.users), RANKING_CANDIDATES + 1.0)
    )
    for name in names[2:]:
        ((_, reranked),) = ranking.per_user[name]
        ((_, whole),) = comparison.per_user[name]
        assert reranked.per_user["mrr"].min() >= 1 / RANKING_CANDIDATES
        assert whole.per_user["mrr"].min() < 1 / RANKING_CANDIDATES  # the catalogue is harder
        assert reranked.train_seconds == whole.train_seconds  # one fit for both tasks
    rows = {row["model"]: row for row in ranking.results}
    assert rows["by-code"]["vs_best"]["ndcg_at_10"]["best"] in names  # compared within this table only


@pytest.mark.parametrize("protocol", ["leave-one-out", "personalize", "temporal"])
def test_the_command_reports_rerankers_in_their_own_table(protocol, store_csv, tmp_path):
    rows_file, page_file = tmp_path / "rows.csv", tmp_path / "report.html"
    arguments = ["--interactions", store_csv, "--protocol", protocol, "--recipe", "personalized-ranking"]
    arguments += ["--recipe", "sims", "--per-user", str(rows_file), "--report", str(page_file), "--json"]
    result = CliRunner().invoke(app, arguments)
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert [row["model"] for row in report["results"]] == [
        "sims",
        "popularity",
        "implicit-als",
        "itemknn-cosine",
    ]
    ranking = report["ranking"]
    assert [row["model"] for row in ranking["results"]] == [
        "personalized-ranking",
        "popularity",
        "implicit-als",
        "itemknn-cosine",
    ]
    assert ranking["candidates"] == {
        "per_user": RANKING_CANDIDATES,
        "rule": evaluation_candidates.CANDIDATE_RULE,
        "seeds": [0],
    }
    key = "ndcg_at_10" if protocol == "leave-one-out" else "normalized_discounted_cumulative_gain_at_10"
    for row in ranking["results"]:
        assert "coverage" not in row and "beyond_accuracy" not in row and "interval_95" in row
    popularity = {
        task: next(r for r in rows if r["model"] == "popularity")
        for task, rows in (("catalogue", report["results"]), ("ranking", ranking["results"]))
    }
    assert popularity["ranking"][key] > popularity["catalogue"][key]  # 100 candidates are easier
    assert report["manifest"]["ranking"]["models"]["personalized-ranking"]["hyperparameters"]
    with rows_file.open() as file:
        written = list(csv.DictReader(file))
    reranker = [float(row[key]) for row in written if row["model"] == "personalized-ranking"]
    assert {row["task"] for row in written if row["model"] == "personalized-ranking"} == {"ranking"}
    assert np.mean(reranker) == pytest.approx(ranking["results"][0][key])
    assert len([row for row in written if row["task"] == "ranking"]) == 4 * ranking["users_evaluated"]
    page = Page()
    page.feed(page_file.read_text())
    first, second = [group for group in _tables(page.rows) if group[0][:2] == ["model", "NDCG@10"]]
    assert [row[0] for row in first[1:]] == [row["model"] for row in report["results"]]
    assert [row[0] for row in second[1:]] == [row["model"] for row in ranking["results"]]
    assert second[1][1] == f"{ranking['results'][0][key]:.4f}"
    assert "Re-ranking candidate lists" in page_file.read_text()


def test_without_a_reranker_there_is_no_ranking_table(store_csv):
    result = CliRunner().invoke(app, ["--interactions", store_csv, "--recipe", "sims", "--json"])
    assert result.exit_code == 0, result.output
    assert "ranking" not in json.loads(result.stdout)


def test_tuning_a_reranker_scores_its_trials_on_candidate_lists(store_data, monkeypatch):
    seen = []
    original = evaluation_tuning.rank_split

    def spy(recipe, data, hyperparameters, split, depth, candidates=None, stage=None):
        seen.append(candidates)
        assert candidates is not None and len(candidates) == len(split.inputs)
        for listed, wanted in zip(candidates, split.relevant, strict=True):
            assert set(wanted.tolist()) <= set(listed.tolist())
        return original(recipe, data, hyperparameters, split, depth, candidates, stage)

    monkeypatch.setattr(evaluation_tuning, "rank_split", spy)
    recipe = get_recipe("aws-personalized-ranking")
    test = protocol_split(store_data, "leave-one-out")
    tuned = evaluation_tuning.tune(recipe, store_data, "leave-one-out", test, 1.0, task="ranking")
    assert seen and len(tuned.trials) == len(seen)
