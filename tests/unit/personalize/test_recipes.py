"""The recipe contract: registry, fit/score shapes, pickling, unknown input, hyperparameters, tuning."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

from allstore.personalize.evaluation import leave_one_out
from allstore.personalize.recipes import RECIPES, RetiredRecipe, TrainingData, get_recipe
from allstore.personalize.recipes.user_personalization import AUTO_WINDOWS

N_ITEMS = 60
CLUSTER_SIZE = 10


def sequential_interactions(n_users: int = 240, seed: int = 7) -> tuple[list[str], list[str], list[int]]:
    """Users walk through one cluster of items in order (item k, then k+1, ...), with 15% random
    detours: data with a sequential signal that popularity cannot capture."""
    rng = np.random.default_rng(seed)
    users, items, timestamps = [], [], []
    clock = 1_700_000_000
    for user in range(n_users):
        cluster = rng.integers(N_ITEMS // CLUSTER_SIZE)
        position = rng.integers(CLUSTER_SIZE)
        for _ in range(rng.integers(6, 13)):
            item = rng.integers(N_ITEMS) if rng.random() < 0.15 else cluster * CLUSTER_SIZE + position
            users.append(f"user-{user}")
            items.append(f"item-{item}")
            clock += int(rng.integers(1, 600))
            timestamps.append(clock)
            position = (position + 1) % CLUSTER_SIZE
    return users, items, timestamps


@pytest.fixture(scope="module")
def data() -> TrainingData:
    return TrainingData.from_columns(*sequential_interactions(), catalogue=["never-seen"])


def test_registry_maps_names_arns_and_refuses_retired_hrnn_recipes():
    assert set(RECIPES) == {
        "aws-user-personalization",
        "aws-user-personalization-v2",
        "aws-sims",
        "aws-similar-items",
        "aws-personalized-ranking",
        "aws-personalized-ranking-v2",
        "aws-popularity-count",
        "aws-trending-now",
        "aws-item-affinity",
        "aws-item-attribute-affinity",
        "aws-next-best-action",
    }
    assert get_recipe("arn:aws:personalize:::recipe/aws-sims").name == "aws-sims"
    for legacy in ("aws-hrnn", "aws-hrnn-metadata", "aws-hrnn-coldstart"):
        with pytest.raises(RetiredRecipe, match="no longer available; use aws-user-personalization-v2"):
            get_recipe(f"arn:aws:personalize:::recipe/{legacy}")
    with pytest.raises(KeyError, match="aws-nope"):
        get_recipe("aws-nope")


def test_from_columns_sorts_by_time_and_adds_catalogue_items():
    data = TrainingData.from_columns(["u2", "u1", "u1"], ["b", "a", "c"], [30, 10, 20], catalogue=["z"])
    assert data.items.tolist() == ["a", "b", "c", "z"]
    assert data.items[data.item_codes].tolist() == ["a", "c", "b"]
    assert data.users[data.user_codes].tolist() == ["u1", "u1", "u2"]
    assert data.timestamps.tolist() == [10, 20, 30]
    assert data.event_types.tolist() == ["", "", ""]
    assert np.isnan(data.event_values).all()


ITEM_RECIPES = sorted(
    name
    for name, recipe in RECIPES.items()
    if recipe.recipe_type not in ("USER_SEGMENTATION", "PERSONALIZED_ACTIONS")
)


@pytest.mark.parametrize("name", ITEM_RECIPES)
def test_every_recipe_scores_the_whole_catalogue_and_survives_pickling(name, data):
    recipe = RECIPES[name]
    model = pickle.loads(pickle.dumps(recipe.fit(data, recipe.default_hyperparameters)))  # noqa: S301 - our own bytes
    assert model.items.tolist() == data.items.tolist()
    for history in ([], ["item-3"], ["unknown", "item-3", "item-4"], ["unknown"]):
        scores = model.score_history(history)
        assert scores.shape == (len(data.items),)
        assert not np.isnan(scores).any()
    assert model.score_item("unknown") is None
    assert model.score_item("item-3").shape == (len(data.items),)


@pytest.mark.parametrize(
    "name",
    [
        "aws-user-personalization",
        "aws-personalized-ranking",
        "aws-user-personalization-v2",
        "aws-personalized-ranking-v2",
    ],
)
def test_personalised_recipes_follow_the_history_as_it_grows(name, data):
    """Real-time behaviour: a longer history changes the scores, without retraining."""
    recipe = RECIPES[name]
    model = recipe.fit(data, recipe.default_hyperparameters)
    before = model.score_history(["item-12"])
    after = model.score_history(["item-12", "item-44"])
    assert int(np.argmax(before)) == data.items.tolist().index("item-13")
    assert int(np.argmax(after)) == data.items.tolist().index("item-45")


def test_empty_or_unknown_history_gets_popular_items(data):
    model = get_recipe("aws-user-personalization").fit(data, {})
    counts = np.bincount(data.item_codes, minlength=len(data.items))
    for history in ([], ["unknown"]):
        assert int(np.argmax(model.score_history(history))) == int(np.argmax(counts))


def test_sims_finds_neighbours_and_never_the_item_itself(data):
    model = get_recipe("aws-sims").fit(data, {})
    scores = model.score_item("item-22")
    position = data.items.tolist().index
    assert scores[position("item-22")] == -np.inf
    best_three = {data.items[code] for code in np.argsort(-scores)[:3]}
    assert best_three <= {"item-21", "item-23", "item-20", "item-24"}


def test_popularity_ignores_the_history_and_trending_now_finds_growth():
    users = [f"u{k}" for k in range(12)]
    # "old" is popular two days ago; "rising" only in the last day.
    items = ["old"] * 6 + ["rising"] * 4 + ["old", "steady"]
    day = 86_400
    timestamps = [10 * day + k for k in range(6)] + [11 * day + 100 + k for k in range(6)]
    data = TrainingData.from_columns(users, items, timestamps)
    popularity = get_recipe("aws-popularity-count").fit(data, {})
    assert data.items[np.argmax(popularity.score_history(["rising"]))] == "old"
    trending = get_recipe("aws-trending-now").fit(data, {"trend_discovery_frequency": "1 day"})
    assert data.items[np.argmax(trending.score_history([]))] == "rising"
    with pytest.raises(ValueError, match="trend_discovery_frequency"):
        get_recipe("aws-trending-now").fit(data, {"trend_discovery_frequency": "2 weeks"})


def test_bptt_limits_the_history_and_recency_mask_turns_off_recency(data):
    recipe = get_recipe("aws-user-personalization")
    last_two = recipe.fit(data, {"bptt": "2"})  # the documented range is [2, 32]
    np.testing.assert_allclose(
        last_two.score_history(["item-33", "item-51", "item-5"]),
        last_two.score_history(["item-7", "item-51", "item-5"]),
    )
    with pytest.raises(ValueError, match="bptt"):
        recipe.fit(data, {"bptt": "1"})
    unordered = recipe.fit(data, {"recency_mask": "false"})
    np.testing.assert_allclose(
        unordered.score_history(["item-33", "item-5"]),
        unordered.score_history(["item-5", "item-33"]),
        rtol=1e-6,
    )
    recent = recipe.fit(data, {})
    assert not np.allclose(
        recent.score_history(["item-33", "item-5"]), recent.score_history(["item-5", "item-33"])
    )


def test_apply_recency_bias_is_v2s_recency_switch(data):
    """User-Personalization-v2's apply_recency_bias=false weighs a history's order equally, as
    v1's recency_mask=false does; true (the default) weighs the latest items more."""
    recipe = get_recipe("aws-user-personalization-v2")
    unordered = recipe.fit(data, {"apply_recency_bias": "false"})
    np.testing.assert_allclose(
        unordered.score_history(["item-33", "item-5"]),
        unordered.score_history(["item-5", "item-33"]),
        rtol=1e-6,
    )
    recent = recipe.fit(data, {})
    assert not np.allclose(
        recent.score_history(["item-33", "item-5"]), recent.score_history(["item-5", "item-33"])
    )
    with pytest.raises(ValueError, match="apply_recency_bias"):
        recipe.fit(data, {"apply_recency_bias": "sometimes"})


