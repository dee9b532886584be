"""The current recipes beyond v1: the v2 limits and names, Similar-Items' metadata, the user
segment recipes (the methods batch segment jobs call) and Next-Best-Action over action interactions."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

from allstore.personalize.recipes import TrainingData, get_recipe
from allstore.personalize.recipes.item_affinity import parse_item_attributes
from allstore.personalize.recipes.v2 import MAX_ITEMS

from .test_recipes import CLUSTER_SIZE, N_ITEMS, sequential_interactions


@pytest.fixture(scope="module")
def clustered() -> TrainingData:
    """Users stay within one cluster of items; the Items dataset names each item's cluster."""
    metadata = {f"item-{k}": {"GENRES": f"cluster-{k // CLUSTER_SIZE}"} for k in range(N_ITEMS)}
    metadata["brand-new"] = {"GENRES": "cluster-2"}
    return TrainingData.from_columns(
        *sequential_interactions(), catalogue=[*metadata], item_metadata=metadata
    )


def test_v2_recipes_take_apply_recency_bias_and_refuse_more_than_5_million_items(clustered):
    recipe = get_recipe("aws-user-personalization-v2")
    assert "apply_recency_bias" in recipe.default_hyperparameters
    assert "recency_mask" not in recipe.default_hyperparameters
    flat = recipe.fit(clustered, {"apply_recency_bias": "false"})
    recent = recipe.fit(clustered, {})
    assert flat.history_decay == 1.0 and recent.history_decay < 1.0
    v1 = get_recipe("aws-user-personalization").fit(clustered, {})
    assert np.array_equal(
        recent.score_history(["item-2", "item-31"]), v1.score_history(["item-2", "item-31"])
    )
    with pytest.raises(ValueError, match="apply_recency_bias"):
        recipe.fit(clustered, {"apply_recency_bias": "maybe"})

    class Huge:
        items = np.arange(MAX_ITEMS + 1)

    with pytest.raises(ValueError, match="at most 5,000,000 items"):
        recipe.fit(Huge(), {})  # type: ignore[arg-type]
    assert get_recipe("aws-personalized-ranking-v2").recipe_type == "PERSONALIZED_RANKING"


def test_similar_items_relates_an_item_nobody_has_interacted_with_by_its_metadata(clustered):
    similar = get_recipe("aws-similar-items").fit(clustered, {})
    sims = get_recipe("aws-sims").fit(clustered, {})
    position = clustered.items.tolist().index
    cold = similar.score_item("brand-new")
    best = {clustered.items[code] for code in np.argsort(-cold)[:5]}
    assert best <= {f"item-{k}" for k in range(20, 30)}  # cluster-2, from GENRES alone
    # Its metadata weight is what sets it apart from SIMS: after item-25 the cold item of the same
    # genre is among the first ten, and scores three times what SIMS' gentler pull gives it.
    after = similar.score_item("item-25")
    assert int((after > after[position("brand-new")]).sum()) < CLUSTER_SIZE
    assert after[position("brand-new")] > 2.5 * sims.score_item("item-25")[position("brand-new")]


