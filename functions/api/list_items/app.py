"""GET /items?category=&limit=&nextToken=: browse the catalogue, most popular first, one page at a time.

With `category` the category-index GSI is queried; without, the popular-index GSI (every item is in
it), so "all items" is a cheap indexed Query rather than a Scan. A category's first page also says
how many items the category has (`total`), so a category page can say "25 of 41".
"""

import os

from allstore_common.http_api import create_api
from allstore_common.items import ItemStore
from allstore_common.request_params import optional_id, parse_limit
from aws_lambda_powertools import Logger, Metrics, Tracer
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


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict, context) -> dict:
    return app.resolve(event, context)