def test_sims_min_cointeraction_count_drops_rare_pairs(data):
    recipe = get_recipe("aws-sims")
    loose = recipe.fit(data, {"min_cointeraction_count": "1"}).neighbours.nnz
    strict = recipe.fit(data, {"min_cointeraction_count": "5"}).neighbours.nnz
    assert 0 < strict < loose


@pytest.mark.parametrize(
    ("hyperparameters", "message"),
    [
        ({"history_decay": "1.5"}, "history_decay must be between"),
        ({"bptt": "many"}, "bptt must be an integer"),
        ({"recency_mask": "yes"}, "recency_mask must be true or false"),
        ({"min_user_history_length_percentile": "0.9", "max_user_history_length_percentile": "0.1"}, "below"),
    ],
)
def test_bad_hyperparameters_are_rejected_with_their_name(hyperparameters, message, data):
    with pytest.raises(ValueError, match=message):
        get_recipe("aws-user-personalization").fit(data, hyperparameters)


@pytest.mark.parametrize("name", ["aws-user-personalization", "aws-sims"])
def test_tune_returns_a_full_valid_setting_and_keeps_what_the_caller_fixed(name, data):
    recipe = RECIPES[name]
    fixed = next(iter(recipe.search_space))
    chosen = recipe.search_space[fixed][0]
    tuned = recipe.tune(data, {fixed: chosen}, budget_seconds=5.0)
    assert set(tuned) == set(recipe.default_hyperparameters)
    assert tuned[fixed] == chosen
    recipe.fit(data, tuned)


