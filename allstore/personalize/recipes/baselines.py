"""Reference models from the `implicit` library, for `allstore evaluate` to compare recipes against.

They follow the recipe contract so the evaluation harness treats them exactly like the recipes
(same split, same exclusions, same metrics), but they are not registered with the service.
Popularity, the third baseline, is the aws-popularity-count recipe itself; segment recipes are
compared with the most active users (ActiveUsers).
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence

import numpy as np
import scipy.sparse as sp
from implicit.cpu.als import AlternatingLeastSquares
from implicit.nearest_neighbours import CosineRecommender
from implicit.utils import ParameterWarning
from threadpoolctl import ThreadpoolController, threadpool_limits

from allstore.personalize.recipes import item_graph
from allstore.personalize.recipes.base import TrainingData
from allstore.personalize.recipes.hyperparameters import read_float, read_int
from allstore.personalize.recipes.item_affinity import SegmentModel
from allstore.personalize.recipes.item_model import ItemToItemModel


def _user_items(data: TrainingData):
    """Binary users × items matrix of the training data."""
    return item_graph.user_item_matrix(data.user_codes, data.item_codes, len(data.users), len(data.items))


# factors "auto": the most of these whose fit stays within ALS_WORK (below), so that the baseline
# keeps its swept 256 factors on data of Sports 2014's size and stays within `allstore evaluate`'s
# budget at 25M interactions, where 256 factors would take more CPU than every other model together.
ALS_FACTORS = (256, 128, 64, 32)
# One iteration's work, in multiply-adds: each interaction once per factor (the conjugate-gradient
# products) and each user and item once per pair of factors (the Gram products): Sports 2014 is
# about 4e9 at 256 factors, the synthetic store (seed 42) 1e9, 25M interactions / 300k items 1e11.
ALS_WORK = 1.5e10


def auto_factors(n_interactions: int, n_users: int, n_items: int) -> int:
    """The most factors of ALS_FACTORS with an iteration's work within ALS_WORK (at least the fewest)."""
    for factors in ALS_FACTORS:
        if n_interactions * factors + (n_users + n_items) * factors * factors <= ALS_WORK:
            return factors
    return ALS_FACTORS[-1]


_controller: list[ThreadpoolController] = []


def _one_blas_thread():
    """threadpool_limits(1, "blas") without scanning the loaded libraries again on every call: a
    score chunk is 27 users at 300k items, so 1,850 scans for 50,000 users (each about 1 ms, and
    one in twelve of the samples of ALS's scoring at 25M interactions)."""
    if not _controller:
        _controller.append(ThreadpoolController())
    return _controller[0].limit(limits=1, user_api="blas")


class AlsModel:
    """Implicit-feedback matrix factorisation; a history is folded in as a new user.
    `settled_hyperparameters`: what "auto" became."""

    def __init__(self, items: np.ndarray, als: AlternatingLeastSquares, settled: Mapping[str, str]) -> None:
        self.items = items
        self.index = {item: code for code, item in enumerate(items.tolist())}
        self.als = als
        self.settled_hyperparameters = dict(settled)

    def score_histories(self, histories: Sequence[Sequence[str]]) -> np.ndarray:
        rows, cols = [], []
        for row, history in enumerate(histories):
            codes = {self.index[item] for item in history if item in self.index}
            rows.extend([row] * len(codes))
            cols.extend(codes)
        matrix = item_graph.user_item_matrix(np.array(rows), np.array(cols), len(histories), len(self.items))
        with _one_blas_thread():
            factors = self.als.recalculate_user(np.arange(len(histories)), matrix)
        return np.asarray(factors @ self.als.item_factors.T, dtype=np.float32)

    def score_history(self, history: Sequence[str], timestamps: Sequence[int] | None = None) -> np.ndarray:
        return self.score_histories([history])[0]

    def score_item(self, item_id: str) -> np.ndarray | None:
        code = self.index.get(item_id)
        if code is None:
            return None
        scores = np.asarray(self.als.item_factors @ self.als.item_factors[code], dtype=np.float32)
        scores[code] = -np.inf
        return scores


