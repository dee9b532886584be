"""GET /categories: the whole catalogue's departments and categories, with how many items each has.

The header's category menu reads it. The set-up loader records the categories in the Categories
table when it loads the catalogue (allstore_common.categories says where and when they are right),
so this is one Scan of a table of one small item per category rather than a read of the catalogue.
"""

import os

from allstore_common.categories import CategoryTable
from allstore_common.http_api import create_api
from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.logging import correlation_paths

logger = Logger()
tracer = Tracer()
metrics = Metrics()
app = create_api()
table = CategoryTable(os.environ["CATEGORIES_TABLE"])


@app.get("/categories")
@tracer.capture_method
def list_categories() -> dict:
    return table.departments()


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict, context) -> dict:
    return app.resolve(event, context)
