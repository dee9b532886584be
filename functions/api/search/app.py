"""GET /search?q=&u=&limit=&from=: product search, optionally re-ranked for a user, a page at a time.

The query matches several words and misspellings across the text fields (`multi_match` with
`fuzziness: AUTO`, title weighted highest) and boosts an exact phrase in the title, unlike the
original's single fuzzy term. Hits are hydrated from DynamoDB rather than taken from `_source`: the
table is the source of truth (the index trails it by a stream batch and holds only the mapped
fields), so search results have exactly the shape of every other route's items. With `u` and a
Personalized-Ranking campaign, the user's top MAX_PROMOTED_RESULTS hits come first marked
`"Promoted": true`; the rest keep search order. `total` counts every hit and `from` skips that many
(OpenSearch's own paging), so a page can say "25 of 41" and fetch the rest; only the first page is
re-ranked, later pages continue in search order. When a query word is in none of the first page's
hits but a word of their titles is within the fuzzy match's edit distance, the answer says what was
searched for instead (`correctedQuery`, "Showing results for …"). `brand` (repeatable),
`minPrice`/`maxPrice` become filter clauses (no effect on scores) and `sort` (relevance, popularity,
price-asc, price-desc) the request's sort, so the engine filters, orders and counts.
"""

import os
import re

from allstore_common.http_api import create_api
from allstore_common.items import ItemStore
from allstore_common.recommendations import ItemResults, personalize_runtime_client, rank_for_user
from allstore_common.request_params import (
    Refinement,
    checked_query,
    optional_id,
    parse_limit,
    parse_offset,
    parse_refinement,
)
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


SORT_CLAUSES = {
    "popularity": [{"popularity": {"order": "desc"}}, "_score"],
    "price-asc": [{"price": {"order": "asc"}}, "_score"],
    "price-desc": [{"price": {"order": "desc"}}, "_score"],
}


def product_query(text: str, size: int, offset: int = 0, refinement: Refinement | None = None) -> dict:
    """The OpenSearch request body: fuzzy multi-field match, exact title phrase boosted, filtered and
    sorted as `refinement` says."""
    refinement = refinement or Refinement()
    filters: list[dict] = []
    if refinement.brands:
        filters.append({"terms": {"brand.keyword": list(refinement.brands)}})
    if refinement.min_price is not None or refinement.max_price is not None:
        bounds = {"gte": refinement.min_price, "lte": refinement.max_price}
        filters.append(
            {"range": {"price": {name: value for name, value in bounds.items() if value is not None}}}
        )
    body = {
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
                **({"filter": filters} if filters else {}),
            }
        },
    }
    if refinement.sort in SORT_CLAUSES:
        body["sort"] = SORT_CLAUSES[refinement.sort]
    return body


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
    refinement = parse_refinement(app.current_event.multi_value_query_string_parameters)
    body = product_query(text, limit, offset, refinement)
    response = _search_client().search(index=index_name(), body=body)
    asins = [hit.get("_source", {}).get("asin") or hit["_id"] for hit in response["hits"]["hits"]]
    hydrated = store.hydrate(asins)
    if hydrated.missing:
        logger.info("Search hits no longer in the Items table", extra={"missing": hydrated.missing})
    if user_id is None or offset or refinement.sort not in (None, "relevance"):
        body = ItemResults(hydrated.items).body()
    else:
        max_promoted = int(os.environ.get("MAX_PROMOTED_RESULTS") or DEFAULT_MAX_PROMOTED)
        body = rank_for_user(personalize, wiring, user_id, hydrated.items, max_promoted).body()
    body["total"] = _total(response["hits"].get("total"))
    corrected = corrected_query(text, hydrated.items) if not offset else None
    if corrected:
        body["correctedQuery"] = corrected
    return body


WORD = re.compile(r"[^\W_]+")


def corrected_query(text: str, items: list[dict]) -> str | None:
    """`text` with each word the hits do not contain replaced by the closest word of their titles
    (within OpenSearch's AUTO fuzziness: 1 edit for 3-5 letters, 2 beyond), or None if none was."""
    found = {
        word.lower()
        for item in items
        for field in ("title", "brand", "category")
        for word in WORD.findall(str(item.get(field, "")))
    }
    title_words = [word for item in items for word in WORD.findall(str(item.get("title", "")))]
    changed = False

    def fix(match: re.Match[str]) -> str:
        nonlocal changed
        word = match.group(0)
        allowed = 0 if len(word) < 3 else 1 if len(word) <= 5 else 2
        if word.lower() in found or not allowed:
            return word
        distance, best = min(
            ((_edits(word.lower(), other.lower()), other) for other in title_words), default=(99, word)
        )
        if distance > allowed:
            return word
        changed = True
        return best.lower() if word.islower() else best

    corrected = WORD.sub(fix, text)
    return corrected if changed else None


def _edits(a: str, b: str) -> int:
    """Damerau-Levenshtein distance (a transposition is one edit, as in OpenSearch's fuzzy query)."""
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, char_a in enumerate(a, 1):
        current = [i]
        for j, char_b in enumerate(b, 1):
            cost = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (char_a != char_b))
            if i > 1 and j > 1 and char_a == b[j - 2] and a[i - 2] == char_b:
                cost = min(cost, previous2[j - 2] + 1)
            current.append(cost)
        previous2, previous = previous, current
    return previous[-1]


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
