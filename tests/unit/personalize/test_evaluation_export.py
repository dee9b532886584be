"""The round trip with real Personalize (issue 24 §3): `--export-split` writes the split in the
service's forms, `--score-batch-output` scores batch-inference output on the same users with the
same metric code as the local models."""

from __future__ import annotations

import csv
import json
from collections.abc import Mapping
from types import MappingProxyType

import numpy as np
import pytest
import typer
from typer.testing import CliRunner

from allstore.personalize.commands import evaluate
from allstore.personalize.evaluation import evaluate_per_user, personalize_split
from allstore.personalize.evaluation_export import export_split, score_batch_output

app = typer.Typer()
app.command()(evaluate)


def round_trip(store_csv: str, folder, *arguments: str):
    """`allstore evaluate --protocol personalize --export-split folder ...`."""
    return CliRunner().invoke(
        app,
        [
            "--interactions",
            store_csv,
            "--protocol",
            "personalize",
            "--export-split",
            str(folder),
            *arguments,
        ],
    )


def lines(path):
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_the_export_holds_training_and_input_rows_but_no_relevant_ones(store_data, tmp_path):
    manifest = export_split(store_data, tmp_path, "store.csv", seed=0)
    split = personalize_split(store_data, 0)
    train_rows, inputs = split.train_rows, split.inputs
    with (tmp_path / "interactions.csv").open() as file:
        exported = list(csv.DictReader(file))
    assert len(exported) == manifest["interactions"] == len(train_rows) + sum(len(h) for h in inputs)
    pairs = {(row["USER_ID"], row["ITEM_ID"]) for row in exported}
    truth = lines(tmp_path / "ground_truth.json")
    assert len(truth) == manifest["held_out_users"] == len(inputs)
    for entry in truth:
        assert entry["relevant"] and not {(entry["userId"], item) for item in entry["relevant"]} & pairs
        assert (entry["userId"], entry["lastItem"]) in pairs
    assert [line["userId"] for line in lines(tmp_path / "users.json")] == [entry["userId"] for entry in truth]
    for line, entry in zip(lines(tmp_path / "ranking.json"), truth, strict=True):
        assert set(entry["relevant"]) <= set(line["itemList"]) and len(line["itemList"]) <= 100
    assert manifest["seed"] == 0 and len(manifest["data_sha256"]) == 64


def test_batch_output_is_scored_as_the_service_metrics_of_its_lists(store_data, tmp_path):
    export_split(store_data, tmp_path, "store.csv")
    truth = lines(tmp_path / "ground_truth.json")
    output = tmp_path / "users.json.out"
    records = []
    for index, entry in enumerate(truth[1:], 1):  # the first user's line is missing: nothing ranked
        filler = [f"not-relevant-{k}" for k in range(2)]
        items = filler + [entry["relevant"][0]] + [f"more-{k}" for k in range(22)] if index % 2 else []
        records.append(
            {"input": {"userId": entry["userId"]}, "output": {"recommendedItems": items}, "error": None}
        )
    output.write_text("".join(json.dumps(record) + "\n" for record in records))
    scored, task = score_batch_output(store_data, tmp_path, [output])
    assert task == "catalogue"
    metrics = scored.per_user
    assert metrics["mean_reciprocal_rank_at_25"][0] == 0.0
    for index, entry in enumerate(truth[1:], 1):
        if index % 2:  # the first relevant item third in the list
            assert metrics["mean_reciprocal_rank_at_25"][index] == pytest.approx(1 / 3)
            assert metrics["precision_at_5"][index] == pytest.approx(1 / 5)
            ideal = sum(1 / np.log2(rank + 1) for rank in range(1, min(len(entry["relevant"]), 5) + 1))
            assert metrics["normalized_discounted_cumulative_gain_at_5"][index] == pytest.approx(0.5 / ideal)
        else:
            assert metrics["precision_at_25"][index] == 0.0


def test_related_items_output_is_matched_through_each_users_newest_item(store_data, tmp_path):
    export_split(store_data, tmp_path, "store.csv")
    similar: dict[str, list[str]] = {}  # users with the same newest item share its list
    for entry in lines(tmp_path / "ground_truth.json"):
        similar.setdefault(entry["lastItem"], []).append(entry["relevant"][0])
    assert [line["itemId"] for line in lines(tmp_path / "items.json")] == list(similar)
    output = tmp_path / "items.json.out"
    output.write_text(
        "".join(
            json.dumps({"input": {"itemId": item}, "output": {"recommendedItems": items}}) + "\n"
            for item, items in similar.items()
        )
    )
    scored, task = score_batch_output(store_data, tmp_path, [output])
    assert task == "catalogue"
    assert scored.per_user["mean_reciprocal_rank_at_25"].min() > 0  # every user reached through an item


