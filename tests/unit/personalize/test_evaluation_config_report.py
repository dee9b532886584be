"""`allstore evaluate --config eval.yaml` and `--report out.html` (issue 24 §6): a run described by a
validated file, the manifest in the JSON, and a self-contained HTML report with the interval table,
the charts and the manifest."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from allstore.personalize.commands import evaluate
from allstore.personalize.evaluation_config import load_config

app = typer.Typer()
app.command()(evaluate)


def write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def flat(output: str) -> str:
    return " ".join(output.replace("│", " ").split())  # the error box wraps lines


def test_a_config_sets_the_run_and_the_command_line_wins(store_csv, tmp_path):
    config = write(
        tmp_path / "eval.yaml",
        f"""
interactions: {store_csv}
recipes: [sims]
baselines: false
hyperparameters:
  sims: {{cointeraction_window: 5, whole_history_weight: 1}}
protocol: personalize
seeds: 2
k: [5, 20]
""",
    )
    result = CliRunner().invoke(app, ["--config", str(config), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["protocol"] == "personalize" and report["seeds"] == [0, 1]
    assert [row["model"] for row in report["results"]] == ["sims"]  # no baselines
    row = report["results"][0]
    assert row["hyperparameters"]["cointeraction_window"] == "5"
    assert row["hyperparameters"]["whole_history_weight"] == "1"
    assert "normalized_discounted_cumulative_gain_at_20" in row and "precision_at_10" not in row
    assert report["manifest"]["config"]["baselines"] is False
    overridden = CliRunner().invoke(app, ["--config", str(config), "--seeds", "1", "--k", "10", "--json"])
    assert overridden.exit_code == 0, overridden.output
    again = json.loads(overridden.stdout)
    assert again["seeds"] == [0] and "precision_at_10" in again["results"][0]


def test_relative_paths_in_a_config_are_relative_to_it(tmp_path):
    (tmp_path / "data").mkdir()
    config = write(tmp_path / "eval.yaml", "interactions: data/i.csv\nitems: /abs/items.csv\n")
    loaded = load_config(config)
    assert loaded.interactions == tmp_path / "data" / "i.csv"
    assert loaded.items == Path("/abs/items.csv")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("protocl: temporal\n", "protocl: Extra inputs are not permitted"),
        ("protocol: k-fold\n", "protocol: Input should be 'personalize', 'leave-one-out' or 'temporal'"),
        ("k: [5, 0]\n", "k.1: Input should be greater than or equal to 1"),
        ("seeds: many\n", "seeds: Input should be a valid integer"),
        ("cutoff: soon\n", "cutoff: Value error, cut-off 'soon' is neither a fraction"),
        ("tune_seconds: -1\n", "tune_seconds: Input should be greater than 0"),
        ("hyperparameters: {sims: [1, 2]}\n", "hyperparameters.sims: Input should be a valid dictionary"),
        ("- just\n- a list\n", "expected a mapping of settings at the top"),
        ("recipes: [\n", "cannot read it as YAML"),
    ],
)
def test_a_bad_config_is_refused_naming_the_place(text, message, tmp_path, store_csv):
    config = write(tmp_path / "eval.yaml", text)
    result = CliRunner().invoke(app, ["--interactions", store_csv, "--config", str(config)])
    assert result.exit_code == 2
    assert message in flat(result.output)


def test_a_config_recipe_is_checked_like_the_option(tmp_path, store_csv):
    config = write(tmp_path / "eval.yaml", f"interactions: {store_csv}\nrecipes: [no-such-recipe]\n")
    result = CliRunner().invoke(app, ["--config", str(config)])
    assert result.exit_code == 2 and "Unknown recipe" in flat(result.output)


def test_without_interactions_anywhere_the_command_says_so(tmp_path):
    result = CliRunner().invoke(app, ["--config", str(write(tmp_path / "eval.yaml", "seeds: 1\n"))])
    assert result.exit_code == 2 and "give --interactions, or interactions: in --config" in flat(
        result.output
    )


class Page(HTMLParser):
    """Table cells, figures and the manifest block of the report."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[list[str]] = []
        self.svgs = 0
        self.captions: list[str] = []
        self.pre = ""
        self._where: str | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "tr":
            self.rows.append([])
        elif tag in ("td", "th", "pre", "figcaption"):
            self._where = tag
            if tag in ("td", "th"):
                self.rows[-1].append("")
            if tag == "figcaption":
                self.captions.append("")
        elif tag == "svg":
            self.svgs += 1

    def handle_endtag(self, tag):
        if tag in ("td", "th", "pre", "figcaption"):
            self._where = None

    def handle_data(self, data):
        if self._where in ("td", "th"):
            self.rows[-1][-1] += data.strip()
        elif self._where == "pre":
            self.pre += data
        elif self._where == "figcaption":
            self.captions[-1] += data


