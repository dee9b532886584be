"""Amazon Personalize calls for the API, and what the store shows when Personalize cannot answer.

A campaign is optional (the workshop notebooks create it and write it to the function's wiring
parameter later, see `wiring`) and may fail; neither is an error for the shopper. Without an answer from Personalize the store still shows useful
items — popular ones, or the most popular of the same category for "similar items", or plain search
order — with a `warning` saying why and how to enable recommendations, and counts the fallback as a
CloudWatch metric.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import boto3
from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from allstore_common.items import Item, ItemStore
from allstore_common.wiring import Wiring, WiringParameter, WiringUnavailable

logger = Logger(child=True)
metrics = Metrics()  # Powertools Metrics instances share one metric set, flushed by the handler

NOT_CONFIGURED_METRIC = "PersonalizeNotConfigured"
FAILED_METRIC = "PersonalizeFailed"

USER_RECOMMENDATIONS_NOT_CONFIGURED = (
    "Recommendations are not yet configured, so these are the store's most popular items.\n"
    "To personalize them, train a User-Personalization solution and deploy a campaign (see the "
    "Personalize/ workshop notebooks), which writes it to the store's recommendations wiring parameter."
)
SIMILAR_ITEMS_NOT_CONFIGURED = (
    "Similar-item recommendations are not yet configured, so these are the most popular items of the "
    "same category.\n"
    "To enable them, train a SIMS solution and deploy a campaign (see the Personalize/ workshop "
    "notebooks), which writes it to the store's similar-items wiring parameter."
)
RANKING_NOT_CONFIGURED = (
    "Personalized ranking is not yet configured, so results are in search order.\n"
    "To enable it, train a Personalized-Ranking solution and deploy a campaign (see the Personalize/ "
    "workshop notebooks), which writes it to the store's search-ranking wiring parameter."
)


def personalize_runtime_client() -> Any:
    """A personalize-runtime client that gives up quickly: a slow campaign must not stall the page.

    Standard retries make three attempts unless the environment's AWS_MAX_ATTEMPTS says otherwise."""
    config = Config(connect_timeout=2, read_timeout=3, retries={"mode": "standard"})
    return boto3.client("personalize-runtime", config=config)


@dataclass
class ItemResults:
    """An API answer of items (recommended, or found by search and re-ranked), and the warnings that
    explain a fallback or left-out items."""

    items: list[Item]
    warnings: list[str] = field(default_factory=list)
    source: dict[str, str] | None = None  # the campaign (and filter) that answered, by name

    def body(self) -> dict[str, Any]:
        """The API response body: `results`, plus `warning` when there is anything to say and
        `source` when Personalize answered (the web UI's demo mode shows it)."""
        body: dict[str, Any] = {"results": self.items}
        if self.warnings:
            body["warning"] = "\n".join(self.warnings)
        if self.source:
            body["source"] = self.source
        return body


def recommend_for_user(
    personalize: Any, wiring: WiringParameter, user_id: str, limit: int, store: ItemStore
) -> ItemResults:
    """User-Personalization recommendations for a user (or a session id), else popular items."""
    fallback = "the store's most popular items"
    try:
        wired = wiring.current()
    except WiringUnavailable as error:
        return ItemResults(store.popular(limit), [_unwired(error, fallback)])
    if not wired.campaign_arn:
        _count(NOT_CONFIGURED_METRIC)
        return ItemResults(store.popular(limit), [USER_RECOMMENDATIONS_NOT_CONFIGURED])
    try:
        response = personalize.get_recommendations(**_campaign(wired), userId=user_id, numResults=limit)
    except (ClientError, BotoCoreError) as error:
        return ItemResults(store.popular(limit), [_failed(error, fallback)])
    return _hydrated([entry["itemId"] for entry in response.get("itemList", [])], store, wired)


