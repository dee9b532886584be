"""GET /items?category=&limit=&nextToken=: browse the catalogue, most popular first, one page at a time.

With `category` the category-index GSI is queried; without, the popular-index GSI (every item is in
it), so "all items" is a cheap indexed Query rather than a Scan. A category's first page also says
how many items the category has (`total`), so a category page can say "25 of 41". A category can be
narrowed by `brand` (repeatable), `minPrice`/`maxPrice` and reordered by `sort` (popularity,
price-asc, price-desc): DynamoDB cannot sort a GSI by a non-key attribute, so the category's
category-index results are read whole, filtered and sorted here, and paged with `from` like /search.
"""

import os

from allstore_common.http_api import create_api
from allstore_common.items import ItemStore
from allstore_common.request_params import optional_id, parse_limit, parse_offset, parse_refinement
from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.event_handler.exceptions import BadRequestError
from aws_lambda_powertools.logging import correlation_paths

logger = Logger()
tracer = Tracer()
metrics = Metrics()
app = create_api()
store = ItemStore(os.environ["ITEMS_TABLE"])


@app.get("/items")
@tracer.capture_method
def list_items() -> dict:
    limit = parse_limit(app.current_event.get_query_string_value("limit"))
    category = optional_id(app.current_event.get_query_string_value("category"), "category")
    next_token = app.current_event.get_query_string_value("nextToken")
    refinement = parse_refinement(
        app.current_event.multi_value_query_string_parameters, ("popularity", "price-asc", "price-desc")
    )
    offset = app.current_event.get_query_string_value("from")
    if refinement or offset:
        if category is None:
            raise BadRequestError("brand, minPrice, maxPrice, sort and from need a category")
        if next_token:
            raise BadRequestError("nextToken cannot be combined with brand, minPrice, maxPrice, sort or from")
        return refined_page(category, refinement, limit, parse_offset(offset, limit))
    if category is None:
        page = store.popular_page(limit, next_token)
    else:
        page = store.category_page(category, limit, next_token)
    body: dict = {"results": page.items}
    if category is not None and next_token is None:
        body["total"] = store.category_size(category)
    if page.next_token:
        body["nextToken"] = page.next_token
    return body


def refined_page(category: str, refinement, limit: int, offset: int) -> dict:
    """One page of the category's items that pass `refinement`, in its order; `total` counts them all."""
    items = [item for item in store.category_items(category) if refinement.keeps(item)]
    if refinement.sort in ("price-asc", "price-desc"):
        priced = [item for item in items if item.get("price") is not None]
        priced.sort(key=lambda item: item["price"], reverse=refinement.sort == "price-desc")
        items = priced + [item for item in items if item.get("price") is None]
    return {"results": items[offset : offset + limit], "total": len(items)}


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict, context) -> dict:
    return app.resolve(event, context)
