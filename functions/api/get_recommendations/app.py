"""GET /recommendations and GET /recommendations/{userId}: what to show a shopper.

A signed-in user gets User-Personalization recommendations. An anonymous visitor gets popular
items, or — with `?sessionId=` — recommendations for the session so far (Personalize accepts the
session id in place of a user id until the visitor signs in).
"""

import os

from allstore_common.http_api import create_api
from allstore_common.items import ItemStore
from allstore_common.recommendations import ItemResults, personalize_runtime_client, recommend_for_user
from allstore_common.request_params import checked_id, optional_id, parse_limit
from allstore_common.wiring import WiringParameter
from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.logging import correlation_paths

logger = Logger()
tracer = Tracer()
metrics = Metrics()
app = create_api()
store = ItemStore(os.environ["ITEMS_TABLE"])
personalize = personalize_runtime_client()
wiring = WiringParameter()


@app.get("/recommendations")
@tracer.capture_method
def recommendations_for_visitor() -> dict:
    limit = parse_limit(app.current_event.get_query_string_value("limit"))
    session_id = optional_id(app.current_event.get_query_string_value("sessionId"), "sessionId")
    if session_id is None:
        return ItemResults(store.popular(limit)).body()
    return _for(session_id, limit)


@app.get("/recommendations/<user_id>")
@tracer.capture_method
def recommendations_for_user(user_id: str) -> dict:
    limit = parse_limit(app.current_event.get_query_string_value("limit"))
    return _for(checked_id(user_id, "userId"), limit)


def _for(user_id: str, limit: int) -> dict:
    return recommend_for_user(personalize, wiring, user_id, limit, store).body()


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict, context) -> dict:
    return app.resolve(event, context)