def test_tune_searches_only_the_given_space_within_max_trials(data):
    """hpoConfig's ranges replace the recipe's own search space, each from its first candidate, and
    no more than max_trials trainings run on the validation split."""
    from allstore.personalize.recipes.sims import Sims

    fits: list[dict] = []

    class Counting(Sims):
        def fit(self, data, hyperparameters):
            fits.append(dict(hyperparameters))
            return super().fit(data, hyperparameters)

    recipe = Counting()
    space = {"popularity_discount_factor": ["0.2", "0.4", "0.6", "0.8"], "cointeraction_window": ["2", "4"]}
    tuned = recipe.tune(data, {}, budget_seconds=60.0, space=space, max_trials=3)
    assert len(fits) == 3
    assert {fit["cointeraction_window"] for fit in fits} == {"2"}  # the budget ended first
    assert {fit["whole_history_weight"] for fit in fits} == {"0.3"}  # not in the space: default
    assert tuned["popularity_discount_factor"] in space["popularity_discount_factor"][:3]


def test_categorical_features_weigh_rare_values_and_skip_near_unique_fields():
    from allstore.personalize.recipes.item_features import categorical_features

    items = np.array(["a", "b", "c", "d"])
    metadata = {
        "a": {"CATEGORY": "tents|camping", "TITLE": "Tent A", "PRICE": 10.0},
        "b": {"CATEGORY": "tents", "TITLE": "Tent B", "PRICE": 12.0},
        "c": {"CATEGORY": "camping", "TITLE": "Stove C"},
        "d": {"CATEGORY": "shoes", "TITLE": "Shoe D"},
    }
    features = categorical_features(items, metadata)
    similarity = (features @ features.T).toarray()
    assert similarity[0, 1] > 0 and similarity[0, 2] > 0  # both of a's "|"-separated values count
    assert similarity[1, 2] == 0  # titles are unique per item, so they relate nothing
    assert np.allclose(np.diag(similarity)[:3], 1.0)
    assert not similarity[3].any()  # "shoes" is on one item only: no feature left


def _categorical_features_before(items, item_metadata):
    """categorical_features as it was before the keys were numbered by a dict (np.unique over every
    (FIELD, value) key), with the same weighting: the reference the faster numbering must equal."""
    import scipy.sparse as sp

    from allstore.personalize.recipes.item_features import idf_normalised

    position = {item: code for code, item in enumerate(items.tolist())}
    rows, keys = [], []
    for item, fields in item_metadata.items():
        code = position.get(item)
        if code is None:
            continue
        for field, value in fields.items():
            if field.upper() == "ITEM_ID" or not isinstance(value, str) or not value:
                continue
            for part in value.split("|"):
                if part.strip():
                    rows.append(code)
                    keys.append((field.upper(), part.strip().lower()))
    n_items = len(items)
    if not rows:
        return sp.csr_matrix((n_items, 0), dtype=np.float32)
    unique_keys, columns = np.unique(np.array(keys, dtype=str), axis=0, return_inverse=True)
    return idf_normalised(
        sp.csr_matrix(
            (np.ones(len(rows), dtype=np.float32), (np.array(rows), columns.ravel())),
            shape=(n_items, len(unique_keys)),
        )
    )