def test_item_affinity_segments_are_the_users_of_the_items_cluster(clustered):
    model = pickle.loads(pickle.dumps(get_recipe("aws-item-affinity").fit(clustered, {})))  # noqa: S301
    users = model.users_for_item("item-14", 20)
    assert len(users) == 20
    history = {}
    for user, item in zip(
        clustered.users[clustered.user_codes], clustered.items[clustered.item_codes], strict=True
    ):
        history.setdefault(user, []).append(
            int(item.removeprefix("item-")) if item.startswith("item-") else -1
        )
    in_cluster = [np.mean([code // CLUSTER_SIZE == 1 for code in history[user]]) > 0.5 for user in users]
    assert np.mean(in_cluster) >= 0.8  # the segment for item-14 shares the item's affinity (cluster 1)
    assert model.users_for_item("unknown", 3) == model.users[np.argsort(-model.activity)[:3]].tolist()
    scores = model.score_users_for_item("item-14")
    assert scores.shape == (len(clustered.users),)


def test_item_attribute_affinity_reads_the_query_language(clustered):
    model = get_recipe("aws-item-attribute-affinity").fit(clustered, {})
    assert parse_item_attributes('ITEMS.genres = "A" AND ITEMS.x = "b" OR ITEMS.genres = "C"') == [
        [("GENRES", "a"), ("X", "b")],
        [("GENRES", "c")],
    ]
    assert model.matching_items('ITEMS.GENRES = "cluster-4"').sum() == CLUSTER_SIZE
    users = model.users_for_attributes('ITEMS.genres = "cluster-4"', 15)
    codes = {user: [] for user in users}
    for user, item in zip(
        clustered.users[clustered.user_codes], clustered.items[clustered.item_codes], strict=True
    ):
        if user in codes:
            codes[user].append(int(item.removeprefix("item-")) // CLUSTER_SIZE)
    assert all(np.mean(np.array(found) == 4) > 0.5 for found in codes.values())
    for bad in ("genres = 'x'", 'ITEMS.genres = "x" XOR ITEMS.a = "b"', ""):
        with pytest.raises(ValueError, match=r"itemAttributes|AND or OR"):
            model.score_users_for_attributes(bad)


def test_segment_recipes_beat_the_most_active_users():
    from allstore.personalize.evaluation import segment_metrics
    from allstore.personalize.recipes.baselines import ActiveUsers

    data = TrainingData.from_columns(*sequential_interactions(n_users=400))
    affinity, _ = segment_metrics(get_recipe("aws-item-affinity"), data, {}, "personalize")
    active, _ = segment_metrics(ActiveUsers(), data, {}, "personalize")
    assert affinity["recall_at_5_percent"] > 2 * active["recall_at_5_percent"]


def action_interactions(n_users: int = 400, seed: int = 3) -> TrainingData:
    """Members take "join" and "app" together; "card" is taken by a third of everyone it is
    offered to; "old" has expired; "rare" has too few interactions to be scored."""
    rng = np.random.default_rng(seed)
    users, actions, times, kinds = [], [], [], []
    clock = 1_700_000_000
    for user in range(n_users):
        member = rng.random() < 0.5
        for action, rate in (
            ("join", 0.8 if member else 0.1),
            ("app", 0.8 if member else 0.1),
            ("card", 0.33),
            ("old", 0.5),
        ):
            clock += 60
            taken = rng.random() < rate
            users.append(f"u{user}")
            actions.append(action)
            times.append(clock)
            kinds.append("NOT_TAKEN" if action == "card" and not taken else "VIEWED")
            if taken:
                users.append(f"u{user}")
                actions.append(action)
                times.append(clock + 30)
                kinds.append("TAKEN")
    for k in range(5):
        users += [f"u{k}"]
        actions += ["rare"]
        times += [clock]
        kinds += ["TAKEN"]
    metadata = {
        "join": {"VALUE": 10.0},
        "app": {"VALUE": 1.0},
        "card": {"VALUE": 5.0, "REPEAT_FREQUENCY": 30},
        "old": {"EXPIRATION_TIMESTAMP": 1_600_000_000},
        "rare": {},
    }
    return TrainingData.from_columns(users, actions, times, kinds, item_metadata=metadata)


def test_next_best_action_learns_propensities_from_action_interactions():
    data = action_interactions()
    model = pickle.loads(pickle.dumps(get_recipe("aws-next-best-action").fit(data, {})))  # noqa: S301
    position = data.items.tolist().index
    now = int(data.timestamps.max())
    newcomer = model.score_user([], [], now)
    assert newcomer[position("old")] == -np.inf  # expired
    assert newcomer[position("rare")] == 0.0  # fewer than 50 interactions of each kind: not scored
    assert 0.2 < newcomer[position("card")] < 0.5
    # Someone who joined the loyalty programme is likely to install the app too.
    joined = model.score_user([("join", now)], [], now)
    assert joined[position("app")] > 1.5 * newcomer[position("app")]
    assert joined[position("join")] == -np.inf  # taken, no repeat frequency: done
    # A card taken 40 days ago may be offered again (repeat frequency 30 days), not one taken today.
    assert model.score_user([("card", now - 40 * 86400)], [], now)[position("card")] > 0
    assert model.score_user([("card", now)], [], now)[position("card")] == -np.inf
    declined = model.score_user([], ["card"], now)
    assert declined[position("card")] < newcomer[position("card")]


@pytest.mark.parametrize(
    ("n_users", "n_actions", "rows"), [(50, 7, 2_000), (90_000, 70_000, 30_000), (3, 2, 0)]
)
def test_action_pairs_are_np_unique_of_the_pair_codes(n_users, n_actions, rows):
    from allstore.personalize.recipes.next_best_action import _pairs

    rng = np.random.default_rng(n_users)
    users = rng.integers(n_users, size=rows).astype(np.int32)
    actions = rng.integers(n_actions, size=rows).astype(np.int32)
    pair_ids, pair_of = _pairs(users, actions, n_actions)
    expected_ids, expected_of = np.unique(users.astype(np.int64) * n_actions + actions, return_inverse=True)
    assert pair_ids.dtype == expected_ids.dtype and pair_of.dtype == expected_of.dtype
    assert np.array_equal(pair_ids, expected_ids) and np.array_equal(pair_of, expected_of)


def test_next_best_action_counts_the_users_who_took_each_two_actions():
    """The model's arrays against a row-by-row recount, on synthetic action interactions (each of
    60 products an action; offers, declines and takes at the store's times)."""
    from allstore.data import synthetic

    store = synthetic.generate_store(items=60, interactions=6_000, seed=4)
    types, actions = synthetic.action_interactions(store.catalogue, store.events.item, seed=4)
    events = store.events
    data = TrainingData.from_columns(
        store.user_ids[events.user],
        store.catalogue.asins[events.item],
        events.timestamp,
        np.array(synthetic.ACTION_EVENT_TYPES)[types],
        catalogue=list(actions),
        item_metadata=actions,
    )
    model = get_recipe("aws-next-best-action").fit(data, {"action_optimization_period": "7"})
    first_offer, first_take = {}, {}
    for user, action, at, kind in zip(
        data.user_codes.tolist(),
        data.item_codes.tolist(),
        data.timestamps.tolist(),
        data.event_types.tolist(),
        strict=True,
    ):
        first = first_take if kind == "TAKEN" else first_offer
        first[user, action] = min(first.get((user, action), at), at)
    taken_by = {}
    for (user, action), took in first_take.items():
        if took - min(first_offer.get((user, action), took), took) <= 7 * 86400:
            taken_by.setdefault(user, []).append(action)
    n_actions = len(data.items)
    together = np.zeros((n_actions, n_actions))
    for taken in taken_by.values():
        together[np.ix_(taken, taken)] += 1
    assert together.sum() > 10 * n_actions and (together > 0).sum() > 3 * n_actions  # pairs to count
    assert np.array_equal(model.together.toarray(), together)
    assert np.array_equal(model.taken_count, np.diag(together))
    exposed = np.bincount(
        [action for _, action in first_offer.keys() | first_take.keys()], minlength=n_actions
    )
    overall = np.diag(together).sum() / exposed.sum()
    assert np.allclose(model.base, (np.diag(together) + 10 * overall) / (exposed + 10))


def _item_masks_before(items, item_metadata):
    """Item-Attribute-Affinity's item values as they were kept before: a boolean mask over the
    catalogue per (FIELD, value), the reference the per-value item codes must index the same as."""
    position = {item: code for code, item in enumerate(items.tolist())}
    values = {}
    for item, fields in item_metadata.items():
        code = position.get(item)
        if code is None:
            continue
        for field, value in fields.items():
            if field.upper() == "ITEM_ID" or value is None:
                continue
            for part in str(value).split("|"):
                key = (field.upper(), part.strip().lower())
                if key not in values:
                    values[key] = np.zeros(len(items), dtype=bool)
                values[key][code] = True
    return values


def test_item_values_select_the_same_items_as_the_masks_did():
    from allstore.personalize.recipes.item_affinity import SegmentModel, _item_values

    rng = np.random.default_rng(3)
    items = np.array([f"i{k}" for k in range(200)])
    words = ["Tents", "tents ", "Camping", "Ätna", "a|a", "", " ", "B"]
    metadata = {}
    for item in [*items[rng.permutation(200)[:160]].tolist(), "not-in-catalogue"]:
        metadata[item] = {
            field: (
                None
                if rng.random() < 0.1
                else float(rng.integers(3))
                if rng.random() < 0.2
                else "|".join(rng.choice(words, size=rng.integers(1, 3)).tolist())
            )
            for field in rng.choice(["GENRES", "genres", "BRAND", "ITEM_ID", "PRICE"], size=3).tolist()
        }
    masks = _item_masks_before(items, metadata)
    values = _item_values(items, metadata)
    assert set(values) == set(masks)
    assert all(codes.dtype == np.int32 and np.all(np.diff(codes) > 0) for codes in values.values())

    def model(item_values):
        empty = np.zeros((3, len(items)), dtype=np.float32)
        return SegmentModel(
            np.array(["u0", "u1", "u2"]), items, empty, np.eye(len(items)), 1.0, np.zeros(3), item_values
        )

    now, before = model(values), model(masks)  # `before`: a model pickled with the old masks
    for key, mask in masks.items():
        assert np.array_equal(now.items_with(key), mask), key
        assert np.array_equal(before.items_with(key), mask), key
    assert not now.items_with(("GENRES", "unknown")).any()
    queries = [
        'ITEMS.genres = "tents"',
        'ITEMS.GENRES = "Tents" AND ITEMS.brand = "camping"',
        'ITEMS.genres = "ätna" OR ITEMS.BRAND = "b" AND ITEMS.price = "1.0"',
        'ITEMS.genres = ""',
        'ITEMS.genres = "nothing"',
    ]
    for query in queries:
        expected = np.zeros(len(items), dtype=bool)
        for group in parse_item_attributes(query):
            in_group = np.ones(len(items), dtype=bool)
            for key in group:
                in_group &= masks.get(key, np.zeros(len(items), dtype=bool))
            expected |= in_group
        assert np.array_equal(now.matching_items(query), expected), query
        assert np.array_equal(before.matching_items(query), expected), query
    assert sum(now.matching_items(query).any() for query in queries) >= 3