def test_the_report_has_the_table_charts_and_manifest_of_the_json(store_csv, tmp_path):
    out = tmp_path / "out.html"
    result = CliRunner().invoke(
        app,
        ["--interactions", store_csv, "--recipe", "sims", "--k", "5,10,20", "--report", str(out), "--json"],
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    page = Page()
    page.feed(out.read_text())
    header, *rows = next(group for group in _tables(page.rows) if group[0][:2] == ["model", "NDCG@10"])
    assert header[2:5] == ["95% CI", "Δ best", "p"]
    by_model = {row[0]: row for row in rows}
    assert set(by_model) == {row["model"] for row in report["results"]}
    for result_row in report["results"]:
        cells = by_model[result_row["model"]]
        assert cells[1] == f"{result_row['ndcg_at_10']:.4f}"
        low, high = result_row["interval_95"]["ndcg_at_10"]
        assert cells[2] == f"{low:.4f}–{high:.4f}"
    assert page.svgs == 3  # error bars, NDCG against coverage, metrics against K
    assert any("95% bootstrap interval" in caption for caption in page.captions)
    assert any("against the cut-off K" in caption for caption in page.captions)
    manifest = json.loads(page.pre)
    assert manifest == report["manifest"]
    assert re.fullmatch(r"[0-9a-f]{40}(\+dirty)?", manifest["commit"])
    assert re.fullmatch(r"[0-9a-f]{64}", manifest["data_sha256"])
    assert manifest["seeds"] == [0] and manifest["models"]["sims"]["hyperparameters"]["neighbours"] == "200"
    assert manifest["models"]["sims"]["train_seconds"] == report["results"][0]["train_seconds"]
    assert "<script" not in out.read_text()


def test_the_report_has_the_segments_table_of_the_json(store_csv, tmp_path):
    out = tmp_path / "out.html"
    arguments = ["--interactions", store_csv, "--recipe", "sims", "--protocol", "temporal"]
    result = CliRunner().invoke(app, [*arguments, "--cutoff", "0.8", "--report", str(out), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    page = Page()
    page.feed(out.read_text())
    header, *rows = next(group for group in _tables(page.rows) if "R@10 warm items" in group[0])
    key = "normalized_discounted_cumulative_gain_at_10"
    assert {row[0] for row in rows} == {row["model"] for row in report["results"]}
    for result_row, cells in zip(report["results"], rows, strict=True):
        slices = result_row["slices"]
        by_column = dict(zip(header, cells, strict=True))
        for part in slices["history_length"]:
            assert by_column[f"history {part['history']}"] == f"{part[key]:.4f} ({part['users']:,})"
        cold = slices["cold_users"]
        assert by_column["cold users"] == f"{cold[key]:.4f} ({cold['users']:,})"
        assert by_column["R@10 warm items"] == f"{slices['warm_items']['recall_at_10']:.4f}"
        cold_items = slices["cold_items"]
        recall = "–" if cold_items["recall_at_10"] is None else f"{cold_items['recall_at_10']:.4f}"
        share = f"{cold_items['relevant']:,}, {cold_items['share']:.2%}"
        assert by_column["R@10 cold items (items, share)"] == f"{recall} ({share})"
    assert report["results"][0]["slices"]["cold_users"]["users"] > 0  # the column is not empty


def _tables(rows: list[list[str]]) -> list[list[list[str]]]:
    """Rows grouped into tables: a new table starts at each header row (one whose first cell is model)."""
    groups: list[list[list[str]]] = []
    for row in rows:
        if row and row[0] == "model":
            groups.append([])
        if groups:
            groups[-1].append(row)
    return groups
