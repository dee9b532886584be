"""Recommendations from a trained solution version, shared by every way of asking for them: the
runtime (campaigns, one request at a time) and batch inference jobs (a file of requests).

A model's scores for a user's history (training history plus events recorded since) or an item,
then filters, top-N selection and scores as the service reports them. Everything per request is
vectorised: one score vector from the model, boolean masks for filters (cached per catalogue), and
numpy argpartition for the top N.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from allstore.personalize.errors import invalid_input
from allstore.personalize.filters import (
    DATASETS,
    ID_FIELDS,
    CatalogueIndex,
    FilterContext,
    FilterExpression,
    allowed_items,
    parse_filter,
    parse_filter_values,
)
from allstore.personalize.state.events import EventStore
from allstore.personalize.state.kinds import Filter, SolutionVersion
from allstore.personalize.state.metadata import Metadata
from allstore.personalize.state.models import ModelBundle, ModelStore
from allstore.personalize.state.resources import ResourceStore

DEFAULT_NUM_RESULTS = 25
MAX_NUM_RESULTS = 500
MAX_INPUT_LIST = 500
DEFAULT_EXPLORATION_WEIGHT = 0.3  # the service's default explorationWeight
# What a User-Personalization campaign explores with when its campaignConfig does not say
# (the recipe's documented defaults: explorationWeight 0.3, explorationItemAgeCutOff 30 days).
DEFAULT_ITEM_EXPLORATION = {"explorationWeight": "0.3", "explorationItemAgeCutOff": "30.0"}
DAY_SECONDS = 86_400
SCORED_TYPES = ("USER_PERSONALIZATION", "PERSONALIZED_RANKING")  # SIMS and popularity return no score

History = tuple[list[str], list[int], list[str]]  # item ids, timestamps, event types, oldest first


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


@dataclass(frozen=True)
class Query:
    """One request for recommendations, however it arrived (a runtime call or a batch input line)."""

    user_id: str | None = None
    item_id: str | None = None
    num_results: int = DEFAULT_NUM_RESULTS
    filter_arn: str | None = None
    filter_values: Mapping[str, str] | None = None
    exploration: Mapping[str, str] | None = None  # itemExplorationConfig, when one is given
    ranking_influence: Mapping[str, float] | None = None  # rankingInfluence: POPULARITY, FRESHNESS
    promotions: Sequence[Mapping[str, Any]] | None = None  # GetRecommendations' promotions


def campaign_config_with_defaults(config: Mapping[str, Any] | None, recipe_type: str) -> dict[str, Any]:
    """The campaignConfig a campaign runs with, as DescribeCampaign shows it: a User-Personalization
    campaign explores with the documented defaults for what its itemExplorationConfig leaves out."""
    config = dict(config or {})
    if recipe_type == "USER_PERSONALIZATION":
        config["itemExplorationConfig"] = {
            **DEFAULT_ITEM_EXPLORATION,
            **config.get("itemExplorationConfig", {}),
        }
    if "itemExplorationConfig" in config:
        exploration_settings(config["itemExplorationConfig"])  # refused now, not at the first request
    return config


def exploration_settings(config: Mapping[str, str] | None) -> tuple[float, float | None]:
    """itemExplorationConfig as (explorationWeight, explorationItemAgeCutOff in days or None),
    InvalidInputException for names or values the service does not accept."""
    config = dict(config or {})
    unknown = set(config) - {"explorationWeight", "explorationItemAgeCutOff"}
    if unknown:
        raise invalid_input(
            f"itemExplorationConfig has {sorted(unknown)[0]!r}; it takes explorationWeight and "
            "explorationItemAgeCutOff."
        )
    try:
        weight = float(config.get("explorationWeight", DEFAULT_EXPLORATION_WEIGHT))
        cutoff = float(config["explorationItemAgeCutOff"]) if "explorationItemAgeCutOff" in config else None
    except ValueError:
        raise invalid_input("itemExplorationConfig values must be numbers.") from None
    if not 0.0 <= weight <= 1.0:
        raise invalid_input("itemExplorationConfig.explorationWeight must be between 0 and 1.")
    if cutoff is not None and cutoff <= 0:
        raise invalid_input(
            "itemExplorationConfig.explorationItemAgeCutOff must be a positive number of days."
        )
    return weight, cutoff


def _ranks(values: np.ndarray) -> np.ndarray:
    """Each value's rank among the finite ones, scaled to [0, 1] (1 = highest); equal values share
    the lowest of their ranks (items past the age cut-off are all equally "not new"); -inf stays -inf."""
    finite = np.isfinite(values)
    ranked = np.full(len(values), -np.inf)
    if finite.any():
        kept = values[finite]
        distinct, first = np.unique(np.sort(kept), return_index=True)
        ranked[finite] = first[np.searchsorted(distinct, kept)] / max(finite.sum() - 1, 1)
    return ranked


def explore(
    scores: np.ndarray, popularity: np.ndarray, weight: float, fresh: np.ndarray | None
) -> np.ndarray:
    """User-Personalization's exploration: rank-blend the model's scores with a preference for items
    with few interactions (cold items), by `weight` (0 = relevance only, 1 = most exploration); with an
    age cut-off only items created within it (`fresh`) get the preference."""
    if weight == 0.0:
        return scores
    coldness = -popularity.astype(np.float64)
    if fresh is not None:
        coldness = np.where(fresh, coldness, coldness.min(initial=0.0) - 1.0)
    relevance = _ranks(scores)
    # relevance also breaks ties in coldness (at weight 1, among items equally not new)
    blended = (1.0 - weight + 1e-6) * relevance + weight * _ranks(coldness)
    return np.where(np.isfinite(scores), blended, -np.inf)


class Inference:
    """Answers `Query`s with a solution version's model; caches the filter index per model."""

    def __init__(
        self, resources: ResourceStore, models: ModelStore, events: EventStore, metadata: Metadata
    ) -> None:
        self.resources, self.models, self.events, self.metadata = resources, models, events, metadata
        self._lock = threading.Lock()
        self._catalogues: dict[str, tuple[int, CatalogueIndex]] = {}
        self._filters: dict[str, tuple[str, FilterExpression]] = {}
        self._first_seen: dict[str, np.ndarray] = {}
        self._created: dict[str, tuple[int, np.ndarray]] = {}

    def group_of(self, version_arn: str) -> str:
        return self.resources.get(SolutionVersion, version_arn).dataset_group_arn

    def _catalogue(
        self, version_arn: str, ids: np.ndarray, group_arn: str, target: str = "ItemID"
    ) -> CatalogueIndex:
        """The filter index over a model's items, users or actions (`ids`, what a filter of `target`
        filters), with their dataset's metadata; rebuilt when the metadata changes."""
        key = f"{target}:{version_arn}"
        with self._lock:
            cached = self._catalogues.get(key)
        if cached is not None and cached[0] == self.metadata.version:
            return cached[1]
        version = self.metadata.version
        metadata_type = DATASETS[target][0].upper()
        catalogue = CatalogueIndex(ids, self.metadata.rows(group_arn, metadata_type), ID_FIELDS[target])
        with self._lock:
            self._catalogues[key] = (version, catalogue)
        return catalogue

    def _filter(self, filter_arn: str, group_arn: str, target: str = "ItemID") -> FilterExpression:
        filter_ = self.resources.active(Filter, filter_arn, not_active=invalid_input)
        if filter_.dataset_group_arn != group_arn:
            raise invalid_input(f"Filter {filter_arn} belongs to another dataset group.")
        cached = self._filters.get(filter_arn)
        if cached is None or cached[0] != filter_.filter_expression:
            cached = (filter_.filter_expression, parse_filter(filter_.filter_expression))
            self._filters[filter_arn] = cached
        if cached[1].target != target:
            raise invalid_input(
                f"Filter {filter_arn} filters {cached[1].target}; this request needs a filter of {target} "
                f"(INCLUDE/EXCLUDE {target} WHERE ...)."
            )
        return cached[1]

    def check_filter(self, filter_arn: str, group_arn: str, target: str = "ItemID") -> None:
        """ResourceNotFound / InvalidInput now, for a job that will apply the filter later."""
        self._filter(filter_arn, group_arn, target)

    def mask(
        self,
        filter_arn: str,
        filter_values: Mapping[str, str] | None,
        group_arn: str,
        catalogue: CatalogueIndex,
        interactions: Mapping[str, Sequence[str]],
        current_item: Mapping[str, Any] | None = None,
        current_user: Mapping[str, Any] | None = None,
    ) -> np.ndarray:
        """What the filter lets through of `catalogue` (whose target it must filter), with the
        request's filterValues (each must be a parameter of the filter)."""
        expression = self._filter(filter_arn, group_arn, _target_of(catalogue))
        values = parse_filter_values(filter_values)
        unknown = set(values) - {name.upper() for name in expression.parameters}
        if unknown:
            raise invalid_input(
                f"filterValues has parameters the filter does not use: {', '.join(sorted(unknown))}."
            )
        context = FilterContext(catalogue, interactions, values, current_item, current_user)
        return allowed_items(expression, context)

    def action_filter(
        self,
        version_arn: str,
        bundle: ModelBundle,
        group_arn: str,
        query: Query,
        history: History,
    ) -> np.ndarray:
        """GetActionRecommendations' filter (INCLUDE/EXCLUDE ActionID): a mask over the model's
        actions from the Actions dataset, the user's action interactions and CurrentUser."""
        return self.mask(
            query.filter_arn or "",
            query.filter_values,
            group_arn,
            self._catalogue(version_arn, bundle.model.items, group_arn, "ActionID"),
            _by_event_type(history[0], history[2]),
            current_user=self.metadata.rows(group_arn, "USERS").get(query.user_id or ""),
        )

    def history(self, bundle: ModelBundle, group_arn: str, user_id: str | None) -> History:
        """The training history plus newer recorded events."""
        if not user_id:
            return [], [], []
        items, timestamps, event_types = bundle.training_history(user_id)
        items, timestamps, event_types = items.tolist(), timestamps.tolist(), event_types.tolist()
        for event in self.events.history(group_arn, user_id, bundle.events_seq):
            if event.unreadable() is not None:
                continue  # recorded before PutEvents checked it; training skips it too
            items.append(event.item_id)
            timestamps.append(int(event.sent_at))
            event_types.append(event.event_type)
        return items, timestamps, event_types

    def _allowed(
        self, query: Query, version_arn: str, bundle: ModelBundle, group_arn: str, history: History
    ) -> np.ndarray | None:
        if not query.filter_arn:
            if query.filter_values:
                raise invalid_input("filterValues need a filterArn.")
            return None
        return self.mask(
            query.filter_arn,
            query.filter_values,
            group_arn,
            self._catalogue(version_arn, bundle.model.items, group_arn),
            _by_event_type(history[0], history[2]),
            current_item=self.metadata.rows(group_arn, "ITEMS").get(query.item_id) if query.item_id else None,
            current_user=self.metadata.rows(group_arn, "USERS").get(query.user_id or ""),
        )

    def recommend(
        self,
        version_arn: str,
        query: Query,
        group_arn: str | None = None,
        excluded_event_types: Sequence[str] = (),
    ) -> list[dict[str, Any]]:
        """GetRecommendations' itemList: `{"itemId", "score"?}` best first. A recommender's model is
        stored under its own ARN (`group_arn` given); its use case removes the user's items of
        `excluded_event_types` (training history and real-time events alike) before any filter."""
        if query.num_results > MAX_NUM_RESULTS:
            raise invalid_input(f"numResults must be at most {MAX_NUM_RESULTS}.")
        bundle = self.models.load(version_arn)
        group_arn = group_arn or self.group_of(version_arn)
        recipe_type = bundle.recipe_type
        history = self.history(bundle, group_arn, query.user_id)
        exclude = None
        if recipe_type == "PERSONALIZED_RANKING":
            raise invalid_input("This campaign's recipe ranks items: call GetPersonalizedRanking.")
        if recipe_type == "PERSONALIZED_ACTIONS":
            raise invalid_input("This campaign's recipe recommends actions: call GetActionRecommendations.")
        if recipe_type == "RELATED_ITEMS":
            if not query.item_id:
                raise invalid_input("itemId is required for a related-items campaign.")
            scores = bundle.model.score_item(query.item_id)
            if scores is None:
                scores = bundle.popularity
            exclude = query.item_id
        elif recipe_type == "USER_PERSONALIZATION":
            if not query.user_id:
                raise invalid_input("userId is required for a User-Personalization campaign.")
            scores = bundle.model.score_history(history[0], history[1]) if history[0] else bundle.popularity
            if query.exploration is not None:
                scores = self._explored(
                    np.asarray(scores, dtype=np.float64), version_arn, bundle, group_arn, query
                )
            if query.ranking_influence:
                scores = self._influenced(
                    np.asarray(scores, dtype=np.float64),
                    version_arn,
                    bundle,
                    group_arn,
                    query.ranking_influence,
                )
        else:  # POPULAR_ITEMS: the model decides (popularity, trending)
            scores = bundle.model.score_history(history[0], history[1])
        scores = np.asarray(scores, dtype=np.float64)
        allowed = self._allowed(query, version_arn, bundle, group_arn, history)
        excluded = [exclude] if exclude is not None else []
        excluded += [
            item for item, kind in zip(history[0], history[2], strict=True) if kind in excluded_event_types
        ]
        rows = [row for item in excluded if (row := bundle.item_row(item)) is not None]
        if rows:
            allowed = np.ones(len(scores), dtype=bool) if allowed is None else allowed
            allowed[rows] = False
        promotion, promoted = self._promoted(query, version_arn, bundle, group_arn, history, scores, rows)
        if len(promoted):
            allowed = np.ones(len(scores), dtype=bool) if allowed is None else allowed.copy()
            allowed[promoted] = False
        best = top_n(scores, allowed, query.num_results - len(promoted))
        if len(promoted):  # promoted items at random places, in their own order (the service's way)
            total = len(best) + len(promoted)
            places = np.zeros(total, dtype=bool)
            places[random.sample(range(total), len(promoted))] = True
            merged = np.empty(total, dtype=np.int64)
            merged[places], merged[~places] = promoted, best
            best = merged
        items = bundle.model.items[best].tolist()
        if recipe_type in SCORED_TYPES:
            shares = probabilities(scores, best).tolist()
            answer = [
                {"itemId": item, "score": round(share, 7)} for item, share in zip(items, shares, strict=True)
            ]
        else:
            answer = [{"itemId": item} for item in items]
        promoted_rows = set(promoted.tolist())
        for entry, row in zip(answer, best.tolist(), strict=True):
            if row in promoted_rows:
                entry["promotionName"] = promotion
        return answer

    def _promoted(
        self,
        query: Query,
        version_arn: str,
        bundle: ModelBundle,
        group_arn: str,
        history: History,
        scores: np.ndarray,
        excluded_rows: list[int],
    ) -> tuple[str | None, np.ndarray]:
        """The promotion's name and its items, best first: percentPromotedItems of numResults (rounded,
        at least one) chosen by the promotion's own filter, which replaces the request filter for them."""
        if not query.promotions:
            return None, np.array([], dtype=np.int64)
        if bundle.recipe_type not in ("USER_PERSONALIZATION", "RELATED_ITEMS"):
            raise invalid_input("Promotions apply only to User-Personalization and related-items campaigns.")
        promotion = query.promotions[0]
        name, percent, filter_arn = (
            promotion.get(key) for key in ("name", "percentPromotedItems", "filterArn")
        )
        if not name or percent is None or not filter_arn:
            raise invalid_input("A promotion needs a name, percentPromotedItems and a filterArn.")
        chosen = Query(
            user_id=query.user_id,
            item_id=query.item_id,
            filter_arn=filter_arn,
            filter_values=promotion.get("filterValues"),
        )
        allowed = np.array(self._allowed(chosen, version_arn, bundle, group_arn, history), dtype=bool)
        allowed[excluded_rows] = False  # the current item, and what a recommender's use case removes
        count = max(1, int(query.num_results * percent / 100 + 0.5))
        return name, top_n(scores, allowed, min(count, query.num_results))

    def _explored(
        self, scores: np.ndarray, version_arn: str, bundle: ModelBundle, group_arn: str, query: Query
    ) -> np.ndarray:
        weight, cutoff_days = exploration_settings(query.exploration)
        fresh = None
        if cutoff_days is not None:
            # The age is counted back from the latest interaction the model was trained on.
            created = self._creation_times(version_arn, bundle, group_arn)
            latest = float(bundle.history_timestamps.max()) if len(bundle.history_timestamps) else 0.0
            with np.errstate(invalid="ignore"):
                fresh = created >= latest - cutoff_days * DAY_SECONDS
        return explore(scores, bundle.popularity, weight, fresh)

    def _influenced(
        self,
        scores: np.ndarray,
        version_arn: str,
        bundle: ModelBundle,
        group_arn: str,
        influence: Mapping[str, float],
    ) -> np.ndarray:
        """rankingInfluence: the model's ranking blended with the items' popularity (interaction
        counts) and freshness (CREATION_TIMESTAMP, else the oldest interaction), each by its weight."""
        blended, total = _ranks(scores), 1.0
        if weight := float(influence.get("POPULARITY", 0.0)):
            blended, total = blended + weight * _ranks(bundle.popularity.astype(np.float64)), total + weight
        if weight := float(influence.get("FRESHNESS", 0.0)):
            created = self._creation_times(version_arn, bundle, group_arn)
            created = np.where(np.isfinite(created), created, created[np.isfinite(created)].min(initial=0.0))
            blended, total = blended + weight * _ranks(created), total + weight
        return np.where(np.isfinite(scores), blended / total, -np.inf)

    def _creation_times(self, version_arn: str, bundle: ModelBundle, group_arn: str) -> np.ndarray:
        """Each model item's CREATION_TIMESTAMP from the Items dataset or, as the service documents
        for a missing one, its oldest training interaction (inf for neither); built once per model
        and Items metadata version, not on every request (a loop over the whole catalogue)."""
        version = self.metadata.version
        with self._lock:
            cached = self._created.get(version_arn)
        if cached is not None and cached[0] == version:
            return cached[1]
        rows = self.metadata.rows(group_arn, "ITEMS")
        created = np.array(
            [float(rows.get(item, {}).get("CREATION_TIMESTAMP", np.nan)) for item in bundle.model.items]
        )
        created = np.where(np.isfinite(created), created, self._first_interactions(version_arn, bundle))
        created.setflags(write=False)  # shared by every request
        with self._lock:
            self._created[version_arn] = (version, created)
        return created

    def _first_interactions(self, version_arn: str, bundle: ModelBundle) -> np.ndarray:
        """Each model item's oldest training interaction (inf for none), computed once per model."""
        if (cached := self._first_seen.get(version_arn)) is None:
            items = bundle.model.items
            order = np.argsort(items, kind="stable")
            positions = np.searchsorted(items, bundle.history_items, sorter=order)
            codes = order[np.clip(positions, 0, max(len(order) - 1, 0))]
            cached = np.full(len(items), np.inf)
            if len(codes):
                np.minimum.at(cached, codes, bundle.history_timestamps.astype(np.float64))
            with self._lock:
                self._first_seen[version_arn] = cached
        return cached

    def rank(self, version_arn: str, query: Query, input_list: Sequence[str]) -> list[dict[str, Any]]:
        """GetPersonalizedRanking's personalizedRanking: the known items by score, then unknown ones."""
        if len(input_list) > MAX_INPUT_LIST:
            raise invalid_input(f"inputList must have at most {MAX_INPUT_LIST} items.")
        bundle = self.models.load(version_arn)
        if bundle.recipe_type != "PERSONALIZED_RANKING":
            raise invalid_input(
                "This campaign does not rank items: GetPersonalizedRanking needs a Personalized-Ranking campaign."
            )
        group_arn = self.group_of(version_arn)
        history = self.history(bundle, group_arn, query.user_id)
        scores = bundle.model.score_history(history[0], history[1]) if history[0] else bundle.popularity
        scores = np.asarray(scores, dtype=np.float64)
        allowed = self._allowed(query, version_arn, bundle, group_arn, history)
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
        return ranking + [{"itemId": item} for item in unknown]

    def segment(
        self,
        version_arn: str,
        num_results: int,
        item_id: str | None = None,
        item_attributes: str | None = None,
        filter_arn: str | None = None,
        filter_values: Mapping[str, str] | None = None,
    ) -> list[str]:
        """A batch segment line's recommendedUsers: the users most likely to interact with the item
        (Item-Affinity) or with items having the attributes (Item-Attribute-Affinity), best first,
        among those the job's user filter (INCLUDE/EXCLUDE UserID) lets through."""
        bundle = self.models.load(version_arn)
        if bundle.recipe_type != "USER_SEGMENTATION":
            raise invalid_input("Batch segment jobs need a solution version of a USER_SEGMENTATION recipe.")
        model = bundle.model
        if item_attributes is not None:
            try:
                scores = model.score_users_for_attributes(item_attributes)
            except ValueError as error:
                raise invalid_input(str(error)) from None
        elif item_id:
            scores = model.score_users_for_item(item_id)
            scores = model.activity if scores is None else scores
        else:
            raise invalid_input('each input line needs "itemId" (Item-Affinity) or "itemAttributes".')
        if not filter_arn:
            if filter_values:
                raise invalid_input("filterValues need the job's filterArn.")
            return model.top_users(scores, num_results)
        group_arn = self.group_of(version_arn)
        allowed = self.mask(
            filter_arn,
            filter_values,
            group_arn,
            self._catalogue(version_arn, model.users, group_arn, "UserID"),
            self._users_by_event_type(version_arn, bundle, group_arn),
        )
        best = top_n(np.asarray(scores, dtype=np.float64), allowed, num_results)
        return model.users[best].tolist()

    def _users_by_event_type(
        self, version_arn: str, bundle: ModelBundle, group_arn: str
    ) -> dict[str, list[str]]:
        """Event type → the users with interactions of it (training data and events recorded
        since), what a user filter's Interactions.EVENT_TYPE condition reads."""
        owners = np.repeat(bundle.users, np.diff(bundle.history_offsets))
        by_type: dict[str, set[str]] = {}
        for event_type in np.unique(bundle.history_event_types).tolist():
            by_type[event_type] = set(owners[bundle.history_event_types == event_type].tolist())
        for event in self.events.events(group_arn):
            if event.seq > bundle.events_seq and event.item_id is not None:
                by_type.setdefault(event.event_type, set()).add(event.user_id or event.session_id)
        return {event_type: sorted(users) for event_type, users in by_type.items()}


def _by_event_type(ids: Sequence[str], event_types: Sequence[str]) -> dict[str, list[str]]:
    """A history's ids grouped by event type (what a filter's Interactions conditions read)."""
    grouped: dict[str, list[str]] = {}
    for identifier, event_type in zip(ids, event_types, strict=True):
        grouped.setdefault(event_type, []).append(identifier)
    return grouped


def _target_of(catalogue: CatalogueIndex) -> str:
    return {field: target for target, field in ID_FIELDS.items()}[catalogue.id_field]
