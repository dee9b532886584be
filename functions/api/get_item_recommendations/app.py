"""GET /recommendationsitem/{itemId}: items similar to one item (the original's path).

SIMS recommendations when the function's wiring parameter names a campaign; otherwise (or when Personalize fails) the
most popular items of the same category, with a warning.
"""

import os

from allstore_common.http_api import create_api
from allstore_common.items import ItemStore
from allstore_common.recommendations import personalize_runtime_client, recommend_similar
from allstore_common.request_params import checked_id, parse_limit
from allstore_common.wiring import WiringParameter
from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.logging import correlation_paths

logger = Logger()
tracer = Tracer()
metrics = Metrics()
app = create_api()
store = ItemStore(os.environ["ITEMS_TABLE"])
personalize = personalize_runtime_client()
wiring = WiringParameter()


@app.get("/recommendationsitem/<item_id>")
@tracer.capture_method
def similar_items(item_id: str) -> dict:
    limit = parse_limit(app.current_event.get_query_string_value("limit"))
    item = store.get(checked_id(item_id, "item id"))
    if item is None:
        raise NotFoundError(f"Item {item_id!r} not found")
    return recommend_similar(personalize, wiring, item, limit, store).body()


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict, context) -> dict:
    return app.resolve(event, context)