def test_the_command_exports_then_puts_the_service_beside_the_local_models(store_csv, tmp_path):
    folder = tmp_path / "split"
    result = round_trip(store_csv, folder)
    assert result.exit_code == 0, result.output
    assert (folder / "manifest.json").is_file()
    perfect = tmp_path / "users.json.out"
    perfect.write_text(
        "".join(
            json.dumps(
                {"input": {"userId": entry["userId"]}, "output": {"recommendedItems": entry["relevant"]}}
            )
            + "\n"
            for entry in lines(folder / "ground_truth.json")
        )
    )
    result = round_trip(
        store_csv,
        folder,
        "--recipe",
        "sims",
        "--json",
        "--score-batch-output",
        f"service-oracle={perfect}",
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    rows = {row["model"]: row for row in report["results"]}
    assert rows["service-oracle"]["normalized_discounted_cumulative_gain_at_10"] == pytest.approx(1.0)
    assert rows["sims"]["vs_best"]["normalized_discounted_cumulative_gain_at_10"]["best"] == "service-oracle"
    assert report["users_evaluated"] == len(lines(folder / "ground_truth.json"))


def test_ranking_output_joins_the_rerankers_table(store_csv, tmp_path):
    """Personalized-Ranking batch output (inputs with the exported itemList) re-ranks the candidate
    lists, so it is a row of the ranking table, beside the local re-ranker on the same users."""
    folder = tmp_path / "split"
    assert round_trip(store_csv, folder).exit_code == 0
    truth = {entry["userId"]: entry for entry in lines(folder / "ground_truth.json")}
    output = tmp_path / "ranking.json.out"
    records = []
    for line in lines(folder / "ranking.json"):
        wanted = truth[line["userId"]]["relevant"]
        ordered = wanted + [item for item in line["itemList"] if item not in wanted]  # a perfect re-ranker
        records.append({"input": line, "output": {"recommendedItems": ordered}, "error": None})
    output.write_text("".join(json.dumps(record) + "\n" for record in records))
    result = round_trip(
        store_csv,
        folder,
        "--recipe",
        "personalized-ranking",
        "--json",
        "--score-batch-output",
        f"aws-pr={output}",
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert "aws-pr" not in {row["model"] for row in report["results"]}
    rows = {row["model"]: row for row in report["ranking"]["results"]}
    key = "normalized_discounted_cumulative_gain_at_10"
    assert rows["aws-pr"][key] == pytest.approx(1.0)
    assert rows["personalized-ranking"]["vs_best"][key]["best"] == "aws-pr"
    assert report["ranking"]["users_evaluated"] == len(truth)


def test_batch_output_of_other_data_is_refused(store_csv, store_data, tmp_path):
    export_split(store_data, tmp_path, "store.csv")
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    (tmp_path / "manifest.json").write_text(json.dumps(manifest | {"data_sha256": "0" * 64}))
    output = tmp_path / "users.json.out"
    output.write_text("")
    result = round_trip(store_csv, tmp_path, "--score-batch-output", str(output))
    assert result.exit_code == 1
    assert "exported from other data" in result.output


def test_lines_that_are_not_batch_output_are_refused(store_data, tmp_path):
    export_split(store_data, tmp_path, "store.csv")
    output = tmp_path / "bad.out"
    output.write_text('{"recommendedItems": []}\n')
    with pytest.raises(ValueError, match=r"bad\.out:1 is not Amazon Personalize batch-inference output"):
        score_batch_output(store_data, tmp_path, [output])


def test_the_round_trip_refuses_leave_one_out(store_csv, tmp_path):
    result = CliRunner().invoke(app, ["--interactions", store_csv, "--export-split", str(tmp_path / "x")])
    assert result.exit_code == 2 and "--protocol personalize" in result.output


class ByCode:
    """A ranking model that scores items by their code: ranks are countable by hand."""

    name = "by-code"
    recipe_type = "PERSONALIZED_RANKING"
    default_hyperparameters: Mapping[str, str] = MappingProxyType({})

    def fit(self, data, hyperparameters):
        self.n_items = len(data.items)
        return self

    def score_history(self, history, timestamps=None):
        return np.arange(self.n_items, dtype=np.float32)

    def score_item(self, item_id):
        return None


def test_personalized_ranking_is_scored_as_a_reranker_of_the_exported_candidate_lists(store_data, tmp_path):
    export_split(store_data, tmp_path, "store.csv")
    code = {item: index for index, item in enumerate(store_data.items.tolist())}
    run = evaluate_per_user(ByCode(), store_data, {}, "personalize")
    assert run.per_user is not None
    expected = []
    for line, entry in zip(
        lines(tmp_path / "ranking.json"), lines(tmp_path / "ground_truth.json"), strict=True
    ):
        listed = sorted((code[item] for item in line["itemList"]), reverse=True)
        best = min(listed.index(code[item]) + 1 for item in entry["relevant"])
        expected.append(1 / best if best <= 25 else 0.0)
    assert run.per_user.per_user["mean_reciprocal_rank_at_25"] == pytest.approx(expected)