class ImplicitAls:
    """`implicit` ALS (Hu, Koren & Volinsky 2008). Defaults are the best of a small sweep on Sports
    2014 (factors 64–256, regularisation 0.01–0.5, alpha 1–40), so the comparison is fair to it;
    factors "auto" is that sweep's 256 where the data is small enough (`auto_factors`)."""

    name = "implicit-als"
    recipe_type = "USER_PERSONALIZATION"
    description = "Baseline: implicit-feedback alternating least squares from the implicit library."
    default_hyperparameters: Mapping[str, str] = {
        "factors": "auto",
        "regularization": "0.5",
        "alpha": "10",
        "iterations": "15",
    }

    def fit(self, data: TrainingData, hyperparameters: Mapping[str, str]) -> AlsModel:
        hp = {**self.default_hyperparameters, **hyperparameters}
        if hp["factors"] == "auto":
            hp["factors"] = str(auto_factors(len(data.user_codes), len(data.users), len(data.items)))
        # implicit parallelises itself; BLAS threads on top of it only contend (implicit's advice).
        with threadpool_limits(1, "blas"):
            als = AlternatingLeastSquares(
                factors=read_int(hp, "factors", 1, 1024),
                regularization=read_float(hp, "regularization", 0.0, 1000.0),
                alpha=read_float(hp, "alpha", 0.0, 1000.0),
                iterations=read_int(hp, "iterations", 1, 100),
                random_state=0,
            )
            als.fit(_user_items(data), show_progress=False)
        return AlsModel(data.items, als, {"factors": hp["factors"]})


class ItemKnnCosine:
    """`implicit` item-kNN with cosine similarity over users (Sarwar et al. 2001); 300 neighbours
    beat 20, 50 and 100 on Sports 2014."""

    name = "itemknn-cosine"
    recipe_type = "USER_PERSONALIZATION"
    description = "Baseline: item-to-item cosine similarity from the implicit library."
    default_hyperparameters: Mapping[str, str] = {"neighbours": "300"}

    def fit(self, data: TrainingData, hyperparameters: Mapping[str, str]) -> ItemToItemModel:
        hp = {**self.default_hyperparameters, **hyperparameters}
        knn = CosineRecommender(K=read_int(hp, "neighbours", 1, 5000))
        with warnings.catch_warnings():
            # implicit transposes our CSR matrix internally and then warns that it is not CSR.
            warnings.simplefilter("ignore", ParameterWarning)
            knn.fit(_user_items(data), show_progress=False)
        # Unweighted history (decay 1, whole history): the classic item-kNN user score.
        return ItemToItemModel(data.items, knn.similarity, np.zeros(len(data.items)), 1.0, 1_000_000)


BASELINES = (ImplicitAls(), ItemKnnCosine())


class ActiveUsers:
    """Segment baseline: the most active users, whatever the item (what a segment must beat)."""

    recipe_type = "USER_SEGMENTATION"
    description = "Baseline: users ranked by how many interactions they have."
    default_hyperparameters: Mapping[str, str] = {}

    def __init__(self, segment_queries: str = "items") -> None:
        self.segment_queries = segment_queries
        self.name = "active-users" if segment_queries == "items" else f"active-users-{segment_queries}"

    def fit(self, data: TrainingData, hyperparameters: Mapping[str, str]) -> SegmentModel:
        n_users, n_items = len(data.users), len(data.items)
        counts = np.bincount(data.user_codes, minlength=n_users).astype(np.float32)
        empty = sp.csr_matrix((n_users, n_items), dtype=np.float32)
        return SegmentModel(data.users, data.items, empty, sp.csr_matrix((n_items, n_items)), 0.0, counts, {})
