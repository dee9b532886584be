"""The runtime API (GetRecommendations, GetPersonalizedRanking): a deployed model's scores for a
user's history (training history plus events recorded since) or an item, then filters, top-N
selection and scores as the service reports them.

Everything per request is vectorised: one score vector from the model, boolean masks for filters
(cached per catalogue), and numpy argpartition for the top N.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Sequence
from typing import Any

import numpy as np

from allstore.personalize.errors import invalid_input
from allstore.personalize.filters import (
    CatalogueIndex,
    FilterContext,
    FilterExpression,
    allowed_items,
    parse_filter,
    parse_filter_values,
)
from allstore.personalize.state.models import ModelBundle
from allstore.personalize.state.service_state import ServiceState

DEFAULT_NUM_RESULTS = 25
MAX_NUM_RESULTS = 500
MAX_INPUT_LIST = 500
SCORED_TYPES = ("USER_PERSONALIZATION", "PERSONALIZED_RANKING")  # SIMS and popularity return no score


def probabilities(scores: np.ndarray, chosen: np.ndarray) -> np.ndarray:
    """The `chosen` items' shares of a distribution over all scored items that sums to 1 (items
    scored -inf get 0): proportional for non-negative scores, a softmax otherwise."""
    finite = scores[np.isfinite(scores)]
    if not len(finite) or not len(chosen):
        return np.zeros(len(chosen))
    if finite.min() >= 0 and (total := finite.sum()) > 0:
        return scores[chosen] / total
    peak = finite.max()
    return np.exp(scores[chosen] - peak) / np.exp(finite - peak).sum()


def top_n(scores: np.ndarray, allowed: np.ndarray | None, n: int) -> np.ndarray:
    """Indices of the n best allowed, finitely scored items, best first."""
    candidates = scores if allowed is None else np.where(allowed, scores, -np.inf)
    n = min(n, len(candidates))
    if n <= 0:
        return np.array([], dtype=np.int64)
    best = np.argpartition(-candidates, n - 1)[:n] if n < len(candidates) else np.arange(len(candidates))
    best = best[np.argsort(-candidates[best], kind="stable")]
    return best[np.isfinite(candidates[best])]


class RuntimeApi:
    """GetRecommendations and GetPersonalizedRanking over the deployed models."""

    def __init__(self, state: ServiceState) -> None:
        self.state = state
        self._lock = threading.Lock()
        self._catalogues: dict[str, tuple[int, CatalogueIndex]] = {}
        self._filters: dict[str, tuple[str, FilterExpression]] = {}

    # -- what a request needs ---------------------------------------------------------------------

    def _deployment(self, campaign_arn: str | None) -> tuple[dict[str, Any], ModelBundle]:
        if not campaign_arn:
            raise invalid_input(
                "campaignArn is required (recommenders are not supported by the local service)."
            )
        campaign = self.state.resources.active("campaign", campaign_arn, not_active=invalid_input)
        return campaign, self.state.models.load(campaign["solutionVersionArn"])

    def _group_of(self, campaign: dict[str, Any]) -> str:
        return self.state.resources.get("solution-version", campaign["solutionVersionArn"])["datasetGroupArn"]

    def _catalogue(self, version_arn: str, bundle: ModelBundle, group_arn: str) -> CatalogueIndex:
        """The filter index for this model's items, rebuilt when item metadata changes."""
        with self._lock:
            cached = self._catalogues.get(version_arn)
        if cached is not None and cached[0] == self.state.metadata.version:
            return cached[1]
        version = self.state.metadata.version
        catalogue = CatalogueIndex(bundle.model.items, self.state.metadata.rows(group_arn, "ITEMS"))
        with self._lock:
            self._catalogues[version_arn] = (version, catalogue)
        return catalogue

    def _filter(self, filter_arn: str, group_arn: str) -> FilterExpression:
        document = self.state.resources.active("filter", filter_arn, not_active=invalid_input)
        if document["datasetGroupArn"] != group_arn:
            raise invalid_input(f"Filter {filter_arn} belongs to another dataset group.")
        cached = self._filters.get(filter_arn)
        if cached is None or cached[0] != document["filterExpression"]:
            cached = (document["filterExpression"], parse_filter(document["filterExpression"]))
            self._filters[filter_arn] = cached
        return cached[1]

    def _history(self, bundle: ModelBundle, group_arn: str, user_id: str | None):
        """Item ids, timestamps and event types: the training history plus newer recorded events."""
        if not user_id:
            return [], [], []
        items, timestamps, event_types = bundle.training_history(user_id)
        items, timestamps, event_types = items.tolist(), timestamps.tolist(), event_types.tolist()
        for event in self.state.events.history(group_arn, user_id, bundle.events_seq):
            if event.unreadable() is not None:
                continue  # recorded before PutEvents checked it; training skips it too
            items.append(event.item_id)
            timestamps.append(int(event.sent_at))
            event_types.append(event.event_type)
        return items, timestamps, event_types

    def _allowed(
        self, params, campaign, bundle, group_arn, history, current_item_id=None
    ) -> np.ndarray | None:
        filter_arn = params.get("filterArn")
        if not filter_arn:
            if params.get("filterValues"):
                raise invalid_input("filterValues need a filterArn.")
            return None
        expression = self._filter(filter_arn, group_arn)
        values = parse_filter_values(params.get("filterValues"))
        unknown = set(values) - {name.upper() for name in expression.parameters}
        if unknown:
            raise invalid_input(
                f"filterValues has parameters the filter does not use: {', '.join(sorted(unknown))}."
            )
        interactions: dict[str, list[str]] = {}
        for item_id, event_type in zip(history[0], history[2], strict=True):
            interactions.setdefault(event_type, []).append(item_id)
        context = FilterContext(
            catalogue=self._catalogue(campaign["solutionVersionArn"], bundle, group_arn),
            interactions=interactions,
            params=values,
            current_item=self.state.metadata.rows(group_arn, "ITEMS").get(current_item_id)
            if current_item_id
            else None,
            current_user=self.state.metadata.rows(group_arn, "USERS").get(params.get("userId") or ""),
        )
        return allowed_items(expression, context)

    # -- operations -------------------------------------------------------------------------------

    def get_recommendations(self, params: dict[str, Any]) -> dict[str, Any]:
        campaign, bundle = self._deployment(params.get("campaignArn"))
        num_results = params.get("numResults", DEFAULT_NUM_RESULTS)
        if num_results > MAX_NUM_RESULTS:
            raise invalid_input(f"numResults must be at most {MAX_NUM_RESULTS}.")
        user_id, item_id = params.get("userId"), params.get("itemId")
        group_arn = self._group_of(campaign)
        recipe_type = bundle.recipe_type
        history = self._history(bundle, group_arn, user_id)
        exclude = None
        if recipe_type == "PERSONALIZED_RANKING":
            raise invalid_input("This campaign's recipe ranks items: call GetPersonalizedRanking.")
        if recipe_type == "RELATED_ITEMS":
            if not item_id:
                raise invalid_input("itemId is required for a related-items campaign.")
            scores = bundle.model.score_item(item_id)
            if scores is None:
                scores = bundle.popularity
            exclude = item_id
        elif recipe_type == "USER_PERSONALIZATION":
            if not user_id:
                raise invalid_input("userId is required for a User-Personalization campaign.")
            scores = bundle.model.score_history(history[0], history[1]) if history[0] else bundle.popularity
        else:  # POPULAR_ITEMS: the model decides (popularity, trending)
            scores = bundle.model.score_history(history[0], history[1])
        scores = np.asarray(scores, dtype=np.float64)
        allowed = self._allowed(params, campaign, bundle, group_arn, history, item_id)
        if exclude is not None and (row := bundle.item_row(exclude)) is not None:
            allowed = np.ones(len(scores), dtype=bool) if allowed is None else allowed
            allowed[row] = False
        best = top_n(scores, allowed, num_results)
        items = bundle.model.items[best].tolist()
        if recipe_type in SCORED_TYPES:
            shares = probabilities(scores, best).tolist()
            item_list = [
                {"itemId": item, "score": round(share, 7)} for item, share in zip(items, shares, strict=True)
            ]
        else:
            item_list = [{"itemId": item} for item in items]
        return {"itemList": item_list, "recommendationId": f"RID-{uuid.uuid4()}"}

    def get_personalized_ranking(self, params: dict[str, Any]) -> dict[str, Any]:
        campaign, bundle = self._deployment(params.get("campaignArn"))
        input_list: Sequence[str] = params["inputList"]
        if len(input_list) > MAX_INPUT_LIST:
            raise invalid_input(f"inputList must have at most {MAX_INPUT_LIST} items.")
        if bundle.recipe_type != "PERSONALIZED_RANKING":
            raise invalid_input(
                "This campaign does not rank items: GetPersonalizedRanking needs a Personalized-Ranking campaign."
            )
        group_arn = self._group_of(campaign)
        history = self._history(bundle, group_arn, params["userId"])
        scores = bundle.model.score_history(history[0], history[1]) if history[0] else bundle.popularity
        scores = np.asarray(scores, dtype=np.float64)
        allowed = self._allowed(params, campaign, bundle, group_arn, history)
        known, unknown, seen = [], [], set()
        for item in input_list:
            if item in seen:
                continue
            seen.add(item)
            index = bundle.item_row(item)
            if index is None:
                unknown.append(item)
            elif allowed is None or allowed[index]:
                known.append(index)
        known_scores = scores[known] if known else np.array([])
        order = np.argsort(-known_scores, kind="stable")
        shares = probabilities(known_scores, np.arange(len(known)))
        ranking = [
            {"itemId": bundle.model.items[known[rank]], "score": round(float(shares[rank]), 7)}
            for rank in order
        ]
        ranking += [{"itemId": item} for item in unknown]
        return {"personalizedRanking": ranking, "recommendationId": f"RID-{uuid.uuid4()}"}
