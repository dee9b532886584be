"""GET /description?asin=: an item's bullet points, from its `feature` and `description` attributes.

The original scraped amazon.com with a headless browser at request time; the catalogue already
carries this text, so it is read from DynamoDB.
"""

import os

from allstore_common.http_api import create_api
from allstore_common.items import Item, ItemStore
from allstore_common.request_params import checked_id
from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.logging import correlation_paths

logger = Logger()
tracer = Tracer()
metrics = Metrics()
app = create_api()
store = ItemStore(os.environ["ITEMS_TABLE"])


def bullets(item: Item) -> list[str]:
    """Feature bullets first (they are short), then description paragraphs; blanks and repeats dropped."""
    texts: list[str] = []
    for attribute in ("feature", "description"):
        value = item.get(attribute)
        texts.extend([value] if isinstance(value, str) else value or [])
    return list(dict.fromkeys(text.strip() for text in texts if isinstance(text, str) and text.strip()))


@app.get("/description")
@tracer.capture_method
def description() -> dict:
    asin = checked_id(app.current_event.get_query_string_value("asin"), "asin")
    item = store.get(asin)
    if item is None:
        raise NotFoundError(f"Item {asin!r} not found")
    return {"ASIN": asin, "Items": bullets(item)}


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict, context) -> dict:
    return app.resolve(event, context)
