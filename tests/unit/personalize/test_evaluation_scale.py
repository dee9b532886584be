"""`allstore evaluate` at scale (issue 23): the vectorised and bounded stages give the same results."""

from __future__ import annotations

import json
from types import MappingProxyType

import numpy as np
import pytest
import typer
from typer.testing import CliRunner

from allstore.personalize import commands, evaluation, evaluation_splits
from allstore.personalize.evaluation_splits import Split
from allstore.personalize.recipes import validation
from allstore.personalize.recipes.base import TrainingData


def _reference_top(scores: np.ndarray, depth: int) -> np.ndarray:
    """Every row fully sorted: by score descending, equal scores by lower code; -1 where not finite."""
    top = np.full((len(scores), depth), -1, dtype=np.int64)
    for row, values in enumerate(scores):
        order = np.lexsort((np.arange(len(values)), -values))[:depth]
        finite = np.isfinite(values[order])
        top[row, : finite.sum()] = order[finite]
    return top


@pytest.mark.parametrize("n_items", [7, 300, 1_000, 5_000])
def test_top_items_are_the_fully_sorted_rows_best_including_ties_and_unscored_items(n_items, monkeypatch):
    rng = np.random.default_rng(n_items)
    scores = rng.random((40, n_items), dtype=np.float32)
    scores[1] = 0.0  # all tied: the lowest codes
    scores[2, :] = -np.inf
    scores[2, [5, 3]] = [1.0, 2.0]  # fewer finite scores than depth
    scores[3] = np.round(scores[3] * 4) / 4  # a few values, many ties at the bound
    scores[4, rng.integers(0, n_items, n_items // 2)] = -np.inf  # excluded items
    scores[5] = -scores[5]  # negative scores
    scores[6, : n_items // 2] = 0.5  # ties across blocks, and past the candidate limit
    monkeypatch.setattr(evaluation, "TOP_CANDIDATES", 200)  # the partitioned path too
    for depth in (1, 10, 25):
        assert np.array_equal(
            evaluation._top_items(scores, depth), _reference_top(scores, min(depth, n_items))
        )


# The per-user splits as they were built before they were vectorised (one Python loop per test
# user): the vectorised ones must give the same users, inputs (in time order) and relevant items.


def _loop_leave_one_out(data: TrainingData) -> Split:
    order, starts = validation.user_sequences(data)
    lengths = np.diff(starts)
    users = np.flatnonzero(lengths >= 2)
    last_rows = order[starts[1:][lengths >= 2] - 1]
    train = np.ones(len(data.user_codes), dtype=bool)
    train[last_rows] = False
    inputs = [data.item_codes[order[starts[user] : starts[user + 1] - 1]] for user in users]
    relevant = [data.item_codes[row : row + 1] for row in last_rows]
    return Split(np.flatnonzero(train), users, inputs, relevant, keep_repeats=True)


def _loop_personalize(data: TrainingData, seed: int) -> Split:
    order, starts = validation.user_sequences(data)
    active = np.flatnonzero(np.diff(starts) >= 2)
    rng = np.random.default_rng(seed)
    n_holdout = max(1, round(0.1 * len(active)))
    holdout = np.sort(rng.choice(active, size=n_holdout, replace=False))
    train = np.ones(len(data.user_codes), dtype=bool)
    train[np.isin(data.user_codes, holdout)] = False
    inputs, relevant, users = [], [], []
    for user in holdout:
        codes = data.item_codes[order[starts[user] : starts[user + 1]]]
        n_relevant = max(1, int(np.floor(0.1 * len(codes))))
        history, newest = codes[:-n_relevant], codes[-n_relevant:]
        new = np.setdiff1d(newest, history)
        if len(new):
            inputs.append(history)
            relevant.append(new)
            users.append(user)
    return Split(np.flatnonzero(train), np.array(users, dtype=np.int64), inputs, relevant)


def _loop_temporal(data: TrainingData, cutoff: float) -> Split:
    seconds = evaluation_splits.cutoff_seconds(data, cutoff)
    before = data.timestamps < seconds
    order, starts = validation.user_sequences(data)
    inputs, relevant, users = [], [], []
    for user in np.unique(data.user_codes[~before]):
        rows = order[starts[user] : starts[user + 1]]
        history = data.item_codes[rows[before[rows]]]
        new = np.setdiff1d(data.item_codes[rows[~before[rows]]], history)
        if len(new):
            inputs.append(history)
            relevant.append(new)
            users.append(user)
    return Split(np.flatnonzero(before), np.array(users, dtype=np.int64), inputs, relevant, cutoff=seconds)


def _messy_data(seed: int) -> TrainingData:
    """Users with one to sixty interactions, many repeats (a small catalogue), equal timestamps
    (a user's rows then keep file order) and users whose newest items are all repeats."""
    rng = np.random.default_rng(seed)
    lengths = rng.integers(1, 60, size=400)
    users = np.repeat(np.arange(len(lengths)), lengths)
    items = rng.zipf(1.6, size=len(users)) % 150
    timestamps = 1_700_000_000 + rng.integers(0, 500, size=len(users)) * 3_600
    shuffled = rng.permutation(len(users))
    return TrainingData.from_columns(
        [f"u{user}" for user in users[shuffled]],
        [f"i{item}" for item in items[shuffled]],
        timestamps[shuffled],
    )


def _assert_same(split: Split, expected: Split) -> None:
    assert np.array_equal(split.train_rows, expected.train_rows)
    assert np.array_equal(split.users, expected.users) and split.users.dtype == np.int64
    assert len(split.inputs) == len(expected.inputs) == len(split.relevant) == len(expected.relevant)
    for got, want in zip(split.inputs, expected.inputs, strict=True):
        assert got.dtype == want.dtype and np.array_equal(got, want)  # same order: time order
    for got, want in zip(split.relevant, expected.relevant, strict=True):
        assert got.dtype == want.dtype and np.array_equal(got, want)
    assert (split.keep_repeats, split.cutoff) == (expected.keep_repeats, expected.cutoff)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_vectorised_splits_are_the_per_user_loops(seed):
    data = _messy_data(seed)
    _assert_same(evaluation_splits.leave_one_out_split(data), _loop_leave_one_out(data))
    _assert_same(evaluation_splits.personalize_split(data, seed), _loop_personalize(data, seed))
    for cutoff in (0.3, 0.9):
        _assert_same(evaluation_splits.temporal_split(data, cutoff), _loop_temporal(data, cutoff))
    train, inputs, relevant, users = evaluation_splits.personalize_split_with_users(data, seed)
    expected = _loop_personalize(data, seed)
    assert np.array_equal(users, expected.users) and np.array_equal(train, expected.train_rows)
    assert all(np.array_equal(a, b) for a, b in zip(relevant, expected.relevant, strict=True))
    assert all(np.array_equal(a, b) for a, b in zip(inputs, expected.inputs, strict=True))


def test_vectorised_splits_match_on_the_generated_store(store_data):
    _assert_same(evaluation_splits.leave_one_out_split(store_data), _loop_leave_one_out(store_data))
    _assert_same(evaluation_splits.personalize_split(store_data, 3), _loop_personalize(store_data, 3))
    _assert_same(evaluation_splits.temporal_split(store_data, 0.8), _loop_temporal(store_data, 0.8))


def test_ranges_concatenate_each_range_including_empty_ones():
    begins = np.array([3, 7, 7, 0, 10], dtype=np.int64)
    ends = np.array([5, 7, 9, 1, 10], dtype=np.int64)
    assert evaluation_splits._ranges(begins, ends).tolist() == [3, 4, 7, 8, 0]
    assert evaluation_splits._ranges(begins[:0], ends[:0]).tolist() == []


@pytest.mark.parametrize("protocol", ["leave-one-out", "personalize", "temporal"])
def test_max_users_samples_the_whole_splits_users_with_their_own_lists(protocol):
    data = _messy_data(5)
    whole = evaluation.protocol_split(data, protocol, 1, 0.5, max_users=None)
    size = len(whole.users) // 2
    assert size >= 10
    # As many as there are, or more: the whole split, unchanged (existing figures stay as they were).
    for bound in (len(whole.users), len(whole.users) + 1, evaluation.MAX_TEST_USERS):
        _assert_same(evaluation.protocol_split(data, protocol, 1, 0.5, max_users=bound), whole)
    sample = evaluation.protocol_split(data, protocol, 1, 0.5, max_users=size)
    assert len(sample.users) == size and np.all(np.diff(sample.users) > 0)
    expected = np.sort(np.random.default_rng(1).choice(len(whole.users), size=size, replace=False))
    assert np.array_equal(sample.users, whole.users[expected])
    assert np.array_equal(sample.train_rows, whole.train_rows)  # every model still trains on the same rows
    for index, kept in enumerate(expected):
        assert np.array_equal(sample.inputs[index], whole.inputs[kept])
        assert np.array_equal(sample.relevant[index], whole.relevant[kept])
    other = evaluation.protocol_split(data, protocol, 2, 0.5, max_users=size)
    assert not np.array_equal(other.users, sample.users)  # another seed, another sample


def _evaluate(*arguments: str) -> dict:
    app = typer.Typer()
    app.command()(commands.evaluate)
    result = CliRunner().invoke(app, [*arguments, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def _metrics(report: dict) -> list[dict]:
    """The rows without their timings."""
    return [{k: v for k, v in row.items() if not k.endswith("_seconds")} for row in report["results"]]


def test_max_users_ranks_the_same_sample_for_every_model_and_says_so(store_csv, store_data, tmp_path):
    config = tmp_path / "eval.yaml"  # two models, no baselines: quick
    config.write_text(f"interactions: {store_csv}\nrecipes: [sims, popularity]\nbaselines: false\n")
    whole = _evaluate("--config", str(config))
    assert "users_sampled_from" not in whole  # fewer test users than the default bound: all of them
    split = evaluation.protocol_split(store_data, "leave-one-out", max_users=None)
    assert whole["users_evaluated"] == len(split.users) < evaluation.MAX_TEST_USERS
    assert _metrics(_evaluate("--config", str(config), "--max-users", "0")) == _metrics(whole)
    per_user = tmp_path / "per_user.csv"
    sample = _evaluate("--config", str(config), "--max-users", "30", "--per-user", str(per_user))
    assert sample["users_evaluated"] == 30 and sample["users_sampled_from"] == len(split.users)
    assert [row["model"] for row in sample["results"]] == ["sims", "popularity"]
    assert _metrics(sample) != _metrics(whole)
    rows = per_user.read_text().splitlines()[1:]
    users = {
        model: {line.split(",")[3] for line in rows if line.startswith(model + ",")}
        for model in ("sims", "popularity")
    }
    expected = np.sort(np.random.default_rng(0).choice(len(split.users), size=30, replace=False))
    assert users["sims"] == users["popularity"] == set(store_data.users[split.users[expected]].tolist())


def test_max_users_comes_from_a_config_too_and_the_command_line_wins(store_csv, tmp_path):
    config = tmp_path / "eval.yaml"
    config.write_text(f"interactions: {store_csv}\nrecipes: [popularity]\nbaselines: false\nmax_users: 20\n")
    assert _evaluate("--config", str(config))["users_evaluated"] == 20
    assert _evaluate("--config", str(config), "--max-users", "25")["users_evaluated"] == 25
    config.write_text("max_users: -1\n")
    app = typer.Typer()
    app.command()(commands.evaluate)
    refused = CliRunner().invoke(app, ["--interactions", store_csv, "--config", str(config)])
    assert refused.exit_code == 2 and "max_users: Input should be greater than or equal to 0" in " ".join(
        refused.output.replace("│", " ").split()
    )
    negative = CliRunner().invoke(app, ["--interactions", store_csv, "--max-users", "-3"])
    assert negative.exit_code == 2 and "--max-users" in negative.output


def test_the_table_title_names_the_sample(store_csv):
    app = typer.Typer()
    app.command()(commands.evaluate)
    result = CliRunner().invoke(
        app,
        ["--interactions", store_csv, "--recipe", "popularity", "--max-users", "30"],
        env={"COLUMNS": "200"},
    )
    assert result.exit_code == 0, result.output
    assert "30 users evaluated (a sample of" in result.stdout and ": --max-users)" in result.stdout


def test_tied_rank_by_rows_is_the_matrix_formula_with_ties_and_shared_rows():
    rng = np.random.default_rng(4)
    scores = np.round(rng.random((30, 500), dtype=np.float32) * 20) / 20  # many ties
    scores[3, ::7] = -np.inf  # excluded items
    scores[4] = 0.25  # one big tie
    rows = np.repeat(np.arange(30), rng.integers(1, 4, size=30))  # several targets per row
    targets = rng.integers(0, 500, size=len(rows))
    targets[rows == 3] = 7  # an excluded target ranks behind every scored item
    chosen = scores[rows]
    target_scores = chosen[np.arange(len(rows)), targets][:, None]
    expected = 1.0 + (chosen > target_scores).sum(axis=1) + ((chosen == target_scores).sum(axis=1) - 1) / 2.0
    assert np.array_equal(validation.tied_rank(scores, targets, rows), expected)
    assert np.array_equal(validation.tied_rank(chosen, targets), expected)
    assert validation.tied_rank(scores[4:5], np.array([0]))[0] == 1.0 + 499 / 2


def test_als_factors_auto_keep_the_swept_256_on_small_data_and_bound_the_work_at_scale():
    from allstore.personalize.recipes.baselines import ALS_WORK, auto_factors

    assert auto_factors(260_739, 35_598, 18_357) == 256  # Sports 2014's training part
    assert auto_factors(190_000, 10_000, 5_000) == 256  # the synthetic store, seed 42
    assert auto_factors(3_000_000, 150_000, 100_000) == 128
    assert auto_factors(25_000_000, 1_250_000, 300_000) == 64
    assert auto_factors(10**10, 10**9, 10**7) == 32  # never fewer
    chosen = auto_factors(25_000_000, 1_250_000, 300_000)
    assert (
        25_000_000 * chosen + 1_550_000 * chosen**2
        <= ALS_WORK
        < 25_000_000 * 2 * chosen + 1_550_000 * (2 * chosen) ** 2
    )


def test_als_reports_what_auto_settled_on_and_honours_a_given_count(store_data, monkeypatch):
    from allstore.personalize.recipes import baselines

    rows = {
        row["model"]: row
        for row in commands.compare(
            store_data, commands.resolve_recipes(["popularity"]), "leave-one-out"
        ).results
    }
    assert rows["implicit-als"]["hyperparameters"]["factors"] == "256"
    monkeypatch.setattr(baselines, "ALS_WORK", 1.0)  # as if the data were huge: the fewest factors
    model = baselines.ImplicitAls().fit(store_data, {"iterations": "2"})
    assert model.als.factors == 32 and model.settled_hyperparameters == {"factors": "32"}
    given = baselines.ImplicitAls().fit(store_data, {"factors": "40", "iterations": "2"})
    assert given.als.factors == 40 and given.settled_hyperparameters == {"factors": "40"}
    with pytest.raises(ValueError, match="factors"):
        baselines.ImplicitAls().fit(store_data, {"factors": "lots"})


def test_tuning_validates_on_at_most_max_users(store_data):
    from allstore.personalize import evaluation_tuning
    from allstore.personalize.recipes import get_recipe

    test = evaluation.protocol_split(store_data, "leave-one-out")
    recipe = get_recipe("aws-sims")
    whole = evaluation_tuning.tune(
        recipe, store_data, "leave-one-out", test, budget_seconds=0, max_users=None
    )
    assert whole.validation_users > 40
    sampled = evaluation_tuning.tune(
        recipe, store_data, "leave-one-out", test, budget_seconds=0, max_users=40
    )
    assert sampled.validation_users == 40


def test_als_scores_with_one_blas_thread_and_restores_the_pool(store_data):
    from threadpoolctl import threadpool_info

    from allstore.personalize.recipes import baselines

    model = baselines.ImplicitAls().fit(store_data, {"iterations": "2", "factors": "8"})
    before = [pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"]
    seen = []
    real = model.als.recalculate_user

    def spy(*arguments):
        seen.append([pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"])
        return real(*arguments)

    model.als.recalculate_user = spy
    histories = [store_data.items[:3].tolist(), store_data.items[5:6].tolist()]
    scores = model.score_histories(histories)
    assert scores.shape == (2, len(store_data.items)) and scores.dtype == np.float32
    assert seen and all(threads == 1 for threads in seen[0])
    assert [pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"] == before
    assert np.allclose(scores[1], model.score_history(histories[1]))


def _assert_same_data(got: TrainingData, want: TrainingData) -> None:
    for name in ("users", "items", "user_codes", "item_codes", "timestamps", "event_types", "event_values"):
        a, b = getattr(got, name), getattr(want, name)
        assert a.dtype.kind == b.dtype.kind and (name == "event_types" or a.dtype == b.dtype), name
        assert np.array_equal(a, b, equal_nan=name == "event_values"), name
    assert (got.item_metadata, got.user_metadata) == (want.item_metadata, want.user_metadata)


@pytest.mark.parametrize("seed", [0, 1])
def test_from_codes_is_from_columns_of_the_decoded_ids(seed):
    """A reader's codes (distinct values unsorted, some unused, equal timestamps, a catalogue with
    new and known items) give the TrainingData the decoded string columns give."""
    rng = np.random.default_rng(seed)
    n = 3_000
    distinct_users = np.array([f"user-{k:04d}" for k in rng.permutation(300)])
    distinct_items = np.array([f"B{k:05d}" for k in rng.permutation(120)])
    distinct_types = np.array(["view", "purchase", "click", "unused-type"])
    user_codes = rng.integers(0, 290, n).astype(np.int32)  # the last ten distinct users never occur
    item_codes = rng.integers(0, 115, n).astype(np.int32)
    type_codes = rng.integers(0, 3, n).astype(np.int32)
    timestamps = 1_700_000_000 + rng.integers(0, 200, n) * 60  # many equal: file order then
    values = np.where(rng.random(n) < 0.3, np.nan, rng.random(n)).astype(np.float32)
    catalogue = ["Z-never-seen", str(distinct_items[3]), "A-new"]
    metadata = {item: {"CATEGORY_L1": "x"} for item in catalogue}
    want = TrainingData.from_columns(
        distinct_users[user_codes],
        distinct_items[item_codes],
        timestamps,
        distinct_types[type_codes],
        values,
        catalogue=catalogue,
        item_metadata=metadata,
    )
    got = TrainingData.from_codes(
        user_codes,
        distinct_users,
        item_codes,
        distinct_items,
        timestamps,
        type_codes,
        distinct_types,
        values,
        catalogue=catalogue,
        item_metadata=metadata,
    )
    _assert_same_data(got, want)
    assert len(got.users) == len(np.unique(user_codes))  # unused distinct values are not users
    bare = TrainingData.from_codes(user_codes, distinct_users, item_codes, distinct_items, timestamps)
    _assert_same_data(
        bare, TrainingData.from_columns(distinct_users[user_codes], distinct_items[item_codes], timestamps)
    )
    with pytest.raises(ValueError, match="same length"):
        TrainingData.from_codes(user_codes[:-1], distinct_users, item_codes, distinct_items, timestamps)


def test_evaluate_reads_into_the_same_training_data_as_the_string_columns(store_csv, monkeypatch):
    """`allstore evaluate` builds its TrainingData from the reader's codes, equal to the strings' one."""
    from allstore.data.interactions import read_interactions

    built = []
    original = TrainingData.from_codes.__func__

    def spy(cls, *arguments, **options):
        built.append(original(cls, *arguments, **options))
        return built[-1]

    monkeypatch.setattr(TrainingData, "from_codes", classmethod(spy))
    monkeypatch.setattr(TrainingData, "from_columns", None)  # not the string path
    app = typer.Typer()
    app.command()(commands.evaluate)
    result = CliRunner().invoke(app, ["--interactions", store_csv, "--recipe", "popularity", "--json"])
    assert result.exit_code == 0, result.output
    monkeypatch.undo()
    columns = read_interactions(store_csv)
    expected = TrainingData.from_columns(
        columns.user_ids, columns.item_ids, columns.timestamps, columns.event_types, columns.event_values
    )
    assert len(built) == 1
    _assert_same_data(built[0], expected)


def test_rows_with_the_same_fit_train_once_and_score_as_they_would_apart(store_data, monkeypatch):
    """Personalized-Ranking fits User-Personalization's model, Item-Attribute-Affinity
    Item-Affinity's: one fit each in a run with all four, and every row as when it runs alone."""
    from allstore.personalize.recipes import RECIPES

    names = [
        "aws-user-personalization",
        "aws-personalized-ranking",
        "aws-item-affinity",
        "aws-item-attribute-affinity",
    ]
    recipes = [RECIPES[name] for name in names]
    fitted = []
    shared_fit = evaluation.SharedFits.fit

    def counting(self, recipe, training, hyperparameters, part):
        def counted():  # asked for only when the model is fitted, not when an earlier row's is kept
            fitted.append(recipe.name)
            return training()

        return shared_fit(self, recipe, counted, hyperparameters, part)

    monkeypatch.setattr(evaluation.SharedFits, "fit", counting)
    together = commands.compare(store_data, recipes, "leave-one-out", baselines=False)
    assert fitted == ["aws-user-personalization", "aws-item-affinity"]
    fitted.clear()
    apart = [commands.compare(store_data, [recipe], "leave-one-out", baselines=False) for recipe in recipes]
    assert fitted == names

    def rows(comparison):
        tables = [comparison, *([comparison.ranking] if comparison.ranking else [])]
        return {
            row["model"]: {k: v for k, v in row.items() if not k.endswith("_seconds")}
            for table in tables
            for row in table.results
        }

    alone = {name: row for comparison in apart for name, row in rows(comparison).items()}
    assert rows(together) == alone
    shared = {row["model"]: row["train_seconds"] for row in [*together.results, *together.ranking.results]}
    assert shared["user-personalization"] == shared["personalized-ranking"]  # the one fit's seconds


_FITTED: list[str] = []


class _Counted:
    """A recipe whose fits are counted; `scale` (set by a subclass) changes what it fits."""

    name = "counted"
    recipe_type = "USER_PERSONALIZATION"
    default_hyperparameters = MappingProxyType({})

    def fit(self, data, hyperparameters):
        _FITTED.append(self.name)
        return object()


class _Renamed(_Counted):
    name = "renamed"
    description = "the same fit under another name"


class _Scaled(_Counted):
    name = "scaled"
    scale = 2.0  # a fit could read it: not the same fit


def test_shared_fits_keep_a_model_only_until_its_last_row_and_never_across_a_fitting_attribute():
    data = TrainingData.from_columns(["u"], ["a"], [1])
    plan = [(_Counted(), {}), (_Renamed(), {}), (_Scaled(), {}), (_Counted(), {"x": "1"})]
    fits = evaluation.SharedFits(plan)
    _FITTED.clear()
    first, _ = fits.fit(_Counted(), lambda: data, {}, "seed 0")
    assert fits._kept  # the renamed row will ask for it
    second, _ = fits.fit(_Renamed(), lambda: data, {}, "seed 0")
    assert second is first and not fits._kept  # its last row had it: dropped
    assert fits.fit(_Scaled(), lambda: data, {}, "seed 0")[0] is not first
    assert fits.fit(_Counted(), lambda: data, {"x": "1"}, "seed 0")[0] is not first  # other hyperparameters
    third, _ = fits.fit(_Counted(), lambda: data, {}, "seed 1")
    assert third is not first  # another training part (a split seed)
    assert fits.fit(_Renamed(), lambda: data, {}, "seed 1")[0] is third
    assert _FITTED == ["counted", "scaled", "counted", "counted"] and not fits._kept


def _dense_lists(scores: np.ndarray, lists) -> np.ndarray:
    """Rows as the ranking task ranked them before: -inf but for each row's list."""
    listed = np.full(scores.shape, -np.inf, dtype=scores.dtype)
    for row, codes in enumerate(lists):
        listed[row, codes] = scores[row, codes]
    return listed


@pytest.mark.parametrize("n_items", [40, 3_000])
def test_ranking_lists_from_their_own_scores_is_ranking_the_masked_catalogue_rows(n_items):
    """Ties inside a list, -inf (excluded) and NaN scores, a target outside its list, several
    targets in a row, lists shorter than the depth and than the others, an empty list."""
    rng = np.random.default_rng(n_items)
    n_rows = 30
    scores = (np.round(rng.random((n_rows, n_items)) * 8) / 8).astype(np.float32)  # many ties
    scores[rng.random(scores.shape) < 0.1] = -np.inf
    scores[0, :5] = np.nan
    lists = [
        rng.choice(n_items, size=min(n_items, 100 if row % 3 else 7), replace=False) for row in range(n_rows)
    ]
    lists[4] = lists[4][:0]
    lists[0] = np.concatenate([np.arange(5), lists[0]])[:20]  # NaN scores listed
    rows = np.repeat(np.arange(n_rows), rng.integers(1, 4, n_rows))
    targets = np.array(
        [
            rng.choice(lists[row]) if len(lists[row]) and k % 4 else rng.integers(n_items)
            for k, row in enumerate(rows)
        ]
    )
    targets[0] = 0  # a NaN target
    dense = _dense_lists(scores, lists)
    for depth in (1, 10, 25):
        top, ranks = evaluation._rank_lists(scores, lists, rows, targets, depth)
        assert np.array_equal(top, evaluation._top_items(dense, depth))
        expected = validation.tied_rank(dense, targets, rows)
        assert np.array_equal(ranks, expected)


def test_one_scoring_pass_ranks_the_catalogue_and_the_lists_as_apart(store_data):
    split = evaluation.protocol_split(store_data, "personalize", 2)
    from allstore.personalize.evaluation_candidates import candidate_lists
    from allstore.personalize.recipes import RECIPES

    recipe = RECIPES["aws-user-personalization"]
    model = recipe.fit(split.training(store_data), recipe.default_hyperparameters)
    lists = candidate_lists(len(store_data.items), split.inputs, split.relevant, 2)
    both = evaluation.rank_tasks(
        model, recipe.recipe_type, store_data, split, 25, {"catalogue": None, "ranking": lists}
    )
    whole = evaluation.rank_fitted(model, recipe.recipe_type, store_data, split, 25, None)
    # The ranking task as it was: the catalogue's scores masked to each list, ranked densely.
    scores = validation.score_batch(
        model, recipe.recipe_type, [store_data.items[c].tolist() for c in split.inputs]
    )
    validation.exclude_seen(scores, split.inputs)
    dense = _dense_lists(scores, lists)
    targets = np.concatenate(split.relevant)
    assert np.array_equal(both["catalogue"].ranks, whole.ranks) and np.array_equal(
        both["catalogue"].top, whole.top
    )
    assert np.array_equal(both["ranking"].ranks, validation.tied_rank(dense, targets, both["ranking"].rows))
    assert np.array_equal(both["ranking"].top, evaluation._top_items(dense, 25))
    assert both["ranking"].reranked and not both["catalogue"].reranked


def test_segment_ranks_of_some_users_are_the_whole_rankings_with_ties_and_excluded_users():
    rng = np.random.default_rng(3)
    scores = np.round(rng.random(5_000) * 50) / 50  # many ties
    scores[rng.random(5_000) < 0.2] = -np.inf  # users who had the query's items
    scores[[7, 8]] = np.nan
    entries = np.concatenate([rng.choice(5_000, 300, replace=False), [7]])
    assert np.array_equal(
        evaluation._ranks_of(scores, entries), evaluation._ranks(scores)[entries], equal_nan=True
    )
    finite = np.where(np.isnan(scores), 0.0, scores)
    assert np.array_equal(evaluation._ranks_of(finite, entries), evaluation._ranks(finite)[entries])


def test_users_of_items_are_the_rows_with_any_entry_in_their_columns():
    import scipy.sparse as sp

    rng = np.random.default_rng(4)
    matrix = sp.random(400, 60, density=0.05, format="csr", random_state=5, dtype=np.float32)
    matrix.data[:] = 1.0
    for items in (np.array([3]), rng.choice(60, 12, replace=False), np.array([], dtype=np.int64)):
        expected = np.asarray(matrix[:, items].sum(axis=1)).ravel() > 0
        assert np.array_equal(evaluation._users_of(matrix.tocsc(), items), expected)
