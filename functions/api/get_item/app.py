"""GET /items/{id}: one product from the Items table."""

import os

from allstore_common.http_api import create_api
from allstore_common.items import ItemStore
from allstore_common.request_params import checked_id
from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.logging import correlation_paths

logger = Logger()
tracer = Tracer()
metrics = Metrics()
app = create_api()
store = ItemStore(os.environ["ITEMS_TABLE"])


@app.get("/items/<item_id>")
@tracer.capture_method
def get_item(item_id: str) -> dict:
    item = store.get(checked_id(item_id, "item id"))
    if item is None:
        raise NotFoundError(f"Item {item_id!r} not found")
    return item


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict, context) -> dict:
    return app.resolve(event, context)
