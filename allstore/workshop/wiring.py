"""Wire Personalize resources into the store: write the SSM parameters its functions read.

Each function that uses Personalize reads one parameter (`allstore_common.wiring`), a JSON object
named `/<stack>/wiring/<consumer>` by template.yaml. The workshop notebooks, their clean-up and the
local store's bootstrap all wire through here, the same on AWS and locally; a stack update leaves
the parameters alone, so what is wired survives redeploys.
"""

from __future__ import annotations

import json
from typing import Any

RECOMMENDATIONS = "recommendations"  # GetRecommendations: User-Personalization
SIMILAR_ITEMS = "similar-items"  # GetItemRecommendations: Similar-Items (or SIMS)
SEARCH_RANKING = "search-ranking"  # Search: Personalized-Ranking
CLICK_TRACKING = "click-tracking"  # PostClickEvent: the event tracker
KEYS = {
    RECOMMENDATIONS: ("campaignArn", "filterArn"),
    SIMILAR_ITEMS: ("campaignArn", "filterArn"),
    SEARCH_RANKING: ("campaignArn", "filterArn"),
    CLICK_TRACKING: ("trackingId",),
}


def parameter_name(stack: str, consumer: str) -> str:
    """The parameter template.yaml creates for `consumer` in stack `stack`."""
    if consumer not in KEYS:
        raise ValueError(f"unknown wiring {consumer!r}; one of {', '.join(KEYS)}")
    return f"/{stack}/wiring/{consumer}"


def wiring(ssm: Any, stack: str, consumer: str) -> dict[str, str]:
    """What `consumer` is wired to now (every key present, "" when not set)."""
    value = ssm.get_parameter(Name=parameter_name(stack, consumer))["Parameter"]["Value"]
    stored = json.loads(value)
    return {key: str(stored.get(key) or "") for key in KEYS[consumer]}


def wire(ssm: Any, stack: str, consumer: str, **values: str | None) -> dict[str, str]:
    """Set (None or "" clears) some of `consumer`'s values, keeping the others; returns the new wiring.

    The functions see it within their cache time (allstore_common.wiring.MAX_AGE_SECONDS).
    """
    unknown = set(values) - set(KEYS[consumer])
    if unknown:
        raise ValueError(
            f"{consumer} has no {', '.join(sorted(unknown))}; it has {', '.join(KEYS[consumer])}"
        )
    current = wiring(ssm, stack, consumer)
    current.update({key: value or "" for key, value in values.items()})
    ssm.put_parameter(Name=parameter_name(stack, consumer), Value=json.dumps(current), Overwrite=True)
    return current


def unwire_all(ssm: Any, stack: str) -> None:
    """Clear every consumer's wiring (the store falls back to popular items, tracking off)."""
    for consumer, keys in KEYS.items():
        wire(ssm, stack, consumer, **dict.fromkeys(keys))