@pytest.mark.parametrize("seed", range(4))
def test_categorical_features_are_the_same_as_before(seed):
    from allstore.personalize.recipes.item_features import categorical_features

    rng = np.random.default_rng(seed)
    items = np.array([f"i{k}" for k in range(300)])
    words = ["Tents", "tents ", "Camping", "stoves", "Ätna", "ßport", "b", "B", "a b", "Z", "", " "]
    fields = ["CATEGORY_L1", "category_l1", "BRAND", "Genres", "ITEM_ID", "A", "AB"]
    metadata = {}
    for item in [*items[rng.permutation(300)[:250]].tolist(), "not-in-catalogue"]:
        row = {}
        for field in rng.choice(fields, size=rng.integers(0, 5), replace=False).tolist():
            kind = rng.integers(6)
            if kind == 0:
                row[field] = float(rng.integers(100))  # numeric: left out
            elif kind == 1:
                row[field] = None
            else:
                row[field] = "|".join(rng.choice(words, size=rng.integers(1, 4)).tolist())
        metadata[item] = row
    metadata["i0"] = {"ONLY": "unique value"}  # a value one item has: a zero column
    new, old = categorical_features(items, metadata), _categorical_features_before(items, metadata)
    assert new.shape == old.shape and new.dtype == old.dtype
    assert np.array_equal(new.indptr, old.indptr) and np.array_equal(new.indices, old.indices)
    assert np.array_equal(new.data, old.data)
    empty = categorical_features(items, {"i1": {"PRICE": 3.0}})
    assert empty.shape == (300, 0) == _categorical_features_before(items, {"i1": {"PRICE": 3.0}}).shape


def test_item_metadata_reaches_items_nobody_has_interacted_with(data):
    """Cold start: a new tent with no interactions is recommended after tents, via its category."""
    users, items, timestamps = sequential_interactions()
    metadata = {f"item-{k}": {"CATEGORY_L1": f"cluster-{k // CLUSTER_SIZE}"} for k in range(N_ITEMS)}
    metadata["new-tent"] = {"CATEGORY_L1": "cluster-2"}
    with_metadata = TrainingData.from_columns(
        users, items, timestamps, catalogue=["new-tent"], item_metadata=metadata
    )
    new_tent = with_metadata.items.tolist().index("new-tent")
    for name in ("aws-user-personalization", "aws-sims"):
        recipe = get_recipe(name)
        model = recipe.fit(with_metadata, {})
        scores = model.score_item("item-25")
        unrelated = [with_metadata.items.tolist().index(f"item-{k}") for k in range(40, 50)]
        assert scores[new_tent] > scores[unrelated].max(), name
        without = recipe.fit(with_metadata, {"metadata_weight": "0"}).score_item("item-25")
        assert without[new_tent] < without[unrelated].max(), name
    history_scores = get_recipe("aws-user-personalization").fit(with_metadata, {}).score_history(["item-25"])
    assert history_scores[new_tent] > history_scores[unrelated].max()


def test_tune_keeps_the_starting_values_when_there_is_nothing_to_validate_on():
    single_events = TrainingData.from_columns(["u1", "u2"], ["a", "b"], [1, 2])
    recipe = get_recipe("aws-user-personalization")
    expected = {**recipe.default_hyperparameters, "bptt": "8", "transition_window": AUTO_WINDOWS[0]}
    assert recipe.tune(single_events, {"bptt": "8"}, 5.0) == expected


def test_auto_transition_window_picks_the_best_on_validation_and_an_explicit_one_is_kept(data):
    """Sequences that step through adjacent items favour a short window; the choice is the one a
    leave-one-out comparison would make, and a window the solution sets is used as given."""
    recipe = get_recipe("aws-user-personalization")
    scores = {window: leave_one_out(recipe, data, {"transition_window": window}) for window in AUTO_WINDOWS}
    best = max(AUTO_WINDOWS, key=lambda window: scores[window]["ndcg_at_10"])
    assert best == "3"
    auto = recipe.fit(data, {})
    explicit_best = recipe.fit(data, {"transition_window": best})
    explicit_other = recipe.fit(data, {"transition_window": "20"})
    assert (auto.neighbours != explicit_best.neighbours).nnz == 0
    assert (auto.neighbours != explicit_other.neighbours).nnz > 0
    assert recipe.tune(data, {}, budget_seconds=0.0)["transition_window"] == "3"
