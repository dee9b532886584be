"""Item metadata in `allstore evaluate` (issue 24 §5: `--items FILE`), intra-list diversity by
category, and the slices by history length and for cold items, on hand-computed cases."""

from __future__ import annotations

import gzip
import json

import numpy as np
import pytest
import typer
from typer.testing import CliRunner

from allstore.data import synthetic
from allstore.data.item_metadata import read_item_metadata
from allstore.personalize.commands import evaluate
from allstore.personalize.evaluation_beyond import intra_list_diversity, item_categories
from allstore.personalize.evaluation_slices import by_history_length, by_item_warmth
from allstore.personalize.recipes import TrainingData
from tests.unit.personalize import generated_store

app = typer.Typer()
app.command()(evaluate)


def test_an_items_csv_reads_as_the_items_dataset(tmp_path):
    path = tmp_path / "items.csv"
    path.write_text("ITEM_ID,CATEGORY_L1,GENRES,PRICE\ni1,shoes,running|trail,12.5\ni2,tents,,\n")
    assert read_item_metadata(path) == {
        "i1": {"CATEGORY_L1": "shoes", "GENRES": "running|trail", "PRICE": 12.5},
        "i2": {"CATEGORY_L1": "tents", "GENRES": "", "PRICE": ""},
    }
    (tmp_path / "bad.csv").write_text("asin,title\n1,x\n")
    with pytest.raises(ValueError, match="needs an ITEM_ID column"):
        read_item_metadata(tmp_path / "bad.csv")


def test_product_json_lines_map_the_category_path_and_brand(tmp_path):
    lines = [
        {
            "asin": "a1",
            "title": "Tent",
            "category": ["Sports", "Camping", "Tents", "2-person"],
            "brand": "Acme",
        },
        {"asin": "a2", "title": "Punch", "categories": [["Sports", "Tools"], ["Other"]]},
        {"asin": "a3", "title": "Lamp", "imUrl": "http://x"},
    ]
    path = tmp_path / "meta.json.gz"
    path.write_bytes(gzip.compress("".join(json.dumps(line) + "\n" for line in lines).encode()))
    assert read_item_metadata(path) == {
        "a1": {"CATEGORY_L1": "Sports", "CATEGORY_L2": "Camping", "CATEGORY_L3": "Tents", "BRAND": "Acme"},
        "a2": {"CATEGORY_L1": "Sports", "CATEGORY_L2": "Tools"},
        "a3": {},
    }
    (tmp_path / "broken.json").write_text('{"title": "no id"}\n')
    with pytest.raises(ValueError, match=r"broken\.json:1 is not a product record"):
        read_item_metadata(tmp_path / "broken.json")


def test_intra_list_diversity_on_a_hand_computed_case():
    """Categories: items 0, 1 shoes; 2 tents; 3 none. List [0, 1, 2]: 2 of 3 pairs differ; list
    [0, 3, 1]: item 3 has no category, the one pair left is the same; list [2, -1]: one item only."""
    categories = np.array([0, 0, 1, -1])
    top = np.array([[0, 1, 2], [0, 3, 1], [2, -1, -1]])
    diversity = intra_list_diversity(top, categories, 3)
    assert diversity[:2].tolist() == pytest.approx([2 / 3, 0.0])
    assert np.isnan(diversity[2])
    assert intra_list_diversity(top, categories, 2)[0] == 0.0  # [0, 1]: both shoes


def test_item_categories_come_from_category_l1():
    data = TrainingData.from_columns(
        ["u", "u"],
        ["a", "b"],
        [1, 2],
        catalogue=["a", "b", "c"],
        item_metadata={
            "a": {"CATEGORY_L1": "x", "BRAND": "k"},
            "b": {"CATEGORY_L1": "y"},
            "c": {"BRAND": "k"},
        },
    )
    codes = item_categories(data)
    assert codes is not None and codes[2] == -1 and codes[0] != codes[1] and min(codes[:2]) >= 0
    assert item_categories(TrainingData.from_columns(["u"], ["a"], [1])) is None


def test_history_length_buckets_on_a_hand_computed_case():
    lengths = np.array([1, 3, 4, 12, 40, 25])
    ndcg = np.array([0.1, 0.2, 0.4, 0.5, 0.0, 1.0])
    assert by_history_length(lengths, {"ndcg": ndcg}) == [
        {"history": "1", "users": 1, "ndcg": 0.1},
        {"history": "2-4", "users": 2, "ndcg": pytest.approx(0.3)},
        {"history": "10-19", "users": 1, "ndcg": 0.5},
        {"history": "20+", "users": 2, "ndcg": 0.5},
    ]


def test_cold_item_recall_on_a_hand_computed_case():
    """Relevant items 0 (trained), 1 (cold), 1 again (another user), ranked 2, 4 and 30."""
    trained = np.array([True, False])
    slices = by_item_warmth(np.array([2.0, 4.0, 30.0]), np.array([0, 1, 1]), trained, (5, 50))
    assert slices["warm_items"] == {
        "relevant": 1,
        "share": pytest.approx(1 / 3),
        "recall_at_5": 1.0,
        "recall_at_50": 1.0,
    }
    assert slices["cold_items"] == {
        "relevant": 2,
        "share": pytest.approx(2 / 3),
        "recall_at_5": 0.5,
        "recall_at_50": 1.0,
    }


@pytest.fixture(scope="module")
def items_csv(tmp_path_factory) -> str:
    """The generated store's catalogue as an Items CSV, plus one product nobody has bought yet."""
    store, tree = generated_store.store(), synthetic.leaves()
    rows = [
        f"{asin},{tree[leaf].path[0]},{tree[leaf].path[2]}"
        for asin, leaf in zip(store.catalogue.asins.tolist(), store.catalogue.leaf.tolist(), strict=True)
    ]
    path = tmp_path_factory.mktemp("items") / "items.csv"
    path.write_text(
        "ITEM_ID,CATEGORY_L1,CATEGORY_L3\n" + "\n".join([*rows, "NEW-ITEM,Outdoors,Tents"]) + "\n"
    )
    return str(path)


def run_json(arguments: list[str]) -> dict:
    result = CliRunner().invoke(app, [*arguments, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_items_reach_the_recipes_and_add_diversity(store_csv, items_csv):
    plain = run_json(
        ["--interactions", store_csv, "--recipe", "user-personalization", "--protocol", "personalize"]
    )
    with_items = run_json(
        [
            "--interactions",
            store_csv,
            "--items",
            items_csv,
            "--recipe",
            "user-personalization",
            "--protocol",
            "personalize",
        ]
    )
    assert (
        with_items["items"] == len(generated_store.store().catalogue.asins) + 1
    )  # the catalogue as the service's
    key = "normalized_discounted_cumulative_gain_at_10"
    rows = {row["model"]: row for row in with_items["results"]}
    assert rows["user-personalization"][key] != plain["results"][0][key]  # its metadata pull is on
    for row in with_items["results"]:
        assert 0.0 <= row["beyond_accuracy"]["intra_list_diversity_at_10"] <= 1.0
        assert {"history_length", "warm_items", "cold_items"} <= set(row["slices"])
    assert "intra_list_diversity_at_10" not in plain["results"][0]["beyond_accuracy"]


def test_a_bad_items_file_is_refused(store_csv, tmp_path):
    bad = tmp_path / "items.csv"
    bad.write_text("asin,title\n1,x\n")
    result = CliRunner().invoke(app, ["--interactions", store_csv, "--items", str(bad)])
    assert result.exit_code == 2
    assert "needs an ITEM_ID column" in " ".join(result.output.replace("│", " ").split())
