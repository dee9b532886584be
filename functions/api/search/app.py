"""GET /search?q=&u=&limit=&from=: product search, optionally re-ranked for a user, a page at a time.

The query matches several words and misspellings across the text fields (`multi_match` with
`fuzziness: AUTO`, title weighted highest) and boosts an exact phrase in the title, unlike the
original's single fuzzy term. Hits are hydrated from DynamoDB rather than taken from `_source`: the
table is the source of truth (the index trails it by a stream batch and holds only the mapped
fields), so search results have exactly the shape of every other route's items. With `u` and a
Personalized-Ranking campaign, the user's top MAX_PROMOTED_RESULTS hits come first marked
`"Promoted": true`; the rest keep search order. `total` counts every hit and `from` skips that many
(OpenSearch's own paging), so a page can say "25 of 41" and fetch the rest; only the first page is
re-ranked, later pages continue in search order.
"""

import os

from allstore_common.http_api import create_api
from allstore_common.items import ItemStore
from allstore_common.recommendations import ItemResults, personalize_runtime_client, rank_for_user
from allstore_common.request_params import checked_query, optional_id, parse_limit, parse_offset
from allstore_common.search_client import index_name, search_client
from allstore_common.wiring import WiringParameter
from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.event_handler.exceptions import ServiceError
from aws_lambda_powertools.logging import correlation_paths

logger = Logger()
tracer = Tracer()
metrics = Metrics()
app = create_api()
store = ItemStore(os.environ["ITEMS_TABLE"])
personalize = personalize_runtime_client()
wiring = WiringParameter()
SEARCH_FIELDS = ["title^3", "brand^2", "category", "description", "feature"]
DEFAULT_MAX_PROMOTED = 5


def product_query(text: str, size: int, offset: int = 0) -> dict:
    """The OpenSearch request body: fuzzy multi-field match, exact title phrase boosted."""
    return {
        "from": offset,
        "size": size,
        "_source": ["asin"],
        "query": {
            "bool": {
                "should": [
                    {"multi_match": {"query": text, "fields": SEARCH_FIELDS, "fuzziness": "AUTO"}},
                    {"match_phrase": {"title": {"query": text, "boost": 5}}},
                ],
                "minimum_should_match": 1,
            }
        },
    }


def _search_client():
    """The client for SEARCH_ENDPOINT; a missing or malformed endpoint is a deployment error, said so."""
    try:
        return search_client(os.environ.get("SEARCH_ENDPOINT", ""))
    except ValueError as error:
        logger.error("Search endpoint misconfigured", extra={"reason": str(error)})
        raise ServiceError(500, f"The API is misconfigured: {error}") from None


@app.get("/search")
@tracer.capture_method
def search() -> dict:
    text = checked_query(app.current_event.get_query_string_value("q"))
    user_id = optional_id(app.current_event.get_query_string_value("u"), "u")
    limit = parse_limit(app.current_event.get_query_string_value("limit"))
    offset = parse_offset(app.current_event.get_query_string_value("from"), limit)
    response = _search_client().search(index=index_name(), body=product_query(text, limit, offset))
    asins = [hit.get("_source", {}).get("asin") or hit["_id"] for hit in response["hits"]["hits"]]
    hydrated = store.hydrate(asins)
    if hydrated.missing:
        logger.info("Search hits no longer in the Items table", extra={"missing": hydrated.missing})
    if user_id is None or offset:
        body = ItemResults(hydrated.items).body()
    else:
        max_promoted = int(os.environ.get("MAX_PROMOTED_RESULTS") or DEFAULT_MAX_PROMOTED)
        body = rank_for_user(personalize, wiring, user_id, hydrated.items, max_promoted).body()
    return {**body, "total": _total(response["hits"].get("total"))}


def _total(total: object) -> int:
    """hits.total is `{"value", "relation"}` (OpenSearch 1+) or a bare number (older clusters)."""
    if isinstance(total, dict):
        return int(total.get("value", 0))
    return int(total or 0)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict, context) -> dict:
    return app.resolve(event, context)