def recommend_similar(
    personalize: Any, wiring: WiringParameter, item: Item, limit: int, store: ItemStore
) -> ItemResults:
    """SIMS recommendations for an item, else the most popular items of its category."""
    asin = item["asin"]
    fallback = "the most popular items of the same category"
    try:
        wired = wiring.current()
    except WiringUnavailable as error:
        return ItemResults(_same_category(item, limit, store), [_unwired(error, fallback)])
    if not wired.campaign_arn:
        _count(NOT_CONFIGURED_METRIC)
        return ItemResults(_same_category(item, limit, store), [SIMILAR_ITEMS_NOT_CONFIGURED])
    try:
        response = personalize.get_recommendations(**_campaign(wired), itemId=asin, numResults=limit)
    except (ClientError, BotoCoreError) as error:
        return ItemResults(_same_category(item, limit, store), [_failed(error, fallback)])
    similar = [entry["itemId"] for entry in response.get("itemList", []) if entry["itemId"] != asin]
    return _hydrated(similar, store, wired)


def rank_for_user(
    personalize: Any, wiring: WiringParameter, user_id: str, items: list[Item], max_promoted: int
) -> ItemResults:
    """Search hits with the user's top `max_promoted` first, marked `Promoted`; the rest keep their order."""
    if not items:
        return ItemResults([])
    try:
        wired = wiring.current()
    except WiringUnavailable as error:
        return ItemResults(items, [_unwired(error, "results in search order")])
    if not wired.campaign_arn:
        _count(NOT_CONFIGURED_METRIC)
        return ItemResults(items, [RANKING_NOT_CONFIGURED])
    by_asin = {item["asin"]: item for item in items}
    try:
        response = personalize.get_personalized_ranking(
            **_campaign(wired), userId=user_id, inputList=list(by_asin)
        )
    except (ClientError, BotoCoreError) as error:
        return ItemResults(items, [_failed(error, "results in search order")])
    ranking = response.get("personalizedRanking", [])
    ranked = [entry["itemId"] for entry in ranking if entry["itemId"] in by_asin]
    promoted = list(dict.fromkeys(ranked))[:max_promoted]
    promoted_set = set(promoted)
    return ItemResults(
        [{**by_asin[asin], "Promoted": True} for asin in promoted]
        + [item for item in items if item["asin"] not in promoted_set],
        source=_source(wired),
    )


def _campaign(wired: Wiring) -> dict[str, str]:
    """The campaign (and filter, when one is wired) arguments of a Personalize runtime call."""
    arguments = {"campaignArn": wired.campaign_arn}
    if wired.filter_arn:
        arguments["filterArn"] = wired.filter_arn
    return arguments


def _source(wired: Wiring) -> dict[str, str]:
    """Names (not ARNs, which carry the account id) of the campaign and filter that answered."""
    source = {"campaign": _resource_name(wired.campaign_arn)}
    if wired.filter_arn:
        source["filter"] = _resource_name(wired.filter_arn)
    return source


def _resource_name(arn: str) -> str:
    return arn.rsplit("/", 1)[-1]


def _hydrated(asins: list[str], store: ItemStore, wired: Wiring) -> ItemResults:
    hydrated = store.hydrate(asins)
    warnings = []
    if hydrated.missing:
        logger.warning("Recommended items missing from the Items table", extra={"missing": hydrated.missing})
        warnings.append(
            f"{len(hydrated.missing)} recommended item(s) are not in the store's catalogue and were left out."
        )
    return ItemResults(hydrated.items, warnings, _source(wired))


def _same_category(item: Item, limit: int, store: ItemStore) -> list[Item]:
    category = item.get("category")
    if not isinstance(category, str) or not category:
        return []  # the set-up loader gives every item a category; a hand-made item may lack one
    return store.popular_in_category(category, limit, exclude=[item["asin"]])


def _failed(error: ClientError | BotoCoreError, fallback: str) -> str:
    """Log and count a Personalize failure; the warning tells the shopper what they see instead."""
    if isinstance(error, ClientError):
        reason = error.response.get("Error", {}).get("Code", "error")
    else:
        reason = type(error).__name__
    logger.warning("Personalize call failed; falling back", extra={"reason": reason}, exc_info=error)
    _count(FAILED_METRIC)
    return f"Amazon Personalize could not answer ({reason}); showing {fallback} instead."


def _unwired(error: WiringUnavailable, fallback: str) -> str:
    """Log and count a wiring parameter that cannot be read; the warning says what is shown instead."""
    logger.error("Wiring parameter unreadable; falling back", extra={"reason": str(error)})
    _count(FAILED_METRIC)
    return f"The store's Personalize wiring could not be read; showing {fallback} instead."


def _count(metric: str) -> None:
    metrics.add_metric(name=metric, unit=MetricUnit.Count, value=1)
